/**
 * The node's content store: package blocks on disk (`DIR/blocks`, one file per block) and
 * Helia's own datastore (`DIR/datastore`), behind a Helia node. The offline node uses a
 * light Helia with no network; the daemon builds a full Helia (Bitswap) over the same two
 * directories, so everything here talks to the Helia-shaped `blockstore` only.
 *
 * Durability: blockstore-fs writes each block to a temporary file and renames it into
 * place (steno), so a killed process never leaves a half-written block under its final
 * name. It does not fsync, so after a power loss a block may be short or zeroed; every
 * read that matters goes through `VerifiedBlockstore`, which re-hashes the bytes, and
 * `evict` removes a damaged copy so that it can be fetched or imported again (Helia skips
 * a `put` of a block it already "has").
 */
import { join } from 'node:path'
import { FsBlockstore } from 'blockstore-fs'
import { FsDatastore } from 'datastore-fs'
import type { Blocks, Helia } from 'helia'
import { createHeliaLight } from 'helia'
import type { CID } from 'multiformats/cid'

/** The capabilities of the block store that packing and unpacking use. */
export type ContentBlockstore = Pick<Blocks, 'has' | 'get' | 'put'>

/** An open content store; see the module comment. */
export interface ContentStore {
  /** The Helia node over the store (light and offline until the daemon builds its own). */
  readonly helia: Helia
  /** Where blocks are read and written; reads may fetch from the network in the daemon. */
  readonly blockstore: ContentBlockstore
  /** Deletes one block from disk, bypassing pins: used for blocks that failed verification. */
  evict(cid: CID): Promise<void>
  /** Stops Helia and closes both stores; safe to call more than once. */
  close(): Promise<void>
}

/** Opens (creating if needed) the content store in `dir`. */
export async function openContentStore(dir: string): Promise<ContentStore> {
  const blocks = new FsBlockstore(join(dir, 'blocks'))
  const datastore = new FsDatastore(join(dir, 'datastore'))
  await blocks.open()
  await datastore.open()
  const helia = createHeliaLight({ blockstore: blocks, datastore })
  try {
    await helia.start()
  } catch (err) {
    await helia.stop().catch(() => {})
    await Promise.all([blocks.close(), datastore.close()])
    throw err
  }

  let closing: Promise<void> | undefined
  return {
    helia,
    blockstore: helia.blockstore,
    evict: async (cid) => {
      await blocks.delete(cid)
    },
    close: () => {
      closing ??= (async () => {
        try {
          await helia.stop()
        } finally {
          await Promise.all([blocks.close(), datastore.close()])
        }
      })()
      return closing
    },
  }
}
