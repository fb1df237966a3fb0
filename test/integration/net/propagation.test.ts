/**
 * Records move between nodes over real libp2p on loopback TCP: gossip along a chain, and
 * catch-up for a node that was not there when they were published.
 */
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { publishRelease } from '../../../sim/records.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'
import { publishRecord, startPeer, type TestPeer, tempRoot, waitFor, waitForMesh } from './helpers.js'

let root: { dir: string; cleanup(): Promise<void> }
const peers: TestPeer[] = []

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  for (const p of peers.splice(0).reverse()) await p.stop()
  await root.cleanup()
})

async function peer(options: Parameters<typeof startPeer>[1] = {}): Promise<TestPeer> {
  const p = await startPeer(root.dir, { content: false, ...options })
  peers.push(p)
  return p
}

describe('network propagation', () => {
  it('a record published on A is searchable on C through A-B-C', async () => {
    const a = await peer()
    const b = await peer({ bootstrap: [a.addr] })
    const c = await peer({ bootstrap: [b.addr] })
    await waitFor('the chain to connect', () => a.net.peers().length === 1 && c.net.peers().length === 1)
    expect(c.net.peers().map((p) => p.peerId)).toEqual([b.node.peerId])
    await waitForMesh([a, b, c])

    await publishRecord(a.node, 'io.ggen.chain', '1.0.0')
    await waitFor('C to hold the record', async () => (await c.node.search({ query: 'chain' })).total === 1)
    const found = await c.node.search({ query: 'chain' })
    expect(found.results[0]).toMatchObject({
      id: 'io.ggen.chain',
      version: '1.0.0',
      publisher: a.node.key.did,
    })
  }, 60_000)

  it('a late joiner connected only to C catches up on 50 records', async () => {
    const a = await peer()
    const c = await peer({ bootstrap: [a.addr], limits: { sync_records_per_response: 7 } })
    await waitFor('A and C to connect', () => c.net.peers().length === 1)
    for (let i = 0; i < 50; i++) await publishRecord(a.node, `io.ggen.late-${i}`, '1.0.0')
    await waitFor('C to hold 50 records', () => c.node.store.counts().records === 50)
    // The publisher goes away, so C is the only node D can learn them from (D's DHT would
    // otherwise find and dial A through C).
    peers.splice(peers.indexOf(a), 1)
    await a.stop()

    // C answers at most 7 records per response, so D pages through the log.
    const d = await peer({ bootstrap: [c.addr] })
    await waitFor('D to hold 50 records', () => d.node.store.counts().records === 50)
    expect(d.net.peers().map((p) => p.peerId)).toEqual([c.node.peerId])
    expect(d.node.store.publisherHead(a.node.key.did)?.seq).toBe(50)
  }, 60_000)

  it('records one node catches up on travel on to its other peers at once, not at the next sync', async () => {
    // No periodic sync within the test: only the catch-up a connection starts, and what it
    // sets off, can move the records.
    const limits = { sync_interval_ms: 600_000 }
    const b = await peer({ limits })
    const c = await peer({ bootstrap: [b.addr], limits })
    await waitFor('B and C to connect', () => c.net.peers().length === 1)
    // A holds 30 records it did not publish (as a bundle import would give it): no outbox
    // announces them, so gossip never carries them.
    const offline = join(root.dir, 'offline')
    await initHome(offline)
    const publisher = await LocalNode.open(offline, {})
    const a = await peer({ limits })
    for (let i = 0; i < 30; i++) {
      a.node.ingest(publishRelease(publisher, `io.ggen.relay-${i}`, '1.0.0').bytes, { source: 'bundle' })
    }
    await publisher.close()

    await a.net.connect(b.addr)
    await waitFor(
      'C to hold the 30 records it never heard announced',
      () => c.node.store.counts().records === 30,
    )
    expect(c.net.peers().map((p) => p.peerId)).toEqual([b.node.peerId])
  }, 60_000)

  it('a node that two peers could both catch up receives each record once', async () => {
    const a = await peer()
    // Small pages make both pulls long, so that they run at the same time.
    const small = { sync_records_per_response: 4 }
    const b = await peer({ bootstrap: [a.addr], limits: small })
    const c = await peer({ bootstrap: [a.addr], limits: small })
    await waitFor('B and C to connect to A', () => b.net.peers().length === 1 && c.net.peers().length === 1)
    for (let i = 0; i < 40; i++) await publishRecord(a.node, `io.ggen.once-${i}`, '1.0.0')
    await waitFor('B and C to hold 40 records', () =>
      [b, c].every((p) => p.node.store.counts().records === 40),
    )
    peers.splice(peers.indexOf(a), 1)
    await a.stop()

    const d = await peer({ bootstrap: [b.addr, c.addr] })
    await waitFor('D to hold 40 records', () => d.node.store.counts().records === 40)
    await waitFor('D to be connected to B and C', () => d.net.peers().length === 2)
    await new Promise((r) => setTimeout(r, 500))
    expect(d.net.syncStats).toMatchObject({ received: 40, added: 40 })
  }, 60_000)

  it('two halves that published apart both hold the union after they reconnect', async () => {
    const a = await peer()
    const b = await peer()
    for (let i = 0; i < 5; i++) await publishRecord(a.node, `io.ggen.left-${i}`, '1.0.0')
    for (let i = 0; i < 7; i++) await publishRecord(b.node, `io.ggen.right-${i}`, '1.0.0')
    expect(a.node.store.counts().records).toBe(5)

    await a.net.connect(b.addr)
    await waitFor('both to hold 12 records', () => [a, b].every((p) => p.node.store.counts().records === 12))
  }, 60_000)
})
