import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ContentStore, openContentStore } from '../../../src/content/blockstore.js'
import { packDirectory } from '../../../src/content/pack.js'
import { scanPackageDir } from '../../../src/content/scan.js'
import { VerifiedBlockstore } from '../../../src/content/verified-blockstore.js'
import { walkPackage } from '../../../src/content/walk.js'
import { type FetchContext, fetchContent } from '../../../src/net/fetch-content.js'
import { tempDir, writeTree } from '../content/helpers.js'

let dir: string
let cleanup: () => Promise<void>
let store: ContentStore

beforeEach(async () => {
  ;({ dir, cleanup } = await tempDir())
  store = await openContentStore(join(dir, 'content'))
})
afterEach(async () => {
  await store.close()
  await cleanup()
})

/** Packs `files`; returns the root and the CID of each directory and file by path. */
async function pack(files: Record<string, string>): Promise<{ root: CID; cids: Map<string, CID> }> {
  await writeTree(join(dir, 'src'), files)
  const { cid: root } = await packDirectory(store, (await scanPackageDir(join(dir, 'src'))).files)
  const cids = new Map<string, CID>()
  for await (const entry of walkPackage(new VerifiedBlockstore(store.blockstore), root, { offline: true })) {
    cids.set(entry.path, entry.cid)
  }
  return { root, cids }
}

/**
 * A fetch context over the store whose reads each wait until the test releases that
 * block, so the test decides in which order blocks "arrive" and sees what is asked next.
 */
function gated(): { ctx: FetchContext; asked: string[]; release(cid: CID | undefined): void } {
  const asked: string[] = []
  const gates = new Map<string, () => void>()
  const ctx: FetchContext = {
    blockstore: {
      async *get(cid, options) {
        asked.push(cid.toString())
        await new Promise<void>((resolve, reject) => {
          gates.set(cid.toString(), resolve)
          options?.signal?.addEventListener('abort', () => reject(options.signal?.reason), { once: true })
        })
        yield* store.blockstore.get(cid, { offline: true })
      },
    },
    getCodec: store.helia.getCodec,
    peers: () => ['12D3KooWPeerOne', '12D3KooWPeerTwo'],
    timeoutMs: 10_000,
  }
  return { ctx, asked, release: (cid) => gates.get(String(cid))?.() }
}

/** Waits until `asked` holds `n` requests. */
async function askedCount(asked: string[], n: number): Promise<void> {
  for (let i = 0; asked.length < n; i++) {
    if (i > 500) throw new Error(`only ${asked.length} of ${n} blocks were asked for`)
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

/** 20 one-block files in each of the directories `a` and `b`. */
const twoDirs = Object.fromEntries(
  ['a', 'b'].flatMap((d) =>
    Array.from({ length: 20 }, (_, i) => [`${d}/f${String(i).padStart(2, '0')}`, `${d}${i}`]),
  ),
)

describe('fetchContent', () => {
  it('asks for the earliest pending block in depth-first order, whatever order earlier blocks arrived in', async () => {
    const { root, cids } = await pack(twoDirs)
    const { ctx, asked, release } = gated()
    const fetching = fetchContent(ctx, { id: 'io.t', version: '1.0.0', cid: root })
    await askedCount(asked, 1)
    release(root)
    await askedCount(asked, 3)
    expect(asked.slice(1)).toEqual([String(cids.get('a')), String(cids.get('b'))])

    // b's files arrive first: 15 are asked for (16 at once, a is still out)
    release(cids.get('b'))
    await askedCount(asked, 18)
    expect(asked.slice(3)).toEqual(
      Array.from({ length: 15 }, (_, i) => String(cids.get(`b/f${String(i).padStart(2, '0')}`))),
    )
    // then a arrives: its first file comes before b's remaining ones
    release(cids.get('a'))
    await askedCount(asked, 19)
    expect(asked[18]).toBe(String(cids.get('a/f00')))
    release(cids.get('b/f00'))
    await askedCount(asked, 20)
    expect(asked[19]).toBe(String(cids.get('a/f01')))

    for (let i = 0; i < 40; i++) {
      for (const cid of [...cids.values()]) release(cid)
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    expect(await fetching).toEqual({ fetched: 0, present: 43, bytes: 0 })
  })

  it('hands every block to onBlock with its bytes, and counts blocks already stored as present', async () => {
    const { root, cids } = await pack({ 'x.txt': 'x', 'd/y.txt': 'y', 'd/z.txt': 'z' })
    const offered = new Map<string, number>()

    const summary = await fetchContent(
      { blockstore: store.blockstore, getCodec: store.helia.getCodec, peers: () => [], timeoutMs: 10_000 },
      { id: 'io.t', version: '1.0.0', cid: root },
      { onBlock: (cid, bytes) => offered.set(cid.toString(), bytes.byteLength) },
    )

    expect(summary).toEqual({ fetched: 0, present: 5, bytes: 0 })
    expect([...offered.keys()].sort()).toEqual([root, ...cids.values()].map(String).sort())
    expect(offered.get(String(cids.get('x.txt')))).toBe(1)
  })

  it('fails with ERR_CONTENT_UNAVAILABLE naming the package and the peers when no block arrives in time', async () => {
    const { root } = await pack({ 'x.txt': 'x' })
    const { ctx } = gated()

    const failure = await fetchContent(
      { ...ctx, timeoutMs: 50 },
      { id: 'io.t', version: '1.2.3', cid: root },
    ).then(
      () => undefined,
      (err: unknown) => err,
    )

    expect(failure).toMatchObject({ code: 'ERR_CONTENT_UNAVAILABLE' })
    expect((failure as Error).message).toContain('io.t@1.2.3')
    expect((failure as Error).message).toContain('12D3KooWPeerOne, 12D3KooWPeerTwo')
  })
})
