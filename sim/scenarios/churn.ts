/**
 * Churn: while records are published, nodes crash (connections reset, no goodbye) and
 * restart on their homes. Once every node is back, every acknowledged record must be on
 * every node. Figures: crashes, convergence after the last restart, lost and unexpected.
 */
import type { Cluster } from '../cluster.js'
import { type Report, round } from '../report.js'
import { parameters, type ScenarioParams, startCluster, trafficFigures } from './common.js'

/** Runs the churn scenario: one crash or restart every 5 publishes. */
export async function churn(params: ScenarioParams): Promise<Report> {
  const { cluster, rng } = await startCluster(params)
  try {
    const acknowledged = new Set<string>()
    const down: number[] = []
    let crashes = 0
    for (let i = 0; i < params.records; i++) {
      const up = cluster.up()
      const publisher = up[rng.int(up.length)]?.index ?? 0
      acknowledged.add(cluster.publish(publisher, `io.ggen.sim-churn-${i}`).cid)
      if (i % 5 !== 4) continue
      // At most a quarter of the nodes down at once; restart the oldest crash first.
      if (down.length > 0 && (down.length >= params.nodes / 4 || rng.chance(0.5))) {
        await cluster.restart(down.shift() as number)
      } else {
        const victim = rng.int(params.nodes)
        if (victim !== publisher && cluster.nodes[victim]?.up) {
          await cluster.crash(victim)
          down.push(victim)
          crashes++
        }
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    for (const index of down.splice(0)) await cluster.restart(index)
    const restartedAt = performance.now()
    const cids = [...acknowledged]
    await cluster.waitForRecords(cids, 60_000).catch(() => {})
    const convergence = performance.now() - restartedAt
    const report: Report = {
      scenario: 'churn',
      seed: params.seed,
      parameters: parameters(params),
      figures: {
        acknowledged: cids.length,
        crashes,
        convergenceAfterRestartMs: round(convergence),
        lost: missing(cluster, cids),
        unexpected: cluster.nodes.reduce(
          (n, s) => n + s.node.store.allRecordCids().filter((c) => !acknowledged.has(c)).length,
          0,
        ),
        ...trafficFigures(cluster),
      },
      problems: [],
    }
    if (report.figures.lost !== 0)
      report.problems.push(`${report.figures.lost} (node, record) pairs missing after churn`)
    if (report.figures.unexpected !== 0)
      report.problems.push(`${report.figures.unexpected} records nobody acknowledged`)
    return report
  } finally {
    await cluster.close()
  }
}

function missing(cluster: Cluster, cids: readonly string[]): number {
  return cluster.nodes.reduce((n, sim) => n + cids.filter((cid) => !sim.node.store.hasRecord(cid)).length, 0)
}
