/**
 * What a node lets in: only the key holders of a private mesh connect; forged, oversized
 * and wrong-owner records from a peer are rejected, never stored, and sink its gossip score
 * under the graylist threshold, where a reconnect does not lift it and nothing more it sends
 * is read. A node keeps its PeerId across restarts.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKey } from '@libp2p/pnet'
import { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { generatePublisherKey } from '../../../src/domain/keys.js'
import { signRecord } from '../../../src/domain/records.js'
import type { ReleaseBody, RotationBody } from '../../../src/domain/types.js'
import { createNetNode, type NetNode } from '../../../src/net/libp2p-node.js'
import { DEFAULT_NET_LIMITS } from '../../../src/net/limits.js'
import { recordsTopic } from '../../../src/net/names.js'
import { loadOrCreatePeerKey } from '../../../src/net/peer-identity.js'
import { SCORE_THRESHOLDS } from '../../../src/net/score-params.js'
import { publishRecord, startPeer, type TestPeer, tempRoot, waitFor } from './helpers.js'

let root: { dir: string; cleanup(): Promise<void> }
const peers: TestPeer[] = []
const raw: NetNode[] = []

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  for (const n of raw.splice(0)) await n.stop()
  for (const p of peers.splice(0).reverse()) await p.stop()
  await root.cleanup()
})

async function peer(options: Parameters<typeof startPeer>[1] = {}): Promise<TestPeer> {
  const p = await startPeer(root.dir, { content: false, ...options })
  peers.push(p)
  return p
}

async function pskFile(name: string): Promise<string> {
  const key = new Uint8Array(95)
  generateKey(key)
  const file = join(root.dir, name)
  await writeFile(file, key)
  return file
}

describe('private mesh', () => {
  it('admits a node with the pre-shared key and keeps out one without it', async () => {
    const psk = await pskFile('swarm.key')
    const a = await peer({ psk })
    const member = await peer({ psk })
    const outsider = await peer()
    const other = await peer({ psk: await pskFile('other.key') })

    await expect(member.net.connect(a.addr)).resolves.toMatchObject({ peerId: a.node.peerId })
    await expect(outsider.net.connect(a.addr, { signal: AbortSignal.timeout(10_000) })).rejects.toMatchObject(
      {
        code: 'ERR_DIAL_FAILED',
      },
    )
    await expect(other.net.connect(a.addr, { signal: AbortSignal.timeout(10_000) })).rejects.toMatchObject({
      code: 'ERR_DIAL_FAILED',
    })
    expect(a.net.peers().map((p) => p.peerId)).toEqual([member.node.peerId])
  }, 60_000)
})

/** A bare libp2p node on the records topic: it publishes whatever bytes a test gives it. */
async function rawNode(name: string): Promise<NetNode> {
  const node = await createNetNode({
    privateKey: await loadOrCreatePeerKey(join(root.dir, `${name}.key`)),
    network: 'ggen',
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    limits: DEFAULT_NET_LIMITS,
  })
  raw.push(node)
  node.services.pubsub.subscribe(recordsTopic('ggen'))
  return node
}

/** Dials `target` from `from` and waits until `from` may publish to it on the records topic. */
async function joinTopic(from: NetNode, target: TestPeer): Promise<void> {
  await from.dial(target.net.libp2p.getMultiaddrs()[0]!)
  await waitFor('the sender to see the target on the topic', () =>
    from.services.pubsub
      .getSubscribers(recordsTopic('ggen'))
      .some((p) => p.toString() === target.node.peerId),
  )
}

/** A valid first release of `id` by a new key, as its bytes and record id. */
function validRelease(id: string): { bytes: Uint8Array; cid: string } {
  const key = generatePublisherKey()
  const body: ReleaseBody = {
    type: 'release',
    network: 'ggen',
    publisher: key.did,
    time: Date.now(),
    seq: 1,
    id,
    version: '1.0.0',
    cid: CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq'),
    size: 10,
    manifest: {
      id,
      name: id,
      version: '1.0.0',
      description: 'a valid release',
      license: 'MIT',
      authors: [],
      keywords: [],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
  const block = signRecord(body, key)
  return { bytes: block.bytes, cid: block.cid.toString() }
}

describe('a forging peer', () => {
  it('has every bad record rejected, none stored, ends up graylisted and stays so across a reconnect', async () => {
    const a = await peer()
    await publishRecord(a.node, 'io.ggen.owned', '1.0.0')
    const forger = await rawNode('forger')
    const topic = recordsTopic('ggen')
    await joinTopic(forger, a)

    const mallory = generatePublisherKey()
    const rotation: RotationBody = {
      type: 'rotation',
      network: 'ggen',
      publisher: mallory.did,
      time: Date.now(),
      seq: 1,
      id: 'io.ggen.owned',
      to: generatePublisherKey().did,
    }
    const good = signRecord(rotation, mallory).bytes
    const forged = [0, 1, 2].map((i) => {
      const bytes = Uint8Array.from(good)
      bytes[10 + i] = bytes[10 + i]! ^ 0xff // inside the signature
      return bytes
    })
    const sends = [good, ...forged, new Uint8Array([0xa1, 0x61, 0x78, 0x01]), new Uint8Array(70_000)]
    for (const bytes of sends) await forger.services.pubsub.publish(topic, bytes)

    await waitFor('A to reject the forgeries', () => a.net.gossipStats.invalid >= 5)
    expect(a.node.store.counts().records).toBe(1)
    expect(a.node.store.publisherHead(mallory.did)).toBeUndefined()
    expect(a.node.store.versions('io.ggen.owned')[0]?.owner).toBe(a.node.key.did)
    const forgerId = forger.peerId.toString()
    const score = (): number => a.net.libp2p.services.pubsub.getScore(forgerId)
    await waitFor('the forger to be graylisted', () => score() < SCORE_THRESHOLDS.graylistThreshold)

    // A reconnect does not wipe the penalty (gossipsub 17 alone would start the forger at 0).
    await forger.hangUp(a.net.libp2p.peerId)
    await waitFor('A to see the forger leave', () => a.net.libp2p.getConnections(forger.peerId).length === 0)
    await joinTopic(forger, a)
    await new Promise((r) => setTimeout(r, 1500)) // past gossipsub's one-heartbeat score cache
    expect(score()).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold)

    // What a graylisted peer sends is dropped unread, even a valid record; a newcomer's gets in.
    const dropped = validRelease('io.ggen.from-forger')
    await forger.services.pubsub.publish(topic, dropped.bytes)
    const newcomer = await rawNode('newcomer')
    await joinTopic(newcomer, a)
    const control = validRelease('io.ggen.from-newcomer')
    await newcomer.services.pubsub.publish(topic, control.bytes)
    await waitFor("A to store the newcomer's release", () => a.node.store.hasRecord(control.cid))
    await new Promise((r) => setTimeout(r, 1000))
    expect(a.node.store.hasRecord(dropped.cid)).toBe(false)
    expect(a.node.store.counts().records).toBe(2)
    expect(score()).toBeLessThan(SCORE_THRESHOLDS.graylistThreshold)
  }, 60_000)
})

describe('a flooding peer', () => {
  it('is throttled: what it sends over its rate is not taken and its score sinks under the graylist', async () => {
    const a = await peer()
    const flooder = await rawNode('flooder')
    await joinTopic(flooder, a)
    const { message_burst: burst } = DEFAULT_NET_LIMITS
    // Twice the burst: hundreds over the rate however slowly a loaded machine sends them.
    const releases = Array.from({ length: 2 * burst }, (_, i) => validRelease(`io.ggen.flood-${i}`))
    for (const r of releases) await flooder.services.pubsub.publish(recordsTopic('ggen'), r.bytes)

    await waitFor('A to refuse the messages over the rate', () => a.net.gossipStats['rate-limited'] > 0)
    const score = (): number => a.net.libp2p.services.pubsub.getScore(flooder.peerId.toString())
    await waitFor('the flooder to be graylisted', () => score() < SCORE_THRESHOLDS.graylistThreshold, 30_000)
    expect(a.node.store.counts().records).toBeLessThan(releases.length)
    expect(a.net.gossipStats.invalid).toBe(0)
  }, 60_000)
})

describe('peer identity', () => {
  it('keeps its PeerId across a restart', async () => {
    const first = await startPeer(root.dir, { content: false })
    const id = first.net.libp2p.peerId.toString()
    expect(id).toBe(first.node.peerId)
    await first.stop()
    const again = await peer({ home: first.home })
    expect(again.net.libp2p.peerId.toString()).toBe(id)
    expect(again.addr).toContain(`/p2p/${id}`)
  }, 30_000)
})
