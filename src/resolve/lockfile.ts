/**
 * ggen.lock (SPEC 6): the exact releases a project installed, so that the next install is
 * the same one. TOML with one `[[pack]]` table per package, sorted by id with a fixed key
 * order, so that it diffs well; written atomically.
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import semver from 'semver'
import { parse, stringify, TomlError } from 'smol-toml'
import { PACKAGE_ID_RE } from '../domain/types.js'
import { LockfileError } from './errors.js'

/** The lockfile's name in a project directory. */
export const LOCKFILE_NAME = 'ggen.lock'

/** The format version this code reads and writes. */
export const LOCKFILE_VERSION = 1

const HEADER = '# This file is written by ggen-market. Do not edit by hand.\n'

const DID_KEY_RE = /^did:key:z[1-9A-HJ-NP-Za-km-z]+$/

/** One installed package, as pinned. */
export interface LockEntry {
  id: string
  version: string
  /** UnixFS root CID of the package content. */
  cid: string
  /** The key that signed the release, `did:key:...`. */
  publisher: string
  /** The record id of the release. */
  record: string
}

/** The parsed lockfile. */
export interface Lockfile {
  version: typeof LOCKFILE_VERSION
  /** Sorted by id, one per id. */
  packs: LockEntry[]
}

/** The path of the lockfile of project `dir`. */
export function lockfilePath(dir: string): string {
  return join(dir, LOCKFILE_NAME)
}

/** Reads `dir/ggen.lock`: undefined when there is none; LockfileError when it is malformed. */
export async function readLockfile(dir: string): Promise<Lockfile | undefined> {
  const file = lockfilePath(dir)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  return parseLockfile(text, file)
}

/** Parses lockfile text; `file` names it in errors. */
export function parseLockfile(text: string, file: string = LOCKFILE_NAME): Lockfile {
  let doc: Record<string, unknown>
  try {
    doc = parse(text)
  } catch (err) {
    if (!(err instanceof TomlError)) throw err
    const reason = (err.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '')
    throw new LockfileError(file, `line ${err.line}, column ${err.column}`, `invalid TOML: ${reason}`, {
      line: err.line,
      column: err.column,
    })
  }

  if (doc.version === undefined) throw new LockfileError(file, 'version', 'missing (expected `version = 1`)')
  if (doc.version !== LOCKFILE_VERSION) {
    throw new LockfileError(
      file,
      'version',
      `format ${JSON.stringify(doc.version)} is not one this ggen-market reads (it reads ${LOCKFILE_VERSION}); ` +
        'a newer ggen-market may have written it, so upgrade',
    )
  }
  const packs = doc.pack ?? []
  if (!Array.isArray(packs)) throw new LockfileError(file, 'pack', 'must be [[pack]] tables')

  const seen = new Set<string>()
  const entries = packs.map((pack: unknown, index) => {
    const entry = parseEntry(pack, index, file)
    if (seen.has(entry.id)) {
      throw new LockfileError(file, where(index, entry.id, 'id'), `${entry.id} is pinned twice`, { index })
    }
    seen.add(entry.id)
    return entry
  })
  return { version: LOCKFILE_VERSION, packs: sortById(entries) }
}

/** The lockfile's text: header comment, `version`, then the packs sorted by id; ends in a newline. */
export function formatLockfile(lock: Lockfile): string {
  const packs = sortById(lock.packs).map(pick)
  return (
    HEADER +
    stringify(packs.length === 0 ? { version: LOCKFILE_VERSION } : { version: LOCKFILE_VERSION, pack: packs })
  )
}

/**
 * Writes `dir/ggen.lock` atomically: a temporary file in the same directory, flushed to
 * disk, then renamed over the old one, so a crash leaves either the old or the new lockfile.
 * Returns the lockfile's path.
 */
export async function writeLockfile(dir: string, lock: Lockfile): Promise<string> {
  const file = lockfilePath(dir)
  const temp = join(dir, `.${LOCKFILE_NAME}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    const handle = await open(temp, 'wx', 0o644)
    try {
      await handle.writeFile(formatLockfile(lock), 'utf8')
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
  await syncDirectory(dir)
  return file
}

/** The lock after an install: `installed` replaces its ids, every other pin of `existing` stays. */
export function mergeLock(existing: Lockfile | undefined, installed: readonly LockEntry[]): Lockfile {
  const byId = new Map((existing?.packs ?? []).map((p) => [p.id, pick(p)]))
  for (const entry of installed) byId.set(entry.id, pick(entry))
  return { version: LOCKFILE_VERSION, packs: sortById([...byId.values()]) }
}

/** The pins of a lockfile keyed by id, as {@link resolve} takes them. */
export function lockedPins(lock: Lockfile | undefined): Map<string, LockEntry> {
  return new Map((lock?.packs ?? []).map((p) => [p.id, p]))
}

function parseEntry(pack: unknown, index: number, file: string): LockEntry {
  if (typeof pack !== 'object' || pack === null || Array.isArray(pack)) {
    throw new LockfileError(file, `[[pack]] #${index + 1}`, 'must be a table', { index })
  }
  const table = pack as Record<string, unknown>
  const label = typeof table.id === 'string' ? table.id : undefined
  const field = (name: keyof LockEntry, check: (value: string) => string | undefined): string => {
    const value = table[name]
    const problem =
      value === undefined ? 'missing' : typeof value !== 'string' ? 'must be a string' : check(value)
    if (problem !== undefined) {
      throw new LockfileError(file, where(index, label, name), problem, { index, field: name })
    }
    return value as string
  }
  return {
    id: field('id', (v) => (PACKAGE_ID_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a package id`)),
    version: field('version', (v) =>
      semver.valid(v) === v ? undefined : `${JSON.stringify(v)} is not a semver version`,
    ),
    cid: field('cid', cidProblem),
    publisher: field('publisher', (v) =>
      DID_KEY_RE.test(v) ? undefined : `${JSON.stringify(v)} is not a publisher key (did:key:z...)`,
    ),
    record: field('record', cidProblem),
  }
}

function cidProblem(value: string): string | undefined {
  try {
    CID.parse(value)
    return undefined
  } catch (err) {
    return `${JSON.stringify(value)} is not a CID (${(err as Error).message})`
  }
}

function where(index: number, id: string | undefined, field: string): string {
  return `[[pack]] #${index + 1}${id === undefined ? '' : ` (${id})`}, field ${field}`
}

function pick(entry: LockEntry): LockEntry {
  return {
    id: entry.id,
    version: entry.version,
    cid: entry.cid,
    publisher: entry.publisher,
    record: entry.record,
  }
}

function sortById(entries: LockEntry[]): LockEntry[] {
  return [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Makes the rename durable; some platforms cannot fsync a directory, which only costs durability. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // best effort, see above
  }
}
