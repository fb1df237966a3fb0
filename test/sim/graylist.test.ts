/**
 * A forger among honest nodes, seeded: every honest neighbour graylists it after its forged
 * records, keeps it graylisted when it crashes and comes back on the same identity (the
 * reconnect that used to wipe its penalty), and reads nothing it sends afterwards, while
 * honest releases still reach everyone. (A valid record from it may still arrive through an
 * honest node it was never graylisted by; test/integration/net/security.test.ts shows a
 * graylisting node drops even that.)
 */
import { afterEach, describe, expect, it } from 'vitest'
import { badSignature, rawPublish } from '../../sim/adversary.js'
import { type Cluster, type SimNode, waitFor } from '../../sim/cluster.js'
import { DEFAULT_PARAMS, startCluster } from '../../sim/scenarios/common.js'
import { recordIdOf } from '../../src/domain/records.js'
import { SCORE_THRESHOLDS } from '../../src/net/score-params.js'

const GRAYLIST = SCORE_THRESHOLDS.graylistThreshold
/** gossipsub caches a score for one heartbeat (1 s): read it after that. */
const HEARTBEAT_MS = 1000

let cluster: Cluster | undefined
afterEach(async () => {
  await cluster?.close()
  cluster = undefined
})

/** The score `of` has on `on`, as gossipsub on `on` would act on it. */
function score(on: SimNode, of: SimNode): number {
  return on.net.libp2p.services.pubsub.getScore(of.node.peerId)
}

/** Waits until `forger` may publish to every one of `targets` on the records topic. */
async function reaches(forger: SimNode, targets: readonly SimNode[]): Promise<void> {
  const pubsub = forger.net.libp2p.services.pubsub
  const topic = pubsub.getTopics()[0] as string
  await waitFor('the forger to see its neighbours on the topic', () => {
    const subscribers = new Set(pubsub.getSubscribers(topic).map((p) => p.toString()))
    return targets.every((t) => subscribers.has(t.node.peerId))
  })
}

describe('a forger in a 10-node network', () => {
  it('is graylisted by every honest node it reaches, stays so across a restart, and is not read after', async () => {
    const FORGER = 9
    // Which honest node logged a rejected message from the forger (the operator's view).
    const rejections: string[] = []
    let forgerId: string | undefined
    const started = await startCluster(
      { ...DEFAULT_PARAMS, nodes: 10, seed: 4, topology: 'regular:4' },
      {
        onWarning: (node, message, details) => {
          if (message === 'rejected a gossip message' && details.peer === forgerId) rejections.push(node)
        },
      },
    )
    cluster = started.cluster
    let forger = cluster.nodes[FORGER] as SimNode
    forgerId = forger.node.peerId
    const honest = cluster.nodes.slice(0, FORGER)
    const neighbours = started.edges
      .filter(([a, b]) => a === FORGER || b === FORGER)
      .map(([a, b]) => cluster?.nodes[a === FORGER ? b : a] as SimNode)
    expect(neighbours.length).toBe(4)
    const graylisted = (h: SimNode): boolean => score(h, forger) < GRAYLIST
    // Besides its topology links, the forger may be connected to more honest nodes (DHT dials).
    const connected = (): SimNode[] =>
      honest.filter((h) => h.net.libp2p.getConnections(forger.net.libp2p.peerId).length > 0)
    const forged: string[] = []
    const forge = async (): Promise<void> => {
      const bytes = badSignature(forger, `io.ggen.forged-${forged.length}`)
      forged.push(recordIdOf(bytes).toString())
      await rawPublish(forger, bytes)
    }
    // Forges every 100 ms until `done`, as a persistent forger would.
    const forgeUntil = async (what: string, done: () => boolean): Promise<void> => {
      const deadline = performance.now() + 60_000
      while (!done()) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
        await forge()
        await new Promise((r) => setTimeout(r, 100))
      }
    }

    await forgeUntil('every honest node connected to the forger to graylist it', () =>
      [...neighbours, ...connected()].every(graylisted),
    )
    const graylisting = honest.filter(graylisted)
    expect(new Set(rejections)).toEqual(new Set(graylisting.map((h) => h.name)))

    // The forger crashes and comes back with the same PeerId; its neighbours redial it.
    await cluster.crash(FORGER)
    forger = await cluster.restart(FORGER)
    await waitFor('the forger to be linked again', () =>
      neighbours.every((h) => cluster?.linked(h.index, FORGER)),
    )
    await reaches(forger, neighbours)
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS + 500))
    expect(graylisting.filter((h) => !graylisted(h)).map((h) => h.name)).toEqual([])

    // Graylisted: what it sends now is dropped unread by those nodes (their validators never
    // see it), while an honest release still reaches every honest node.
    rejections.length = 0
    for (let i = 0; i < 5; i++) await forge()
    const control = cluster.publish(0, 'io.ggen.honest')
    await waitFor(
      'the honest release on every honest node',
      () => honest.every((h) => h.node.store.hasRecord(control.cid)),
      60_000,
    )
    await new Promise((r) => setTimeout(r, HEARTBEAT_MS))
    const names = new Set(graylisting.map((h) => h.name))
    expect(rejections.filter((name) => names.has(name))).toEqual([])

    await forgeUntil('every honest node connected to the forger to graylist it again', () =>
      connected().every(graylisted),
    )
    expect(graylisting.filter((h) => !graylisted(h)).map((h) => h.name)).toEqual([])
    for (const h of honest) expect(forged.filter((cid) => h.node.store.hasRecord(cid))).toEqual([])
  }, 180_000)
})
