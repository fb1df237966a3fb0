/**
 * Extracts a stored package into a directory, atomically (SPEC 6): everything is written
 * and fsynced into a fresh temporary directory next to the target (same file system),
 * and only then renamed into place, with any previous content renamed aside first and
 * removed last. A failure at any point (a missing or damaged block, a hostile name, a
 * full disk, an abort) removes the temporary directory and leaves the target as it was.
 *
 * A `kill -9` between the two renames can leave the old content under `.old-<name>-<hex>`
 * and no target; `recoverInterruptedExtract` puts it back. Callers hold a lock over the
 * target directory (one install per project at a time), which both functions rely on.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import type { CID } from 'multiformats/cid'
import { ContentError } from '../domain/errors.js'
import { formatBytes } from './scan.js'
import { VerifiedBlockstore } from './verified-blockstore.js'
import { type PackageSource, walkPackage } from './walk.js'

/** Files (and, at the end, directories) written and synced at once. */
const FILES_IN_FLIGHT = 8

/** Progress of an extraction. */
export type ExtractProgressEvent =
  /** A block was read and verified; `blocks` and `bytes` are totals so far. */
  | { type: 'extract:block'; cid: string; blocks: number; bytes: number }
  /** A file was written and synced; `files` counts files so far, this one included. */
  | { type: 'extract:file'; path: string; bytes: number; files: number }

/** Options of `extractPackage`. */
export interface ExtractOptions {
  signal?: AbortSignal
  onProgress?: (event: ExtractProgressEvent) => void
  /** Never ask the network for a missing block. @default false */
  offline?: boolean
  /**
   * Refuse a package whose files total more than this (e.g. the size its signed release
   * states), so a DAG that reuses one big block many times cannot fill the disk.
   */
  maxBytes?: number
}

/** What was extracted. */
export interface ExtractResult {
  files: number
  bytes: number
}

/** Extracts the package DAG `root` into `destDir`; see the module comment. */
export async function extractPackage(
  store: PackageSource,
  root: CID,
  destDir: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const dest = resolve(destDir)
  const parent = dirname(dest)
  await mkdir(parent, { recursive: true })
  const tmp = join(parent, `.tmp-${basename(dest)}-${randomBytes(6).toString('hex')}`)
  await mkdir(tmp)
  try {
    const result = await writeTree(store, root, tmp, options)
    options.signal?.throwIfAborted()
    await swapInto(tmp, dest)
    return result
  } catch (err) {
    await rm(tmp, { recursive: true, force: true })
    throw err
  }
}

async function writeTree(
  store: PackageSource,
  root: CID,
  tmp: string,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const { signal, onProgress, offline, maxBytes } = options
  let blocks = 0
  let blockBytes = 0
  const verified = new VerifiedBlockstore(store.blockstore, {
    evict: store.evict?.bind(store),
    offline,
    onBlock: (cid, bytes) => {
      blocks++
      blockBytes += bytes
      onProgress?.({ type: 'extract:block', cid: cid.toString(), blocks, bytes: blockBytes })
    },
  })

  const dirs = [tmp]
  let files = 0
  let declared = 0
  let total = 0
  const writers = new FileWriters(FILES_IN_FLIGHT)
  try {
    for await (const entry of walkPackage(verified, root, { signal, offline })) {
      const target = inside(tmp, entry.path)
      if (entry.type === 'directory') {
        await mkdir(target)
        dirs.push(target)
        continue
      }
      if (maxBytes !== undefined && declared + entry.size > maxBytes) throw tooLarge(root, maxBytes)
      declared += entry.size
      const { path } = entry
      await writers.add(
        () => writeFile(target, entry.content({ signal, offline })),
        (written) => {
          total += written
          if (maxBytes !== undefined && total > maxBytes) throw tooLarge(root, maxBytes)
          files++
          onProgress?.({ type: 'extract:file', path, bytes: written, files })
        },
      )
    }
    await writers.drain()
  } finally {
    await writers.settled()
  }
  // A file's name is only durable once its directory is synced too.
  for (let i = 0; i < dirs.length; i += FILES_IN_FLIGHT) {
    await Promise.all(dirs.slice(i, i + FILES_IN_FLIGHT).map(syncPath))
  }
  return { files, bytes: total }
}

/** Writes a new file at `target` from `content` and fsyncs it; returns its size. */
async function writeFile(target: string, content: AsyncIterable<Uint8Array>): Promise<number> {
  const handle = await open(target, 'wx', 0o644)
  try {
    let written = 0
    for await (const chunk of content) {
      await handle.write(chunk)
      written += chunk.byteLength
    }
    await handle.sync()
    return written
  } finally {
    await handle.close()
  }
}

/**
 * Files being written and synced, several at once: each waits on block reads and on the
 * disk, so one at a time leaves both idle. `then` (a file's progress event) runs once its
 * file is synced and after the `then` of every file before it, so events stay in DAG order.
 */
class FileWriters {
  readonly #running = new Set<Promise<unknown>>()
  #tail: Promise<void> = Promise.resolve()
  #failure: { error: unknown } | undefined

  constructor(private readonly limit: number) {}

  /** Starts `write`; returns once fewer than `limit` are in flight; throws an earlier failure. */
  async add(write: () => Promise<number>, then: (written: number) => void): Promise<void> {
    this.#throwIfFailed()
    const written = write()
    const settled: Promise<unknown> = written.then(
      () => undefined,
      () => undefined,
    )
    this.#running.add(settled)
    void settled.then(() => this.#running.delete(settled))
    const tail = this.#tail.then(() => written).then(then)
    tail.catch((error: unknown) => {
      this.#failure ??= { error }
    })
    this.#tail = tail
    while (this.#running.size >= this.limit) await Promise.race(this.#running)
    this.#throwIfFailed()
  }

  /** Waits for every file and its `then`; throws the first failure. */
  async drain(): Promise<void> {
    await this.#tail
  }

  /** Waits until no write is in flight (every file closed); never throws. */
  async settled(): Promise<void> {
    await Promise.all(this.#running)
  }

  #throwIfFailed(): void {
    if (this.#failure !== undefined) throw this.#failure.error
  }
}

/** Renames `tmp` to `dest`, moving any previous `dest` aside first and deleting it last. */
async function swapInto(tmp: string, dest: string): Promise<void> {
  const parent = dirname(dest)
  let aside: string | undefined = join(parent, `.old-${basename(dest)}-${randomBytes(6).toString('hex')}`)
  try {
    await rename(dest, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    aside = undefined
  }
  try {
    await rename(tmp, dest)
  } catch (err) {
    if (aside !== undefined) await rename(aside, dest)
    throw err
  }
  await syncPath(parent)
  if (aside !== undefined) await rm(aside, { recursive: true, force: true })
}

/** What `recoverInterruptedExtract` did. */
export interface RecoveryResult {
  /** True when the previous content was moved back to the target. */
  restored: boolean
  /** Leftover temporary or set-aside directories that were deleted. */
  removed: string[]
}

/**
 * Repairs what a killed extraction into `destDir` left behind: puts the set-aside previous
 * content back if the target is missing, and deletes leftover temporary directories.
 */
export async function recoverInterruptedExtract(destDir: string): Promise<RecoveryResult> {
  const dest = resolve(destDir)
  const parent = dirname(dest)
  const pattern = new RegExp(`^\\.(tmp|old)-${escapeRegExp(basename(dest))}-[0-9a-f]{12}$`)
  let names: string[]
  try {
    names = (await readdir(parent)).filter((n) => pattern.test(n)).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { restored: false, removed: [] }
    throw err
  }
  let restored = false
  const old = names.find((n) => n.startsWith('.old-'))
  if (old !== undefined && !(await exists(dest))) {
    await rename(join(parent, old), dest)
    await syncPath(parent)
    restored = true
  }
  const removed: string[] = []
  for (const name of names) {
    if (restored && name === old) continue
    await rm(join(parent, name), { recursive: true, force: true })
    removed.push(join(parent, name))
  }
  return { restored, removed }
}

/** `root/rel`, refusing (again, after walk.ts's name checks) anything that lands outside `root`. */
function inside(root: string, rel: string): string {
  const target = resolve(root, rel)
  const back = relative(root, target)
  if (back === '' || back === '..' || back.startsWith(`..${sep}`) || isAbsolute(back)) {
    throw new ContentError(
      'ERR_DAG_UNSAFE_NAME',
      `${rel}: this path would be written outside the install directory`,
      {
        path: rel,
      },
    )
  }
  return target
}

function tooLarge(root: CID, maxBytes: number): ContentError {
  return new ContentError(
    'ERR_PACKAGE_TOO_LARGE',
    `package ${root} holds more than the ${formatBytes(maxBytes)} of files it may hold (the size its release states); it was not installed`,
    { cid: root.toString(), maxBytes },
  )
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
