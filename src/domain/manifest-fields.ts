/**
 * The shared machinery of manifest mapping: turning parsed TOML into plain data, reading
 * typed fields out of a table, and remembering where each model field came from so that
 * every problem names the field as the user wrote it.
 */
import semver from 'semver'
import { TomlDate } from 'smol-toml'
import type { Problem } from './errors.js'
import type { Manifest } from './types.js'

/** A TOML table after `toPlain`: plain objects, arrays, strings, finite numbers, booleans. */
export type Table = Record<string, unknown>

/** TOML bare keys need no quotes; any other key is quoted as TOML would quote it. */
const BARE_KEY_RE = /^[A-Za-z0-9_-]+$/

/** A dotted field path with keys quoted where needed: `dependencies."io.ggen.macros.std"`. */
export function fieldPath(...keys: string[]): string {
  return keys.map((k) => (BARE_KEY_RE.test(k) ? k : JSON.stringify(k))).join('.')
}

/** True for a TOML table (a plain object), false for arrays and scalars. */
export function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Collects what mapping one manifest file finds: problems, warnings, and for each model
 * field the source field it was read from (`id` is `package.name` in a package.toml).
 */
export class MappingContext {
  readonly problems: Problem[] = []
  readonly warnings: string[] = []
  /** Source fields that already failed a type check; the semantic rules skip them. */
  readonly failed = new Set<string>()
  readonly #located = new Map<string, string>()

  constructor(readonly file: string) {}

  /** Record an error on a source field. */
  problem(field: string, reason: string): void {
    this.problems.push({ file: this.file, field, reason })
    this.failed.add(field)
  }

  /** Record a warning on a source field, formatted like a problem line. */
  warn(field: string, reason: string): void {
    this.warnings.push(`${this.file}: ${field}: ${reason}`)
  }

  /** Remember that model field `model` (such as `id` or `dependencies.x`) came from `source`. */
  locate(model: string, source: string): void {
    this.#located.set(model, source)
  }

  /** The source field of a model field; unmapped fields keep their model name. */
  sourceOf(model: string): string {
    return this.#located.get(model) ?? model
  }

  /** Read an optional string; a value of another type is a problem and reads as absent. */
  string(table: Table, key: string, path: string): string | undefined {
    const value = table[key]
    if (value === undefined) return undefined
    if (typeof value === 'string') return value
    this.problem(path, `${key} must be a string, such as ${key} = "${exampleFor(key)}"`)
    return undefined
  }

  /**
   * Read an optional list of strings. With `orString`, a single string is taken as a list
   * of one (package.toml's `author = "Ada"`).
   */
  stringList(table: Table, key: string, path: string, orString = false): string[] | undefined {
    const value = table[key]
    if (value === undefined) return undefined
    if (orString && typeof value === 'string') return [value]
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[]
    this.problem(path, `${key} must be a list of strings, such as ${key} = ["${exampleFor(key)}"]`)
    return undefined
  }
}

function exampleFor(key: string): string {
  switch (key) {
    case 'author':
    case 'authors':
      return 'Ada Lovelace <ada@example.org>'
    case 'repository':
      return 'https://github.com/example/my-pack'
    case 'homepage':
      return 'https://example.org/my-pack'
    case 'license':
      return 'MIT'
    case 'version':
      return '0.1.0'
    case 'ggen_compat':
      return '>=0.1.0'
    default:
      return '...'
  }
}

/**
 * Turn smol-toml's output into data a dag-cbor record can carry unchanged: null-prototype
 * tables become plain objects, TOML dates become their ISO text (a local date stays
 * `1979-05-27`), and values dag-cbor refuses (NaN, ±inf) or keys that would corrupt an
 * object (`__proto__`) are dropped with a problem.
 */
export function toPlain(value: unknown, path: string[], ctx: MappingContext): unknown {
  if (value instanceof TomlDate) return value.toISOString()
  if (typeof value === 'number' && !Number.isFinite(value)) {
    ctx.problem(fieldPath(...path), `${value} cannot be stored in a release record; write it as a string`)
    return undefined
  }
  if (Array.isArray(value)) {
    const out: unknown[] = []
    value.forEach((v, i) => {
      const plain = toPlain(v, [...path, String(i)], ctx)
      if (plain !== undefined) out.push(plain)
    })
    return out
  }
  if (typeof value === 'object' && value !== null) {
    const out: Table = {}
    for (const [k, v] of Object.entries(value)) {
      if (k === '__proto__') {
        ctx.problem(fieldPath(...path, k), 'the key __proto__ is not allowed; rename it')
        continue
      }
      const plain = toPlain(v, [...path, k], ctx)
      if (plain !== undefined) out[k] = plain
    }
    return out
  }
  return value
}

/** The keys of `table` not in `known`, as a new table; undefined when there are none. */
export function unknownKeys(table: Table, known: readonly string[]): Table | undefined {
  const rest = Object.fromEntries(Object.entries(table).filter(([k]) => !known.includes(k)))
  return Object.keys(rest).length > 0 ? rest : undefined
}

/** Build a Manifest from mapped parts, omitting optional fields that are absent (no undefined). */
export function buildManifest(parts: {
  id?: string | undefined
  name?: string | undefined
  version?: string | undefined
  description?: string | undefined
  license?: string | undefined
  authors?: string[] | undefined
  keywords?: string[] | undefined
  categories?: string[] | undefined
  repository?: string | undefined
  homepage?: string | undefined
  ggen_compat?: string | undefined
  dependencies: Record<string, string>
  extra: Table
}): Manifest {
  const id = parts.id ?? ''
  const manifest: Manifest = {
    id,
    name: parts.name !== undefined && parts.name.trim() !== '' ? parts.name : id,
    version: parts.version ?? '',
    description: parts.description ?? '',
    license: parts.license ?? '',
    authors: parts.authors ?? [],
    keywords: parts.keywords ?? [],
    categories: parts.categories ?? [],
    dependencies: parts.dependencies,
    extra: parts.extra,
  }
  if (parts.repository !== undefined) manifest.repository = parts.repository
  if (parts.homepage !== undefined) manifest.homepage = parts.homepage
  if (parts.ggen_compat !== undefined) manifest.ggen_compat = parts.ggen_compat
  return manifest
}

/** True for a non-empty semver range (`^0.1`, `>=1.2 <2`, `*`); semver reads "" as `*`, we do not. */
export function isSemverRange(range: string): boolean {
  return range.trim() !== '' && semver.validRange(range) !== null
}
