/**
 * Packs scanned files into one UnixFS directory DAG in the content store. The root CID is
 * what a release signs, so the DAG depends only on the files' relative paths and bytes
 * (see dag-options.ts): not on their order, mtime, mode, the machine or the run. Files are
 * streamed from disk, so memory stays bounded whatever the package size.
 */

import type { WritableStorage } from 'ipfs-unixfs-importer'
import { importer } from 'ipfs-unixfs-importer'
import type { CID } from 'multiformats/cid'
import { ContentError } from '../domain/errors.js'
import type { ContentStore } from './blockstore.js'
import { packageImporterOptions } from './dag-options.js'
import { readPackFile } from './file-source.js'
import type { PackFile } from './scan.js'

/** Progress of a pack: one event per file whose DAG is complete, in path order. */
export type PackProgressEvent = {
  type: 'pack:file'
  path: string
  /** This file's size. */
  bytes: number
  /** Files done so far, this one included. */
  files: number
  totalFiles: number
}

/** Options of `packDirectory` and `hashDirectory`. */
export interface PackOptions {
  signal?: AbortSignal
  onProgress?: (event: PackProgressEvent) => void
}

/** A packed package. */
export interface PackResult {
  /** The UnixFS root of the package directory. */
  cid: CID
  /** Total bytes of the package's files. */
  size: number
}

/** Imports `files` into the store as one directory DAG; see the module comment. */
export async function packDirectory(
  store: Pick<ContentStore, 'blockstore'>,
  files: readonly PackFile[],
  options: PackOptions = {},
): Promise<PackResult> {
  const { cid, size } = await buildPackageDag(files, store.blockstore, options)
  return { cid, size }
}

/** What `buildPackageDag` produced. */
export interface PackageDag extends PackResult {
  /** The root CID of every file's own DAG, by relative path. */
  fileCids: Map<string, CID>
}

/** Builds the package DAG of `files`, writing its blocks to `blockstore`. */
export async function buildPackageDag(
  files: readonly PackFile[],
  blockstore: WritableStorage,
  options: PackOptions = {},
): Promise<PackageDag> {
  const sorted = checkedAndSorted(files)
  const byPath = new Map(sorted.map((f) => [f.path, f]))
  const { signal, onProgress } = options
  const candidates = sorted.map((file) => ({ path: file.path, content: readPackFile(file, signal) }))

  const fileCids = new Map<string, CID>()
  let root: CID | undefined
  for await (const entry of importer(candidates, blockstore, packageImporterOptions())) {
    signal?.throwIfAborted()
    const path = entry.path ?? ''
    const file = byPath.get(path)
    if (file !== undefined) {
      fileCids.set(path, entry.cid)
      onProgress?.({
        type: 'pack:file',
        path,
        bytes: file.size,
        files: fileCids.size,
        totalFiles: sorted.length,
      })
    } else if (path === '') {
      root = entry.cid
    }
  }
  if (root === undefined) throw new Error('the UnixFS importer yielded no root directory')
  return { cid: root, size: sorted.reduce((n, f) => n + f.size, 0), fileCids }
}

/** Sorted copy of `files`, refusing paths a directory DAG cannot hold unambiguously. */
function checkedAndSorted(files: readonly PackFile[]): PackFile[] {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  for (const [i, file] of sorted.entries()) {
    const bad = file.path.split('/').some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))
    if (bad || (i > 0 && sorted[i - 1]!.path === file.path)) {
      throw new ContentError(
        'ERR_PACK_PATH',
        `cannot pack ${JSON.stringify(file.path)}: package paths must be relative, '/'-separated, without '.' or '..' segments, and unique`,
        { path: file.path },
      )
    }
  }
  return sorted
}
