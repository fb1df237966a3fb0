import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { identity } from 'multiformats/hashes/identity'
import { sha256, sha512 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openContentStore } from '../../../src/content/blockstore.js'
import { VerifiedBlockstore } from '../../../src/content/verified-blockstore.js'
import { ContentError } from '../../../src/domain/errors.js'
import { blockFile, tempDir } from './helpers.js'

const bytesOf = (text: string) => new TextEncoder().encode(text)
const rawCid = async (bytes: Uint8Array) => CID.createV1(raw.code, await sha256.digest(bytes))
async function collect(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return new TextDecoder().decode(Buffer.concat(chunks))
}

describe('openContentStore', () => {
  let dir: string
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => {
    await cleanup()
  })

  it('creates blocks/ and datastore/ under the directory and starts Helia', async () => {
    const store = await openContentStore(join(dir, 'content'))
    try {
      expect((await readdir(join(dir, 'content'))).sort()).toEqual(['blocks', 'datastore'])
      expect(store.helia.status).toBe('started')
    } finally {
      await store.close()
    }
    expect(store.helia.status).toBe('stopped')
  })

  it('keeps blocks across a close and a reopen', async () => {
    const bytes = bytesOf('kept')
    const cid = await rawCid(bytes)
    const first = await openContentStore(join(dir, 'content'))
    await first.blockstore.put(cid, bytes)
    await first.close()

    const second = await openContentStore(join(dir, 'content'))
    try {
      expect(await second.blockstore.has(cid)).toBe(true)
      expect(await collect(second.blockstore.get(cid))).toBe('kept')
    } finally {
      await second.close()
    }
  })

  it('close can be called twice, also concurrently', async () => {
    const store = await openContentStore(join(dir, 'content'))
    await Promise.all([store.close(), store.close()])
    await expect(store.close()).resolves.toBeUndefined()
  })

  it('evict deletes a block from disk', async () => {
    const store = await openContentStore(join(dir, 'content'))
    try {
      const bytes = bytesOf('evict me')
      const cid = await rawCid(bytes)
      await store.blockstore.put(cid, bytes)
      await store.evict(cid)
      expect(await store.blockstore.has(cid)).toBe(false)
    } finally {
      await store.close()
    }
  })
})

describe('VerifiedBlockstore', () => {
  let dir: string
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => {
    await cleanup()
  })

  it('returns a block whose bytes hash to its CID, and refuses one that does not', async () => {
    const store = await openContentStore(join(dir, 'content'))
    try {
      const good = bytesOf('good block')
      const cid = await rawCid(good)
      await store.blockstore.put(cid, good)
      const seen: number[] = []
      const verified = new VerifiedBlockstore(store.blockstore, { onBlock: (_, n) => seen.push(n) })
      expect(await collect(verified.get(cid))).toBe('good block')
      expect(seen).toEqual([good.byteLength])

      // A torn write: the file is shorter than the block.
      await writeFile(blockFile(join(dir, 'content'), cid), good.subarray(0, 4))
      const err = await collect(verified.get(cid)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ContentError)
      expect(err).toMatchObject({
        code: 'ERR_BLOCK_CORRUPT',
        details: { cid: cid.toString(), evicted: false },
      })
      expect(await store.blockstore.has(cid)).toBe(true) // no evict hook given: left in place
    } finally {
      await store.close()
    }
  })

  it('refuses CIDs whose multihash is not sha2-256 (package DAGs never use another)', async () => {
    const store = await openContentStore(join(dir, 'content'))
    try {
      const verified = new VerifiedBlockstore(store.blockstore)
      for (const hasher of [sha512, identity]) {
        const cid = CID.createV1(raw.code, await hasher.digest(bytesOf('x')))
        const err = await collect(verified.get(cid)).catch((e: unknown) => e)
        expect(err).toMatchObject({ code: 'ERR_BLOCK_UNSUPPORTED_HASH' })
      }
    } finally {
      await store.close()
    }
  })
})
