/**
 * Adversaries: `nodes` honest nodes plus three more — a forger (bad signatures, another
 * owner's id under its own signature, replays of valid old records, oversized messages), a
 * flooder (valid releases from throwaway keys, then junk, as fast as it can) and a withholder
 * (publishes releases: three whose content exists nowhere, and a real package whose blocks it
 * holds and never serves, see `withhold`). Honest nodes publish meanwhile. An honest holder got
 * that package from a bundle; at the end an honest installer, connected to the withholder and
 * not to the holder, installs it: the fetch must find the holder in the DHT and fall back to it.
 * The same seed is run once with the three idle, for the baseline.
 * Checks: no honest node stores an invalid record, every honest node that rejected a forgery
 * scores the forger below zero, honest propagation p95 under attack is less than twice the
 * baseline's, and the install of the withheld package succeeds, served by the holder, with
 * files equal to the originals.
 */

import { join } from 'node:path'
import { publisherKeyFromSeed } from '../../src/domain/keys.js'
import { MAX_RECORD_BYTES, recordIdOf, signRecord } from '../../src/domain/records.js'
import { DEFAULT_NET_LIMITS } from '../../src/net/limits.js'
import {
  badSignature,
  type InstallFigures,
  impersonation,
  installWithheld,
  junk,
  publishWithheld,
  rawPublish,
  throwawayRelease,
  type WithheldPackage,
} from '../adversary.js'
import type { Cluster, SimNode } from '../cluster.js'
import { Prng } from '../prng.js'
import { releaseBody } from '../records.js'
import { percentile, type Report, round } from '../report.js'
import { parameters, type ScenarioParams, startCluster, trafficFigures } from './common.js'

/** The id of the real package the withholder publishes and never serves. */
const WITHHELD_PACKAGE = 'io.ggen.sim-withheld-package'
/** Old releases every node holds from a bundle before the run: what the forger replays. */
const OLD_RECORDS = 5
/** Valid throwaway releases the flooder sends before switching to junk. */
const FLOOD_VALID = 50
/** How long gossipsub caches a peer's score: one heartbeat. */
const SCORE_CACHE_MS = 1000
/** Junk messages the flooder sends in its opening burst. */
const FLOOD_JUNK = 400

interface RunFigures {
  /** Propagation delays of honest releases to honest nodes, ms. */
  delays: number[]
  reachedAll: boolean
  rejected: { forger: number; flooder: number }
  /** Scores after the opening bursts, on the honest nodes that had rejected the adversary. */
  forgerScores: number[]
  flooderScores: number[]
  /** The same at the end of the run. */
  forgerScoresEnd: number[]
  flooderScoresEnd: number[]
  invalidStored: number
  unexpected: number
  duplicatesIgnored: number
  withheldReleasesHeld: number
  /** The install of the withheld package (attacked run only). */
  install?: InstallFigures
  traffic: Record<string, number | null>
}

/** Runs the adversaries scenario: a baseline run, then the same seed under attack. */
export async function adversaries(params: ScenarioParams): Promise<Report> {
  const baseline = await run(params, false)
  const attacked = await run(params, true)
  const p95 = (f: RunFigures): number | null => percentile(f.delays, 95)
  const [base, under] = [p95(baseline), p95(attacked)]
  const ratio = base === null || under === null ? null : round(under / Math.max(base, 1), 2)
  const max = (xs: number[]): number | null => (xs.length === 0 ? null : round(Math.max(...xs), 2))
  const report: Report = {
    scenario: 'adversaries',
    seed: params.seed,
    parameters: parameters(params),
    figures: {
      rejectedForgeries: attacked.rejected.forger,
      rejectedFlood: attacked.rejected.flooder,
      // The highest (least negative) score an honest node that rejected it gives the adversary.
      forgerScoreMax: max(attacked.forgerScores),
      flooderScoreMax: max(attacked.flooderScores),
      forgerRejecters: attacked.forgerScores.length,
      // Honest nodes whose penalty of the adversary was gone by the end (see ARCHITECTURE.md).
      forgerForgottenAtEnd: attacked.forgerScoresEnd.filter((x) => x >= 0).length,
      flooderForgottenAtEnd: attacked.flooderScoresEnd.filter((x) => x >= 0).length,
      invalidStored: attacked.invalidStored,
      unexpected: attacked.unexpected,
      duplicatesIgnored: attacked.duplicatesIgnored,
      withheldReleasesHeld: attacked.withheldReleasesHeld,
      // Figures are numbers: 1 for yes, 0 for no.
      withheldInstallSucceeded: attacked.install?.succeeded ? 1 : 0,
      withheldInstallMs: attacked.install?.ms ?? null,
      withheldInstallFilesEqual: attacked.install?.filesEqual ? 1 : 0,
      withheldInstallWantsDropped: attacked.install?.wantsDroppedByWithholder ?? null,
      withheldInstallBlocksFromHolder: attacked.install?.blocksFromHolder ?? null,
      withheldInstallBlocksFromWithholder: attacked.install?.blocksFromWithholder ?? null,
      withheldInstallBlocksFromOthers: attacked.install?.blocksFromOthers ?? null,
      withheldInstallHolderDialledViaDht: attacked.install?.holderDialledDuringInstall ? 1 : 0,
      withheldInstallHolderDisconnects: attacked.install?.holderDisconnects ?? null,
      propagationP95BaselineMs: base,
      propagationP95AttackedMs: under,
      propagationP50BaselineMs: percentile(baseline.delays, 50),
      propagationP50AttackedMs: percentile(attacked.delays, 50),
      p95Ratio: ratio,
      ...attacked.traffic,
    },
    problems: [],
  }
  const problems = report.problems
  if (!baseline.reachedAll) problems.push('baseline: honest releases did not reach every honest node')
  if (!attacked.reachedAll) problems.push('under attack: honest releases did not reach every honest node')
  if (attacked.invalidStored > 0)
    problems.push(`${attacked.invalidStored} forged records stored by honest nodes`)
  if (attacked.unexpected > 0) problems.push(`${attacked.unexpected} records on honest nodes nobody sent`)
  if (attacked.forgerScores.length === 0 || attacked.forgerScores.some((s) => s >= 0))
    problems.push(
      `the forger's score is not negative on every node that rejected it: ${attacked.forgerScores}`,
    )
  const install = attacked.install
  if (install === undefined || !install.succeeded)
    problems.push(`the install of the withheld package failed: ${install?.error ?? 'not run'}`)
  else if (!install.filesEqual)
    problems.push('the withheld package installed with files unlike the originals')
  else if (install.ms > DEFAULT_NET_LIMITS.fetch_timeout_ms)
    problems.push(`the withheld package took ${install.ms} ms to install, over the fetch timeout`)
  if ((install?.blocksFromWithholder ?? 0) > 0) problems.push('the withholder served blocks')
  if (install?.succeeded && install.blocksFromHolder === 0)
    problems.push('the withheld package installed without a block from the holder')
  if (ratio === null || ratio >= 2) problems.push(`honest propagation p95 degraded ${ratio}x under attack`)
  return report
}

async function run(params: ScenarioParams, attack: boolean): Promise<RunFigures> {
  const n = params.nodes
  // Content (Helia, Bitswap) only where a package moves: it is the heavy part of a node. The
  // same nodes run it in the baseline, so that both runs carry the same load.
  const [holderAt, installerAt, withholderAt] = [1, n - 1, n + 2]
  const rejected = { forger: 0, flooder: 0 }
  // Honest nodes that rejected at least one message of the adversary: they must score it below zero.
  const rejecters = { forger: new Set<string>(), flooder: new Set<string>() }
  const ids: { forger?: string; flooder?: string } = {}
  const { cluster, rng } = await startCluster(
    { ...params, nodes: n + 3 },
    {
      content: (i) => i === holderAt || i === installerAt || i === withholderAt,
      onWarning: (node, message, details) => {
        if (message !== 'rejected a gossip message' || Number(node.slice(1)) >= n) return
        for (const who of ['forger', 'flooder'] as const) {
          if (details.peer !== ids[who]) continue
          rejected[who]++
          rejecters[who].add(node)
        }
      },
    },
  )
  try {
    const honest = cluster.nodes.slice(0, n)
    const scores = (adversary: SimNode, by: Set<string>): number[] =>
      honest
        .filter((h) => by.has(h.name))
        .map((h) => h.net.libp2p.services.pubsub.getScore(adversary.node.peerId))
    const opening: { forger: number[]; flooder: number[] } = { forger: [], flooder: [] }
    const [forger, flooder, withholder] = cluster.nodes.slice(n) as [SimNode, SimNode, SimNode]
    ids.forger = forger.node.peerId
    ids.flooder = flooder.node.peerId
    const allowed = new Set(preload(cluster, OLD_RECORDS))
    const old = [...allowed]
    const forged = new Set<string>()
    const attackRng = new Prng(params.seed ^ 0xbad)
    let stop = false
    const withheld: string[] = []
    let steady: Promise<unknown> = Promise.resolve()
    let forgeries = 3
    let pkg: WithheldPackage | undefined
    if (attack) {
      pkg = await publishWithheld(
        withholder,
        cluster.nodes[holderAt] as SimNode,
        WITHHELD_PACKAGE,
        new Prng(params.seed ^ 0xc0de),
        cluster.root,
      )
      withheld.push(pkg.record)
      for (let i = 0; i < 3; i++)
        withheld.push(cluster.publish(withholder.index, `io.ggen.sim-withheld-${i}`).cid)
      for (const cid of withheld) allowed.add(cid)
      // The opening bursts, then a steady trickle while honest nodes publish.
      await Promise.all([forge(cluster, forger, old, forged), flood(flooder, attackRng, allowed, forged)])
      // Scores as honest nodes see them once gossipsub's score cache (one heartbeat) has expired.
      await new Promise((r) => setTimeout(r, SCORE_CACHE_MS + 200))
      opening.forger = scores(forger, rejecters.forger)
      opening.flooder = scores(flooder, rejecters.flooder)
      // Over the cap: the receiver's gossip decoder drops it before any validator runs, and the
      // forger's gossip stream to it dies.
      const big = new Uint8Array(MAX_RECORD_BYTES + 1024).fill(7)
      forged.add(recordIdOf(big).toString())
      await rawPublish(forger, big)
      steady = Promise.all([
        trickle(
          () => badSignature(forger, `io.ggen.sim-forged-${forgeries++}`),
          forger,
          forged,
          100,
          () => stop,
        ),
        trickle(
          () => junk(attackRng, 100 + attackRng.int(400)),
          flooder,
          forged,
          50,
          () => stop,
        ),
      ])
    }
    await new Promise((r) => setTimeout(r, 200))
    const published: { cid: string; at: number }[] = []
    for (let i = 0; i < params.records; i++) {
      const p = cluster.publish(rng.int(n), `io.ggen.sim-honest-${i}`)
      published.push(p)
      allowed.add(p.cid)
      await new Promise((r) => setTimeout(r, 100))
    }
    const cids = published.map((p) => p.cid)
    const reachedAll = await waitHonest(honest, [...cids, ...withheld])
    // Installed while the forger and the flooder still trickle.
    const install =
      pkg === undefined
        ? undefined
        : await installWithheld(
            cluster.nodes[installerAt] as SimNode,
            withholder,
            cluster.nodes[holderAt] as SimNode,
            pkg,
            join(cluster.root, 'install'),
            'dht',
          )
    stop = true
    await steady
    const delays = published.flatMap(({ cid, at }) =>
      honest.flatMap((h) => {
        const t = h.arrivals.get(cid)
        return t === undefined ? [] : [Math.max(0, t - at)]
      }),
    )
    const held = honest.map((h) => h.node.store.allRecordCids())
    return {
      delays,
      reachedAll,
      rejected,
      forgerScores: opening.forger,
      flooderScores: opening.flooder,
      forgerScoresEnd: scores(forger, rejecters.forger),
      flooderScoresEnd: scores(flooder, rejecters.flooder),
      invalidStored: held.reduce((s, cs) => s + cs.filter((c) => forged.has(c)).length, 0),
      unexpected: held.reduce((s, cs) => s + cs.filter((c) => !allowed.has(c)).length, 0),
      duplicatesIgnored: honest.reduce((s, h) => s + h.net.gossipStats.duplicate, 0),
      withheldReleasesHeld: honest.reduce(
        (s, h) => s + withheld.filter((c) => h.node.store.hasRecord(c)).length,
        0,
      ),
      ...(install === undefined ? {} : { install }),
      traffic: trafficFigures(cluster),
    }
  } finally {
    await cluster.close()
  }
}

/** Signs `count` old releases on node 0 and loads them on every node as from a bundle (never gossiped). */
function preload(cluster: Cluster, count: number): string[] {
  const origin = (cluster.nodes[0] as SimNode).node
  const blocks = Array.from({ length: count }, (_, i) => {
    const block = signRecord(releaseBody(origin, `io.ggen.sim-old-${i}`, '1.0.0'), origin.key)
    origin.ingest(block.bytes, { expectedCid: block.cid, source: 'bundle' })
    return block
  })
  const items = blocks.map((b) => ({ bytes: b.bytes, expectedCid: b.cid }))
  for (const sim of cluster.nodes.slice(1)) sim.node.ingestMany(items, 'bundle')
  return blocks.map((b) => b.cid.toString())
}

/** The forger's opening: replays (valid, so they cost it nothing), impersonations and bad signatures. */
async function forge(
  cluster: Cluster,
  forger: SimNode,
  old: readonly string[],
  forged: Set<string>,
): Promise<void> {
  const send = async (bytes: Uint8Array): Promise<void> => {
    forged.add(recordIdOf(bytes).toString())
    await rawPublish(forger, bytes)
  }
  const origin = cluster.nodes[0] as SimNode
  for (const cid of old) await rawPublish(forger, origin.node.store.getRecord(cid) as Uint8Array)
  for (let i = 0; i < 2; i++) await send(impersonation(origin, forger, `io.ggen.sim-old-${i}`, '6.6.6'))
  for (let i = 0; i < 3; i++) await send(badSignature(forger, `io.ggen.sim-forged-${i}`))
}

/** The flooder's opening: valid throwaway releases, then junk, as fast as it can. */
async function flood(flooder: SimNode, rng: Prng, allowed: Set<string>, forged: Set<string>): Promise<void> {
  const network = flooder.node.config.network
  for (let i = 0; i < FLOOD_VALID; i++) {
    const block = throwawayRelease(network, `io.ggen.sim-spam-${i}`, publisherKeyFromSeed(junk(rng, 32)))
    allowed.add(block.cid.toString())
    await rawPublish(flooder, block.bytes)
  }
  for (let i = 0; i < FLOOD_JUNK; i++) {
    const bytes = junk(rng, 100 + rng.int(400))
    forged.add(recordIdOf(bytes).toString())
    await rawPublish(flooder, bytes)
    if (i % 25 === 24) await new Promise((r) => setImmediate(r))
  }
}

/** Sends what `make` returns from `from` every `everyMs` until stopped. */
async function trickle(
  make: () => Uint8Array,
  from: SimNode,
  forged: Set<string>,
  everyMs: number,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    const bytes = make()
    forged.add(recordIdOf(bytes).toString())
    await rawPublish(from, bytes)
    await new Promise((r) => setTimeout(r, everyMs))
  }
}

/** True once every honest node holds every record in `cids` (30 s at most). */
async function waitHonest(honest: readonly SimNode[], cids: readonly string[]): Promise<boolean> {
  const deadline = performance.now() + 30_000
  while (performance.now() < deadline) {
    if (honest.every((h) => cids.every((c) => h.node.store.hasRecord(c)))) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return false
}
