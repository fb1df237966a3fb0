import { join } from 'node:path'
import { createUnsafe } from 'multiformats/block'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BlockFeed } from '../../../src/content/block-feed.js'
import { type ContentStore, openContentStore } from '../../../src/content/blockstore.js'
import { packDirectory } from '../../../src/content/pack.js'
import { scanPackageDir } from '../../../src/content/scan.js'
import { extractPackage } from '../../../src/content/unpack.js'
import { pseudoRandomBytes, readTree, samplePackage, tempDir, writeTree } from './helpers.js'

describe('BlockFeed', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let store: ContentStore
  /** CIDs the feed read from the store, in order. */
  let storeReads: string[]
  /** The content store's blockstore, recording each read the feed makes of it. */
  let recorded: ContentStore['blockstore']

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    store = await openContentStore(join(dir, 'content'))
    storeReads = []
    recorded = {
      has: (cid, options) => store.blockstore.has(cid, options),
      put: (cid, bytes, options) => store.blockstore.put(cid, bytes, options),
      get: (cid, options) => {
        storeReads.push(cid.toString())
        return store.blockstore.get(cid, options)
      },
    }
  })
  afterEach(async () => {
    await store.close()
    await cleanup()
  })

  const block = async (seed: number, size = 1000) => {
    const bytes = pseudoRandomBytes(size, seed)
    const cid = CID.createV1(raw.code, await sha256.digest(bytes))
    await store.blockstore.put(cid, bytes)
    return { cid, bytes }
  }
  const read = async (feed: BlockFeed, cid: CID, signal?: AbortSignal) => {
    const parts: Uint8Array[] = []
    for await (const part of feed.get(cid, signal === undefined ? {} : { signal })) parts.push(part)
    return Buffer.concat(parts)
  }

  it('makes a read of a block not offered yet wait for the offer, and never reads it from the store', async () => {
    const feed = new BlockFeed(recorded)
    const { cid, bytes } = await block(1)
    let settled = false
    const reading = read(feed, cid).finally(() => {
      settled = true
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).toBe(false)

    feed.offer(cid, bytes)

    expect(await reading).toEqual(Buffer.from(bytes))
    expect(storeReads).toEqual([])
  })

  it('hands a block offered before its read over once from memory; a second read goes to the store', async () => {
    const feed = new BlockFeed(recorded)
    const { cid, bytes } = await block(2)
    feed.offer(cid, bytes)

    expect(await read(feed, cid)).toEqual(Buffer.from(bytes))
    expect(storeReads).toEqual([])
    expect(await read(feed, cid)).toEqual(Buffer.from(bytes))
    expect(storeReads).toEqual([cid.toString()])
  })

  it('holds at most maxHeldBytes of offered blocks; one offered beyond that is read from the store', async () => {
    const feed = new BlockFeed(recorded, { maxHeldBytes: 1500 })
    const first = await block(3)
    const second = await block(4)
    feed.offer(first.cid, first.bytes)
    feed.offer(second.cid, second.bytes)

    expect(await read(feed, second.cid)).toEqual(Buffer.from(second.bytes))
    expect(await read(feed, first.cid)).toEqual(Buffer.from(first.bytes))
    expect(storeReads).toEqual([second.cid.toString()])
  })

  it('sends waiting and later reads to the store once the fetch is over, as with a fetcher that never offers', async () => {
    const feed = new BlockFeed(recorded)
    const waited = await block(5)
    const later = await block(6)
    const reading = read(feed, waited.cid)

    feed.end()

    expect(await reading).toEqual(Buffer.from(waited.bytes))
    expect(await read(feed, later.cid)).toEqual(Buffer.from(later.bytes))
    expect(storeReads).toEqual([waited.cid.toString(), later.cid.toString()])
  })

  it('rejects a waiting read with the reason of its abort', async () => {
    const feed = new BlockFeed(recorded)
    const { cid } = await block(7)
    const controller = new AbortController()
    const reading = read(feed, cid, controller.signal)
    const reason = new Error('the fetch failed')

    controller.abort(reason)

    await expect(reading).rejects.toBe(reason)
    expect(storeReads).toEqual([])
  })

  it('extracts a package through the feed while its blocks are offered in scrambled order, reading none back', async () => {
    await writeTree(join(dir, 'src'), samplePackage())
    const { cid: root } = await packDirectory(store, (await scanPackageDir(join(dir, 'src'))).files)
    const blocks = await dagBlocks(store, root)
    const feed = new BlockFeed(recorded)

    const extracting = extractPackage({ blockstore: feed }, root, join(dir, 'out'))
    // Offer from the end backwards, yielding to the extraction between offers.
    for (const { cid, bytes } of blocks.reverse()) {
      await new Promise((resolve) => setImmediate(resolve))
      feed.offer(cid, bytes)
    }
    feed.end()
    await extracting

    expect(await readTree(join(dir, 'out'))).toEqual(await readTree(join(dir, 'src')))
    expect(storeReads).toEqual([])
  })
})

/** Every block of the DAG under `root`, read from `store`, parents first. */
async function dagBlocks(store: ContentStore, root: CID): Promise<{ cid: CID; bytes: Uint8Array }[]> {
  const out: { cid: CID; bytes: Uint8Array }[] = []
  const todo = [root]
  const seen = new Set<string>()
  for (let cid = todo.shift(); cid !== undefined; cid = todo.shift()) {
    if (seen.has(cid.toString())) continue
    seen.add(cid.toString())
    const parts: Uint8Array[] = []
    for await (const part of store.blockstore.get(cid, { offline: true })) parts.push(part)
    const bytes = Buffer.concat(parts)
    out.push({ cid, bytes })
    const codec = await store.helia.getCodec(cid.code)
    for (const [, link] of createUnsafe({ bytes, cid, codec }).links()) todo.push(link)
  }
  return out
}
