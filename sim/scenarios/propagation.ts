/**
 * Propagation: one release published on one node; how long until 50, 95 and 100% of nodes
 * hold it, what it cost in bytes and duplicates. Check: every node got it.
 */
import { waitFor } from '../cluster.js'
import { coverageCurve, type Report, round, timeToCoverage } from '../report.js'
import { parameters, type ScenarioParams, startCluster, trafficFigures } from './common.js'

/** Runs the propagation scenario. */
export async function propagation(params: ScenarioParams): Promise<Report> {
  const { cluster, rng } = await startCluster(params)
  try {
    const publisher = rng.int(params.nodes)
    const bytesBefore = cluster.fabric.stats.bytes
    const { cid, at } = cluster.publish(publisher, `io.ggen.sim-propagation-${params.seed}`)
    await waitFor(
      'the release to reach every node',
      () => cluster.holders(cid).length === params.nodes,
      30_000,
    ).catch(() => {})
    const delays = cluster.nodes.flatMap((n) => {
      const t = n.arrivals.get(cid)
      return t === undefined ? [] : [Math.max(0, t - at)]
    })
    const traffic = trafficFigures(cluster)
    const report: Report = {
      scenario: 'propagation',
      seed: params.seed,
      parameters: { ...parameters(params), publisher },
      figures: {
        reached: delays.length,
        t50Ms: timeToCoverage(delays, params.nodes, 0.5),
        t95Ms: timeToCoverage(delays, params.nodes, 0.95),
        t100Ms: timeToCoverage(delays, params.nodes, 1),
        ...traffic,
        bytesForRelease: traffic.bytes === null ? null : cluster.fabric.stats.bytes - bytesBefore,
        bytesPerNode:
          traffic.bytes === null ? null : round((cluster.fabric.stats.bytes - bytesBefore) / params.nodes),
      },
      coverage: coverageCurve(delays, params.nodes),
      problems: [],
    }
    report.problems = checkPropagation(report, params)
    return report
  } finally {
    await cluster.close()
  }
}

/** What a propagation run must show: the release reached every node. */
export function checkPropagation(report: Report, params: ScenarioParams): string[] {
  const problems: string[] = []
  if (report.figures.reached !== params.nodes) {
    problems.push(`the release reached ${report.figures.reached} of ${params.nodes} nodes`)
  }
  return problems
}
