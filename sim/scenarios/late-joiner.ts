/**
 * Late joiner: a cluster already holds a catalogue of `records` records; a new node that
 * connects to one of them only must catch up on all of it. Figures: catch-up time and rate.
 */
import { signRecord } from '../../src/domain/records.js'
import { waitFor } from '../cluster.js'
import { releaseBody } from '../records.js'
import { type Report, round } from '../report.js'
import { parameters, type ScenarioParams, startCluster, trafficFigures } from './common.js'

/** Runs the late-joiner scenario. */
export async function lateJoiner(params: ScenarioParams): Promise<Report> {
  const { cluster } = await startCluster(params)
  try {
    // The catalogue is loaded as a bundle would load it: already everywhere, never gossiped.
    const origin = (cluster.nodes[0] as (typeof cluster.nodes)[number]).node
    const blocks = []
    for (let i = 0; i < params.records; i++) {
      const block = signRecord(releaseBody(origin, `io.ggen.sim-catalogue-${i}`, '1.0.0'), origin.key)
      origin.ingest(block.bytes, { expectedCid: block.cid, source: 'bundle' })
      blocks.push(block)
    }
    const items = blocks.map((b) => ({ bytes: b.bytes, expectedCid: b.cid }))
    for (const sim of cluster.nodes.slice(1)) sim.node.ingestMany(items, 'bundle')
    const cids = blocks.map((b) => b.cid.toString())

    const bytesBefore = cluster.fabric.stats.bytes
    const started = performance.now()
    const joiner = await cluster.addNode()
    await cluster.connect([[joiner.index, params.nodes - 1]])
    await waitFor(
      'the late joiner to hold the catalogue',
      () => joiner.node.store.counts().records >= cids.length,
      60_000,
    ).catch(() => {})
    const elapsed = performance.now() - started
    const held = cids.filter((cid) => joiner.node.store.hasRecord(cid)).length
    const expected = new Set(cids)
    const unexpected = joiner.node.store.allRecordCids().filter((cid) => !expected.has(cid)).length
    const report: Report = {
      scenario: 'late-joiner',
      seed: params.seed,
      parameters: parameters(params),
      figures: {
        catalogue: cids.length,
        held,
        lost: cids.length - held,
        unexpected,
        catchUpMs: round(elapsed),
        recordsPerSecond: Math.round((held / elapsed) * 1000),
        joinerPeers: joiner.net.libp2p.getPeers().length,
        ...trafficFigures(cluster),
        bytesForCatchUp: cluster.mode === 'memory' ? cluster.fabric.stats.bytes - bytesBefore : null,
      },
      problems: [],
    }
    if (held !== cids.length) report.problems.push(`the late joiner holds ${held} of ${cids.length} records`)
    if (unexpected > 0) report.problems.push(`the late joiner holds ${unexpected} records nobody published`)
    return report
  } finally {
    await cluster.close()
  }
}
