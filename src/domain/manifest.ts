/**
 * Reading a package manifest (SPEC 3): `gpack.toml` (ggen's canonical form) or ggen
 * marketplace's `package.toml`, mapped onto one Manifest model, with the validation guards
 * for metadata, license and dependencies. Every failing rule is reported at once, naming
 * the file and the field as the user wrote it.
 *
 * Where the rest of a gpack.toml goes: every top-level table other than `[gpack]` and
 * `[dependencies]` (`[templates]`, `[rdf]`, `[queries]`, `[shapes]`, `[preset]`, ...) sits in
 * `manifest.extra` under its own name, unchanged; keys of `[gpack]` this module does not
 * read sit in `manifest.extra.gpack`. TOML dates become ISO strings so that the manifest
 * can go into a dag-cbor record as it is.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import semver from 'semver'
import { parse, TomlError } from 'smol-toml'
import { NotFoundError, type Problem, TomlSyntaxError, ValidationError } from './errors.js'
import { licenseProblem } from './license.js'
import {
  buildManifest,
  fieldPath,
  isSemverRange,
  isTable,
  MappingContext,
  type Table,
  toPlain,
  unknownKeys,
} from './manifest-fields.js'
import { mapPackageToml } from './manifest-package-toml.js'
import { type Manifest, type ManifestSource, PACKAGE_ID_RE } from './types.js'

/** Manifest file names in order of preference: when both exist, gpack.toml wins. */
export const MANIFEST_FILES: readonly ManifestSource[] = ['gpack.toml', 'package.toml']

/** A README at the package root: README, README.md, README.txt, ... in any case. */
export const README_RE = /^readme(\.[a-z0-9]+)?$/i

/** Longest description accepted; longer prose belongs in the README. */
export const MAX_DESCRIPTION = 4096

/** Longest display name accepted. */
export const MAX_NAME = 256

/** A manifest as read, with every failing rule (errors) and every warning. */
export interface ManifestParse {
  /** Built best-effort even when there are problems. */
  manifest: Manifest
  source: ManifestSource
  /** Failing rules; publish refuses the package while any remain. */
  problems: Problem[]
  /** Things publish reports but accepts, as `file: field: reason` lines. */
  warnings: string[]
}

/**
 * Parse and check one manifest. Pure. Throws TomlSyntaxError (with line and column) when
 * `text` is not TOML; every other failure is returned in `problems`.
 */
export function parseManifest(text: string, source: ManifestSource, file: string = source): ManifestParse {
  let doc: Table
  try {
    doc = parse(text)
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '')
      throw new TomlSyntaxError(file, err.line, err.column, reason)
    }
    throw err
  }
  const ctx = new MappingContext(file)
  const plain = toPlain(doc, [], ctx) as Table
  const manifest = source === 'gpack.toml' ? mapGpackToml(plain, ctx) : mapPackageToml(plain, ctx)
  const checked = validateManifest(manifest, {
    file,
    sourceOf: (model) => ctx.sourceOf(model),
    skip: ctx.failed,
  })
  return { manifest, source, problems: [...ctx.problems, ...checked], warnings: ctx.warnings }
}

const GPACK_STRINGS = [
  'id',
  'name',
  'version',
  'description',
  'license',
  'ggen_compat',
  'repository',
  'homepage',
]
const GPACK_LISTS = ['authors', 'keywords', 'categories']

/** Map a parsed gpack.toml onto the Manifest model; type errors go to `ctx`. */
function mapGpackToml(doc: Table, ctx: MappingContext): Manifest {
  let meta: Table = {}
  if (isTable(doc.gpack)) meta = doc.gpack
  else
    ctx.problem(
      'gpack',
      'the [gpack] table is missing; add [gpack] with id, version, description and license',
    )

  const strings: Record<string, string | undefined> = {}
  for (const key of GPACK_STRINGS) {
    ctx.locate(key, fieldPath('gpack', key))
    strings[key] = ctx.string(meta, key, fieldPath('gpack', key))
  }
  const lists: Record<string, string[] | undefined> = {}
  for (const key of GPACK_LISTS) {
    ctx.locate(key, fieldPath('gpack', key))
    lists[key] = ctx.stringList(meta, key, fieldPath('gpack', key))
  }
  if (meta.dependencies !== undefined) {
    ctx.warn('gpack.dependencies', 'is not read; move the entries to a top-level [dependencies] table')
  }

  const dependencies: Record<string, string> = {}
  if (isTable(doc.dependencies)) {
    for (const [id, range] of Object.entries(doc.dependencies)) {
      const field = fieldPath('dependencies', id)
      ctx.locate(`dependencies.${id}`, field)
      if (typeof range === 'string') dependencies[id] = range
      else ctx.problem(field, `the range of "${id}" must be a string, such as "${id}" = "^0.1"`)
    }
  } else if (doc.dependencies !== undefined) {
    ctx.problem(
      'dependencies',
      'dependencies must be a table of id = "range", such as "io.ggen.macros.std" = "^0.1"',
    )
  }

  const extra = unknownKeys(doc, ['gpack', 'dependencies']) ?? {}
  const rest = unknownKeys(meta, [...GPACK_STRINGS, ...GPACK_LISTS])
  if (rest !== undefined) extra.gpack = rest

  return buildManifest({
    id: strings.id,
    name: strings.name,
    version: strings.version,
    description: strings.description,
    license: strings.license,
    ggen_compat: strings.ggen_compat,
    repository: strings.repository,
    homepage: strings.homepage,
    authors: lists.authors,
    keywords: lists.keywords,
    categories: lists.categories,
    dependencies,
    extra,
  })
}

/** How validateManifest names fields; parseManifest passes the file's own field names. */
export interface ValidateOptions {
  /** The file named in problems. @default 'gpack.toml' */
  file?: string
  /** Model field (`id`, `dependencies.<id>`) to source field (`package.name`). */
  sourceOf?: (model: string) => string
  /** Source fields already reported (a type error); their rules are skipped. */
  skip?: ReadonlySet<string>
}

/**
 * The metadata, license and dependency guards over a Manifest, whatever its source (a
 * file being published, or a manifest inside a record). Returns every failing rule.
 */
export function validateManifest(manifest: Manifest, options: ValidateOptions = {}): Problem[] {
  const file = options.file ?? 'gpack.toml'
  const sourceOf = options.sourceOf ?? ((model: string) => model)
  const problems: Problem[] = []
  const check = (model: string, reason: (key: string, table: string) => string | undefined): void => {
    const field = sourceOf(model)
    if (options.skip?.has(field)) return
    const dot = field.lastIndexOf('.')
    const text = reason(field.slice(dot + 1), dot < 0 ? '' : ` to [${field.slice(0, dot)}]`)
    if (text !== undefined) problems.push({ file, field, reason: text })
  }

  const { id, version, description } = manifest
  check('id', (key, table) => {
    if (id === '') return `${key} is missing; add ${key} = "io.example.my-pack"${table}`
    if (!PACKAGE_ID_RE.test(id)) {
      return (
        `${key} "${id}" is not a valid package id; use 1 to 128 lowercase letters, digits, ".", "_" ` +
        `or "-", starting with a letter or digit, such as "${suggestId(id)}"`
      )
    }
    return undefined
  })
  check('name', (key) =>
    manifest.name.length > MAX_NAME
      ? `${key} is ${manifest.name.length} characters long; shorten it to at most ${MAX_NAME}`
      : undefined,
  )
  check('version', (key, table) => {
    if (version === '') return `${key} is missing; add ${key} = "0.1.0"${table}`
    if (!isSemverVersion(version)) {
      return `${key} "${version}" is not semver 2.0; use MAJOR.MINOR.PATCH such as "${suggestVersion(version)}"`
    }
    return undefined
  })
  check('description', (key, table) => {
    if (description.trim() === '') {
      return `${key} is missing or empty; add ${key} = "<one sentence on what the package generates>"${table}`
    }
    if (description.length > MAX_DESCRIPTION) {
      return `${key} is ${description.length} characters long; keep it under ${MAX_DESCRIPTION} and put the rest in README.md`
    }
    return undefined
  })
  check('license', (key) => licenseProblem(manifest.license, key))
  if (manifest.ggen_compat !== undefined) {
    const compat = manifest.ggen_compat
    check('ggen_compat', (key) =>
      isSemverRange(compat)
        ? undefined
        : `${key} "${compat}" is not a semver range; use a range such as ">=0.1.0"`,
    )
  }
  for (const [dep, range] of Object.entries(manifest.dependencies)) {
    const model = `dependencies.${dep}`
    const field = sourceOf(model)
    if (options.skip?.has(field)) continue
    const at = (reason: string): void => {
      problems.push({ file, field: field === model ? fieldPath('dependencies', dep) : field, reason })
    }
    if (!PACKAGE_ID_RE.test(dep)) {
      at(`"${dep}" is not a valid package id; name the dependency by its id, such as "${suggestId(dep)}"`)
    } else if (dep === id) {
      at(`the package depends on itself; remove "${dep}" from its dependencies`)
    }
    if (!isSemverRange(range)) {
      at(
        `the range "${range}" of "${dep}" is not a semver range; use one such as "^0.1", ">=1.2.0 <2" or "*"`,
      )
    }
  }
  return problems
}

/** True for a strict semver 2.0 version: no leading "v" or "=", no spaces, no coercion. */
export function isSemverVersion(version: string): boolean {
  return /^[0-9]/.test(version) && version.trim() === version && semver.parse(version) !== null
}

function suggestVersion(version: string): string {
  const bare = version.trim().replace(/^[v=]+/, '')
  if (isSemverVersion(bare)) return bare
  return semver.coerce(version)?.version ?? '0.1.0'
}

function suggestId(id: string): string {
  const fixed = id
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 128)
    .replace(/-+$/, '')
  return fixed === '' ? 'io.example.my-pack' : fixed
}

/**
 * Read the manifest at the root of package directory `dir`: gpack.toml, else package.toml.
 * Adds the readme guard (a missing README is a warning). Throws ValidationError when
 * neither file exists, TomlSyntaxError when the file is not TOML.
 */
export async function readManifest(dir: string): Promise<ManifestParse & { file: string }> {
  await requireDirectory(dir)
  for (const source of MANIFEST_FILES) {
    const file = path.join(dir, source)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw err
    }
    // Problems name files relative to the package root, as the user sees them in DIR.
    const parsed = parseManifest(text.replace(/^\uFEFF/, ''), source, source)
    if (!(await hasReadme(dir))) {
      parsed.warnings.push(
        'README: no README file at the package root; add a README.md that says what the package generates and how to use it',
      )
    }
    return { ...parsed, file }
  }
  throw new ValidationError([
    {
      file: 'gpack.toml',
      field: '(file)',
      reason: `neither gpack.toml nor package.toml exists in ${dir}; add a gpack.toml with a [gpack] table (id, version, description, license)`,
    },
  ])
}

async function requireDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  throw new NotFoundError(
    'ERR_PACKAGE_DIR_NOT_FOUND',
    `${dir} is not a directory; give the package's directory`,
    {
      dir,
    },
  )
}

async function hasReadme(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true })
  return entries.some((e) => e.isFile() && README_RE.test(e.name))
}
