/**
 * The harness and its fault-injecting transport: real nodes over simulated links gossip a
 * record, a partition stops it and a heal lets catch-up close the gap, a crashed node
 * restarts on its home with its PeerId.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { Cluster, waitFor } from '../../sim/cluster.js'
import { Prng } from '../../sim/prng.js'
import { connected, line, randomRegular } from '../../sim/topology.js'

let cluster: Cluster | undefined

afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

describe('topologies', () => {
  it('a seed names one random 4-regular graph, connected, every node of degree 4', () => {
    const a = randomRegular(20, 4, new Prng(7))
    expect(randomRegular(20, 4, new Prng(7))).toEqual(a)
    expect(connected(20, a)).toBe(true)
    const degree = new Map<number, number>()
    for (const [x, y] of a) for (const v of [x, y]) degree.set(v, (degree.get(v) ?? 0) + 1)
    expect([...degree.values()].every((d) => d === 4)).toBe(true)
    expect(line(4)).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
    ])
  })
})

describe('seeded keys', () => {
  it("a seed names every node's PeerId and publisher key; another seed names others", async () => {
    const identities = async (seed: number): Promise<string[][]> => {
      const c = await Cluster.start(3, { seed })
      try {
        return c.nodes.map((n) => [n.node.peerId, n.node.key.did])
      } finally {
        await c.close()
      }
    }
    const first = await identities(11)
    expect(await identities(11)).toEqual(first)
    expect(new Set(first.flat()).size).toBe(6)
    const other = (await identities(12)).flat()
    expect(other.filter((id) => first.flat().includes(id))).toEqual([])
  })
})

describe('cluster over the simulated transport', () => {
  it('gossips a record along a lossy, jittery line of 8 nodes', async () => {
    cluster = await Cluster.start(8, {
      seed: 1,
      link: { latencyMs: 10, jitterMs: 5, loss: 0.02, retransmitMs: 50 },
    })
    await cluster.connect(line(8))
    await cluster.waitForMesh()
    const { cid } = cluster.publish(0, 'io.ggen.sim-line')
    await cluster.waitForRecords([cid])
    expect(cluster.holders(cid)).toHaveLength(8)
    expect(cluster.fabric.stats.bytes).toBeGreaterThan(0)
  })

  it('a partition keeps a record on its side; after heal catch-up brings it across', async () => {
    cluster = await Cluster.start(4, { seed: 2, limits: { sync_interval_ms: 200 } })
    await cluster.connect([
      [0, 1],
      [2, 3],
      [1, 2],
    ])
    await cluster.waitForMesh()
    cluster.fabric.partition([
      ['n0', 'n1'],
      ['n2', 'n3'],
    ])
    expect(cluster.linked(1, 2)).toBe(false)
    const { cid } = cluster.publish(0, 'io.ggen.sim-left')
    await waitFor('n1 to hold the record', () => cluster?.holders(cid).length === 2)
    await new Promise((r) => setTimeout(r, 1000))
    expect(cluster.holders(cid).map((n) => n.name)).toEqual(['n0', 'n1'])
    await expect(cluster.nodes[1]?.net.connect(cluster.nodes[2]?.addr as string)).rejects.toThrow(/partition/)

    cluster.fabric.heal()
    await cluster.connect([[1, 2]])
    await cluster.waitForRecords([cid])
    expect(cluster.holders(cid)).toHaveLength(4)
  })

  it('a crashed node restarts on its home with its PeerId and catches up', async () => {
    cluster = await Cluster.start(3, { seed: 3 })
    await cluster.connect([
      [0, 1],
      [1, 2],
    ])
    const peerId = cluster.nodes[2]?.node.peerId
    await cluster.crash(2)
    expect(cluster.linked(1, 2)).toBe(false)
    const { cid } = cluster.publish(0, 'io.ggen.sim-crash')
    await cluster.waitForRecords([cid])
    const back = await cluster.restart(2)
    expect(back.node.peerId).toBe(peerId)
    await cluster.waitForRecords([cid])
    expect(cluster.holders(cid)).toHaveLength(3)
  })
})
