/**
 * Walks a stored package DAG through a `VerifiedBlockstore`, treating it as hostile: it
 * may come from any peer or bundle. Entry names that could leave the target directory
 * ('', '.', '..', anything with '/' or NUL), duplicate names, symlinks and anything that
 * is not a UnixFS file or directory are refused with a ContentError naming the path.
 */

import type { UnixFSDirectory, UnixFSEntry } from 'ipfs-unixfs-exporter'
import { exporter } from 'ipfs-unixfs-exporter'
import type { CID } from 'multiformats/cid'
import { ContentError, GgenError } from '../domain/errors.js'
import type { ContentBlockstore } from './blockstore.js'
import { atPackagePath, VerifiedBlockstore } from './verified-blockstore.js'

/** Bytes of a file read per exporter call: bounds memory, as the exporter reads ahead freely. */
const READ_WINDOW = 4 * 1024 * 1024

/** Entries of a directory whose first block is read ahead of the one being extracted. */
const LOOKAHEAD = 16

/** How many blocks of one file the exporter fetches at once. */
const BLOCK_READ_CONCURRENCY = 4

/** What walking and extracting need from a content store. */
export interface PackageSource {
  blockstore: Pick<ContentBlockstore, 'get'>
  /** Removes a block that failed verification, so it can be fetched again. */
  evict?(cid: CID): Promise<void>
}

/** Options of a walk. */
export interface WalkOptions {
  signal?: AbortSignal
  /** Never ask the network for a missing block. @default false */
  offline?: boolean
}

/** One entry of a package, in DAG order (sorted by name), a directory before its contents. */
export type PackageEntry =
  | { type: 'directory'; path: string; cid: CID }
  | {
      type: 'file'
      path: string
      cid: CID
      size: number
      /** The file's bytes, verified block by block, read in bounded windows. */
      content(options?: WalkOptions): AsyncGenerator<Uint8Array>
    }

/** A file of a stored package, as `listDag` yields it. */
export interface DagFile {
  path: string
  cid: CID
  size: number
}

/** Lists the files of the package DAG `root` (reading only directory and file-root blocks). */
export async function* listDag(
  store: PackageSource,
  root: CID,
  options: WalkOptions = {},
): AsyncGenerator<DagFile> {
  const blocks = new VerifiedBlockstore(store.blockstore, {
    evict: store.evict?.bind(store),
    offline: options.offline,
  })
  for await (const entry of walkPackage(blocks, root, options)) {
    if (entry.type === 'file') yield { path: entry.path, cid: entry.cid, size: entry.size }
  }
}

/** Walks the package DAG `root`; see the module comment. */
export async function* walkPackage(
  blocks: VerifiedBlockstore,
  root: CID,
  options: WalkOptions = {},
): AsyncGenerator<PackageEntry> {
  const top = await resolveEntry(blocks, root, '', options)
  if (top.type !== 'directory') {
    throw new ContentError(
      'ERR_PACKAGE_NOT_DIRECTORY',
      `${root} is not a package: its root is a ${top.type}, not a directory`,
      { cid: root.toString() },
    )
  }
  yield* walkDirectory(blocks, top, '', options)
}

async function* walkDirectory(
  blocks: VerifiedBlockstore,
  dir: UnixFSDirectory,
  prefix: string,
  options: WalkOptions,
): AsyncGenerator<PackageEntry> {
  const ahead = lookAhead(blocks, dir, prefix, options)
  for (;;) {
    const next = await ahead.shift()
    if (next === undefined) return
    if ('error' in next) throw next.error
    const { path, cid } = next
    const entry = await next.entry
    if (entry.type === 'directory') {
      yield { type: 'directory', path, cid }
      yield* walkDirectory(blocks, entry, path, options)
    } else if ((entry.type === 'file' && entry.unixfs.type !== 'symlink') || entry.type === 'raw') {
      const size = Number(entry.size)
      yield {
        type: 'file',
        path,
        cid,
        size,
        content: (opts = options) => readWindows(entry, path, size, opts),
      }
    } else {
      const what = entry.type === 'file' ? `a UnixFS ${entry.unixfs.type}` : `a ${entry.type} node`
      throw new ContentError('ERR_DAG_INVALID', `${path}: the package DAG holds ${what} here, not a file`, {
        path,
        cid: cid.toString(),
      })
    }
  }
}

type Ahead = { path: string; cid: CID; entry: Promise<UnixFSEntry> } | { error: unknown }

/**
 * The children of `dir` in order, each resolved up to LOOKAHEAD entries ahead of the one
 * being used: resolving reads a block, and one read at a time would leave the disk (or the
 * fetch the install runs alongside) idle between them. A bad child becomes an error in its
 * place, so errors still surface in DAG order.
 */
function lookAhead(
  blocks: VerifiedBlockstore,
  dir: UnixFSDirectory,
  prefix: string,
  options: WalkOptions,
): { shift(): Promise<Ahead | undefined> } {
  const seen = new Set<string>()
  const children = dir.entries({ signal: options.signal, offline: options.offline })
  const queue: Ahead[] = []
  let exhausted = false
  const fill = async (): Promise<void> => {
    while (!exhausted && queue.length < LOOKAHEAD) {
      let next: IteratorResult<{ name: string; cid: CID }>
      try {
        next = await children.next()
      } catch (err) {
        exhausted = true
        queue.push({ error: inDag(err, prefix) })
        return
      }
      if (next.done === true) {
        exhausted = true
        return
      }
      const { name, cid } = next.value
      const path = prefix === '' ? name : `${prefix}/${name}`
      const refused = checkName(name, prefix) ?? (seen.has(name) ? duplicateName(path) : undefined)
      if (refused !== undefined) {
        exhausted = true
        queue.push({ error: refused })
        return
      }
      seen.add(name)
      const entry = resolveEntry(blocks, cid, path, options)
      // Awaited in turn; one that fails after the walk stopped must not go unhandled.
      entry.catch(() => {})
      queue.push({ path, cid, entry })
    }
  }
  return {
    shift: async () => {
      await fill()
      return queue.shift()
    },
  }
}

function duplicateName(path: string): ContentError {
  return new ContentError('ERR_DAG_DUPLICATE_NAME', `${path}: the package DAG lists this name twice`, {
    path,
  })
}

async function resolveEntry(
  blocks: VerifiedBlockstore,
  cid: CID,
  path: string,
  options: WalkOptions,
): Promise<UnixFSEntry> {
  try {
    return await exporter(cid, blocks, { signal: options.signal, offline: options.offline })
  } catch (err) {
    throw inDag(err, path)
  }
}

async function* readWindows(
  entry: Extract<UnixFSEntry, { type: 'file' | 'raw' }>,
  path: string,
  size: number,
  options: WalkOptions,
): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < size; offset += READ_WINDOW) {
    const length = Math.min(READ_WINDOW, size - offset)
    try {
      yield* entry.content({
        offset,
        length,
        signal: options.signal,
        offline: options.offline,
        blockReadConcurrency: BLOCK_READ_CONCURRENCY,
      })
    } catch (err) {
      throw inDag(err, path)
    }
  }
}

function checkName(name: string, prefix: string): ContentError | undefined {
  if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    return new ContentError(
      'ERR_DAG_UNSAFE_NAME',
      `${prefix === '' ? 'package root' : prefix}: the package DAG holds an entry named ${JSON.stringify(name)}, which could write outside the install directory; this content was not made by ggen-market and is refused`,
      { path: prefix, name },
    )
  }
  return undefined
}

/**
 * Our errors get the path; the exporter's own (malformed protobuf, sizes that do not add
 * up, unknown codecs) become ERR_DAG_INVALID; an abort stays an abort.
 */
function inDag(err: unknown, path: string): unknown {
  if (err instanceof GgenError) return atPackagePath(err, path)
  if ((err as { name?: unknown } | null)?.name === 'AbortError') return err
  const reason = err instanceof Error ? err.message : String(err)
  return new ContentError(
    'ERR_DAG_INVALID',
    `${path === '' ? 'package root' : path}: the package DAG is malformed (${reason}); it cannot be installed`,
    { path },
  )
}
