/**
 * Seeding (SPEC 7) on two nodes over loopback TCP: with `seed = "all"` a node fetches the
 * content of every release as it arrives, and can install it after the publisher is gone;
 * a release over the storage quota is not fetched.
 */
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startPeer, type TestPeer, tempRoot, waitFor } from './helpers.js'

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

describe('seeding', () => {
  it('with seed = "all" a node fetches every arriving release and installs it with the publisher gone', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const b = await startPeer(root.dir, { bootstrap: [a.addr], seed: 'all' })
    peers.push(b)
    const published = await a.node.publish(join(EXAMPLES, 'macros-std'))

    await waitFor('B to seed the release', () => b.net.seedStats?.seeded === 1)
    expect(b.net.seedStats).toMatchObject({ overQuota: 0, failed: 0 })
    expect(b.net.seedStats!.blocks).toBeGreaterThan(0)
    expect(b.net.seedStats!.bytes).toBeGreaterThan(0)
    const content = await b.node.content()
    expect(await content.blockstore.has(CID.parse(published.cid))).toBe(true)

    await peers.shift()!.stop()
    await waitFor('B to see A gone', () => b.net.peers().length === 0)
    const result = await b.node.install({ specs: [published.id], dir: join(root.dir, 'project') })
    expect(result.installed).toMatchObject([{ id: published.id, cid: published.cid }])
  }, 60_000)

  it('does not fetch a release over the storage quota', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const b = await startPeer(root.dir, { bootstrap: [a.addr], seed: 'all', storageQuotaBytes: 16 })
    peers.push(b)
    const published = await a.node.publish(join(EXAMPLES, 'macros-std'))

    await waitFor('B to hold the record', () => b.node.store.versions(published.id).length === 1)
    await waitFor('B to refuse it over the quota', () => b.net.seedStats?.overQuota === 1)
    expect(b.net.seedStats).toMatchObject({ seeded: 0, blocks: 0, bytes: 0 })
    const content = await b.node.content()
    expect(await content.blockstore.has(CID.parse(published.cid))).toBe(false)
  }, 60_000)
})
