/**
 * Content over Bitswap: a node that holds only the record of a package installs it by
 * fetching the blocks from a peer that published it; the files equal the originals.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProgressEvent } from '../../../src/node/api.js'
import { publishRecord, startPeer, type TestPeer, tempRoot, waitFor } from './helpers.js'

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')

let root: { dir: string; cleanup(): Promise<void> }
const peers: TestPeer[] = []

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  for (const p of peers.splice(0).reverse()) await p.stop()
  await root.cleanup()
})

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    out[relative(dir, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
  }
  return out
}

describe('content over Bitswap', () => {
  it('installs on C a package whose blocks only A holds, byte for byte', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const c = await startPeer(root.dir, { bootstrap: [a.addr] })
    peers.push(c)
    const published = await a.node.publish(join(EXAMPLES, 'macros-std'))
    await waitFor('C to hold the record', () => c.node.store.versions(published.id).length === 1)
    const content = await c.node.content()
    const { CID } = await import('multiformats/cid')
    expect(await content.blockstore.has(CID.parse(published.cid))).toBe(false)

    const dir = join(root.dir, 'project')
    const result = await c.node.install({ specs: [published.id], dir })
    expect(result.installed).toMatchObject([{ id: published.id, cid: published.cid }])
    const installed = await tree(result.installed[0]!.path)
    const original = await tree(join(EXAMPLES, 'macros-std'))
    expect(installed).toEqual(original)
  }, 60_000)

  it('fetches only the blocks a node lacks: an install after some blocks were deleted resumes', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const c = await startPeer(root.dir, { bootstrap: [a.addr] })
    peers.push(c)
    const published = await a.node.publish(join(EXAMPLES, 'macros-std'))
    await waitFor('C to hold the record', () => c.node.store.versions(published.id).length === 1)

    const first: ProgressEvent[] = []
    await c.node.install(
      { specs: [published.id], dir: join(root.dir, 'one') },
      { onProgress: (e) => first.push(e) },
    )
    const blocks = first.flatMap((e) => (e.type === 'fetch:block' ? [e.cid] : []))
    expect(blocks.length).toBeGreaterThan(2)
    expect(first.find((e) => e.type === 'fetch:done')).toMatchObject({ fetched: blocks.length, present: 0 })

    const content = await c.node.content()
    const { CID } = await import('multiformats/cid')
    const deleted = blocks.slice(-2)
    for (const cid of deleted) await content.evict(CID.parse(cid))
    const second: ProgressEvent[] = []
    const dir = join(root.dir, 'two')
    const result = await c.node.install({ specs: [published.id], dir }, { onProgress: (e) => second.push(e) })
    expect(second.find((e) => e.type === 'fetch:done')).toMatchObject({
      fetched: deleted.length,
      present: blocks.length - deleted.length,
    })
    expect(await tree(result.installed[0]!.path)).toEqual(await tree(join(EXAMPLES, 'macros-std')))
  }, 60_000)

  it('verify with a network reads only the local store: a locally missing block is reported, not fetched', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const c = await startPeer(root.dir, { bootstrap: [a.addr] })
    peers.push(c)
    const published = await a.node.publish(join(EXAMPLES, 'macros-std'))
    await waitFor('C to hold the record', () => c.node.store.versions(published.id).length === 1)
    const dir = join(root.dir, 'project')
    const [installed] = (await c.node.install({ specs: [published.id], dir })).installed
    await writeFile(join(installed!.path, 'macros', 'case.tera'), 'changed by hand\n')
    // The root block is gone from C's store, and A, connected, could serve it.
    const { CID } = await import('multiformats/cid')
    await (await c.node.content()).evict(CID.parse(published.cid))

    const result = await c.node.verify(dir)
    expect(result.ok).toBe(false)
    expect(result.mismatches).toEqual([
      { id: published.id, reason: 'cid', expected: published.cid, actual: expect.stringMatching(/^bafy/) },
    ])
    expect(await (await c.node.content()).blockstore.has(CID.parse(published.cid))).toBe(false)
  }, 60_000)

  it('fails within the timeout, naming the package and the peers asked, when no peer holds the content', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const c = await startPeer(root.dir, { bootstrap: [a.addr], limits: { fetch_timeout_ms: 1_500 } })
    peers.push(c)
    // A signs a release whose content it never stored: nobody can serve its blocks.
    await publishRecord(a.node, 'ghost-pack', '1.0.0')
    await waitFor('C to hold the record', () => c.node.store.versions('ghost-pack').length === 1)

    const started = Date.now()
    const failure = await c.node.install({ specs: ['ghost-pack'], dir: join(root.dir, 'project') }).then(
      () => undefined,
      (err: unknown) => err,
    )
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(failure).toMatchObject({ code: 'ERR_CONTENT_UNAVAILABLE' })
    const message = (failure as Error).message
    expect(message).toContain('ghost-pack@1.0.0')
    expect(message).toContain(a.node.peerId)
  }, 60_000)
})
