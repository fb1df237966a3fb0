/**
 * The one set of UnixFS importer settings every package DAG is built with. A package's
 * CID is part of its signed release and of every ggen.lock, so these values are pinned
 * here rather than left to library defaults (which changed between @helia/unixfs majors:
 * it now defaults to 1 MiB chunks). Changing any of them changes every CID: don't, unless
 * the network is also told how to tell old DAGs from new ones.
 *
 * The values are those of `ipfs add --cid-version=1` in kubo (256 KiB fixed chunks, raw
 * leaves, balanced layout with 174 links per node, HAMT sharding past 256 KiB of links),
 * with no mtime and no mode recorded, so a package directory hashes the same on every
 * machine and in every run.
 */

import type { ImporterOptions } from 'ipfs-unixfs-importer'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'

/** Fixed chunk size of file contents. */
export const CHUNK_SIZE = 262_144

/** Most links in one node of a file's balanced DAG. */
export const MAX_CHILDREN_PER_NODE = 174

/**
 * How many files and blocks are in flight at once. They bound memory while packing
 * (at most files x blocks x chunk = 8 MiB of file data) and do not affect the CID.
 */
const FILE_IMPORT_CONCURRENCY = 8
const BLOCK_WRITE_CONCURRENCY = 4

/** Importer options for package DAGs; spread into `importer()` or `unixfs.addAll()`. */
export function packageImporterOptions(): Omit<ImporterOptions, 'onProgress'> {
  return {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: CHUNK_SIZE }),
    layout: balanced({ maxChildrenPerNode: MAX_CHILDREN_PER_NODE }),
    shardSplitThresholdBytes: 262_144,
    shardSplitStrategy: 'links-bytes',
    shardFanoutBits: 8,
    fieldOrder: 'links-first',
    // The package root is a directory holding the files under their relative paths.
    wrapWithDirectory: true,
    fileImportConcurrency: FILE_IMPORT_CONCURRENCY,
    blockWriteConcurrency: BLOCK_WRITE_CONCURRENCY,
  }
}
