/**
 * Computes the package DAG of files on disk without storing it: `verify` re-hashes an
 * installed package and compares the root with ggen.lock, and per-file CIDs with the
 * stored DAG to name what changed. It runs the very importer code `packDirectory` runs,
 * with a block sink that discards, so the two agree by construction (and a test holds
 * them to it).
 */
import type { CID } from 'multiformats/cid'
import { buildPackageDag, type PackOptions } from './pack.js'
import type { PackFile } from './scan.js'

/** The DAG of some files, as `packDirectory` would store it. */
export interface DirectoryHash {
  /** The root CID `packDirectory` would return. */
  cid: CID
  /** The CID of each file's DAG, by relative path. */
  fileCids: Map<string, CID>
}

/** A block sink: the importer hashes each block and hands it over; nothing is kept. */
const discard = {
  put: async (cid: CID): Promise<CID> => cid,
}

/** Hashes `files` into their package DAG without storing any block. */
export async function hashDirectory(
  files: readonly PackFile[],
  options: PackOptions = {},
): Promise<DirectoryHash> {
  const { cid, fileCids } = await buildPackageDag(files, discard, options)
  return { cid, fileCids }
}
