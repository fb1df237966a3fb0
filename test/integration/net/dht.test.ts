/**
 * The network's DHT over loopback TCP, four nodes in a chain A-B-C-D: a record that only
 * the DHT holds is looked up by install on D, and its content is fetched from the node the
 * DHT names as provider; keys outside the network's namespace are refused.
 */
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generatePublisherKey } from '../../../src/domain/keys.js'
import { signRecord } from '../../../src/domain/records.js'
import type { ReleaseBody } from '../../../src/domain/types.js'
import { idKey } from '../../../src/net/dht.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'
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

async function chain(n: number): Promise<TestPeer[]> {
  for (let i = 0; i < n; i++) {
    const previous = peers.at(-1)
    peers.push(await startPeer(root.dir, previous === undefined ? {} : { bootstrap: [previous.addr] }))
  }
  await waitFor('every DHT routing table to hold a peer', () =>
    peers.every(
      (p) =>
        (p.net.libp2p.services.dht as unknown as { routingTable: { size: number } }).routingTable.size > 0,
    ),
  )
  return peers
}

/** A release of `id` by a key no node knows, for content `cid`. */
function strangerRelease(network: string, id: string, cid: CID): Uint8Array {
  const key = generatePublisherKey()
  const body: ReleaseBody = {
    type: 'release',
    network,
    publisher: key.did,
    time: Date.now(),
    seq: 1,
    id,
    version: '2.0.0',
    cid,
    size: 10,
    manifest: {
      id,
      name: 'Found by the DHT',
      version: '2.0.0',
      description: 'a package only the DHT knows of',
      license: 'MIT',
      authors: [],
      keywords: [],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
  return signRecord(body, key).bytes
}

async function drain(events: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of events) {
    // the put completes with its query
  }
}

/** The values a DHT get found, valid ones only (the DHT validates before yielding). */
async function values(events: AsyncIterable<{ name: string; value?: Uint8Array }>): Promise<Uint8Array[]> {
  const found: Uint8Array[] = []
  for await (const event of events)
    if (event.name === 'VALUE' && event.value !== undefined) found.push(event.value)
  return found
}

describe('the network DHT', () => {
  it('install on D finds an id only the DHT holds and fetches its content from the provider', async () => {
    const [a, , , d] = await chain(4)
    const published = await a!.node.publish(join(EXAMPLES, 'macros-std'))
    const network = a!.node.config.network
    await waitFor('A to provide the content', async () => {
      for await (const p of d!.net.libp2p.contentRouting.findProviders(CID.parse(published.cid), {
        signal: AbortSignal.timeout(2_000),
      })) {
        if (p.id.equals(a!.net.libp2p.peerId)) return true
      }
      return false
    })

    // Stored in the DHT only: no node's catalogue holds it, so catch-up cannot carry it.
    await drain(
      a!.net.libp2p.services.dht.put(
        idKey(network, 'dht-only-pack'),
        strangerRelease(network, 'dht-only-pack', CID.parse(published.cid)),
      ),
    )
    expect(d!.node.store.versions('dht-only-pack')).toEqual([])

    const result = await d!.node.install({ specs: ['dht-only-pack'], dir: join(root.dir, 'project') })
    expect(result.installed).toMatchObject([{ id: 'dht-only-pack', version: '2.0.0', cid: published.cid }])
    expect(d!.node.store.versions('dht-only-pack')).toHaveLength(1)
  }, 90_000)

  it('provides the content of a release that came in a bundle once its blocks are stored', async () => {
    const [a, b] = await chain(2)
    // A mirror's path: a bundle made on a machine with no network, imported into A.
    const offline = join(root.dir, 'offline')
    await initHome(offline)
    const publisher = await LocalNode.open(offline, {})
    const published = await publisher.publish(join(EXAMPLES, 'macros-std'))
    const bundle = join(root.dir, 'macros.bundle')
    await publisher.exportBundle({ file: bundle })
    await publisher.close()

    await a!.node.importBundle(bundle)
    await waitFor(
      'B to find A among the providers of the imported content',
      async () => {
        for await (const p of b!.net.libp2p.contentRouting.findProviders(CID.parse(published.cid), {
          signal: AbortSignal.timeout(2_000),
        })) {
          if (p.id.equals(a!.net.libp2p.peerId)) return true
        }
        return false
      },
      30_000,
    )
  }, 60_000)

  it('serves a record under the network namespace, refuses one outside it', async () => {
    const [a, b] = await chain(2)
    const network = a!.node.config.network
    const content = CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq')
    await drain(
      a!.net.libp2p.services.dht.put(idKey(network, 'x.pack'), strangerRelease(network, 'x.pack', content)),
    )
    expect(await values(b!.net.libp2p.services.dht.get(idKey(network, 'x.pack')))).toHaveLength(1)
    expect(await b!.net.lookup('x.pack')).toBe(true)
    expect(b!.node.store.versions('x.pack')).toHaveLength(1)

    for (const key of ['/ipns/y.pack', '/ggen-market-elsewhere/id/y.pack']) {
      const bytes = new TextEncoder().encode(key)
      await drain(a!.net.libp2p.services.dht.put(bytes, strangerRelease(network, 'y.pack', content)))
      for (const peer of [a!, b!]) {
        expect(await values(peer.net.libp2p.services.dht.get(bytes)), key).toEqual([])
      }
    }
  }, 60_000)
})
