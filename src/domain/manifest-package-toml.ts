/**
 * ggen's marketplace `package.toml` mapped onto the Manifest model (SPEC 3). These files
 * were written for another registry, so the mapping is lenient: singular and plural forms
 * both count (`category`/`categories`, `tags`/`keywords`, `author`/`authors`), and a
 * dependency that is not an id with a semver range is left out with a warning rather than
 * refused. `[package.dependencies]` and a top-level `[dependencies]` are both read.
 *
 * Where the rest goes: every top-level table other than `[package]` and `[dependencies]`
 * sits in `extra` under its own name (`extra.install`, `extra.files`, ...), and the keys of
 * `[package]` this mapping does not read (`full_name`, `features`, ...) sit in
 * `extra.package`.
 */
import {
  buildManifest,
  fieldPath,
  isSemverRange,
  isTable,
  type MappingContext,
  type Table,
  unknownKeys,
} from './manifest-fields.js'
import { type Manifest, PACKAGE_ID_RE } from './types.js'

const KNOWN_KEYS = [
  'id',
  'name',
  'version',
  'description',
  'license',
  'category',
  'categories',
  'tags',
  'keywords',
  'author',
  'authors',
  'repository',
  'homepage',
  'ggen_compat',
  'dependencies',
] as const

/** Map a parsed `package.toml` document onto a Manifest, recording problems and warnings in `ctx`. */
export function mapPackageToml(doc: Table, ctx: MappingContext): Manifest {
  let pkg: Table = {}
  if (isTable(doc.package)) pkg = doc.package
  else
    ctx.problem(
      'package',
      'the [package] table is missing; add [package] with name, version, description and license',
    )

  const str = (key: string): string | undefined => {
    const value = ctx.string(pkg, key, fieldPath('package', key))
    ctx.locate(key, fieldPath('package', key))
    return value
  }
  // `name` is the package id here, unless the file also carries an explicit `id`.
  const hasId = pkg.id !== undefined
  const id = ctx.string(pkg, hasId ? 'id' : 'name', fieldPath('package', hasId ? 'id' : 'name'))
  ctx.locate('id', fieldPath('package', hasId ? 'id' : 'name'))
  const name = hasId ? str('name') : id

  const list = (model: string, keys: string[]): string[] | undefined => {
    const present = keys.filter((k) => pkg[k] !== undefined)
    if (present.length === 0) return undefined
    ctx.locate(model, fieldPath('package', present[present.length - 1]!))
    const values = present.flatMap((k) => ctx.stringList(pkg, k, fieldPath('package', k), true) ?? [])
    return [...new Set(values)]
  }

  const dependencies: Record<string, string> = {}
  if (pkg.dependencies !== undefined) {
    readDependencies(pkg.dependencies, ['package', 'dependencies'], dependencies, ctx)
  }
  if (doc.dependencies !== undefined) {
    readDependencies(doc.dependencies, ['dependencies'], dependencies, ctx)
  }

  const extra = unknownKeys(doc, ['package', 'dependencies']) ?? {}
  const rest = unknownKeys(pkg, KNOWN_KEYS)
  if (rest !== undefined) extra.package = rest

  return buildManifest({
    id,
    name,
    version: str('version'),
    description: str('description'),
    license: str('license'),
    authors: list('authors', ['author', 'authors']),
    keywords: list('keywords', ['tags', 'keywords']),
    categories: list('categories', ['category', 'categories']),
    repository: str('repository'),
    homepage: str('homepage'),
    ggen_compat: str('ggen_compat'),
    dependencies,
    extra,
  })
}

const LEFT_OUT = 'it is not a marketplace dependency and is left out'

/** Read a dependency table (id = range) or list (ids, any version) into `into`. */
function readDependencies(
  value: unknown,
  path: string[],
  into: Record<string, string>,
  ctx: MappingContext,
): void {
  const add = (id: string, range: string, field: string): void => {
    const earlier = into[id]
    if (earlier !== undefined && earlier !== range) {
      ctx.warn(field, `"${id}" is also listed with range "${earlier}"; that one is used`)
      return
    }
    into[id] = range
    ctx.locate(`dependencies.${id}`, field)
  }

  if (Array.isArray(value)) {
    // A bare list names packages without a version: any version will do.
    value.forEach((entry, i) => {
      const field = fieldPath(...path, String(i))
      if (typeof entry === 'string' && PACKAGE_ID_RE.test(entry)) add(entry, '*', field)
      else ctx.warn(field, `${describe(entry)} is not a package id; ${LEFT_OUT}`)
    })
    return
  }
  if (!isTable(value)) {
    ctx.warn(fieldPath(...path), `dependencies must be a table of id = "range" or a list of ids; ${LEFT_OUT}`)
    return
  }
  for (const [id, range] of Object.entries(value)) {
    const field = fieldPath(...path, id)
    if (!PACKAGE_ID_RE.test(id)) {
      ctx.warn(field, `"${id}" is not a package id; ${LEFT_OUT}`)
    } else if (typeof range !== 'string' || !isSemverRange(range)) {
      ctx.warn(
        field,
        `${describe(range)} is not a semver range; ${LEFT_OUT} (write "${id}" = "^1.0" to depend on it from the marketplace)`,
      )
    } else {
      add(id, range, field)
    }
  }
}

/** A short rendering of a TOML value for a message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return 'a list'
  if (isTable(value)) return 'a table'
  return String(value)
}
