/**
 * Partition and heal, Jepsen style: the nodes split in two halves, both halves publish, the
 * partition heals; every acknowledged record (stored on its publisher) must end up on every
 * node, and nothing else. Figures: convergence time after heal (to the last record's arrival
 * on the last node), the time to re-dial the links across the cut, the process's event-loop
 * lag meanwhile, lost and unexpected records.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { SimNode } from '../cluster.js'
import { type Report, round } from '../report.js'
import { parameters, type ScenarioParams, startCluster, trafficFigures } from './common.js'

/** Runs the partition-and-heal scenario. */
export async function partitionHeal(params: ScenarioParams): Promise<Report> {
  const { cluster, rng, edges } = await startCluster(params)
  try {
    const half = Math.ceil(params.nodes / 2)
    const sides = [cluster.nodes.slice(0, half), cluster.nodes.slice(half)].map((s) => s.map((n) => n.name))
    cluster.fabric.partition(sides, 'break')
    // Acknowledged: stored on its publisher, whose side is remembered.
    const acknowledged = new Map<string, number>()
    for (let i = 0; i < params.records; i++) {
      const publisher = rng.int(params.nodes)
      const { cid } = cluster.publish(publisher, `io.ggen.sim-split-${i}`)
      acknowledged.set(cid, publisher < half ? 0 : 1)
      if (i % 50 === 49) await new Promise((r) => setTimeout(r, 10))
    }
    const cids = [...acknowledged.keys()]
    const crossed = (sim: SimNode): number =>
      cids.filter(
        (cid) => sim.node.store.hasRecord(cid) && acknowledged.get(cid) !== (sim.index < half ? 0 : 1),
      ).length
    await new Promise((r) => setTimeout(r, 500))
    const leakedDuringPartition = cluster.nodes.reduce((n, sim) => n + crossed(sim), 0)

    // Every node shares this one process: its event loop's lag says how much of the time
    // after the heal was the nodes waiting for the CPU rather than for each other.
    const lag = monitorEventLoopDelay({ resolution: 10 })
    lag.enable()
    cluster.fabric.heal()
    const healedAt = performance.now()
    const across = edges.filter(([a, b]) => a < half !== b < half)
    await cluster.connect(across, 60_000)
    const reconnected = performance.now() - healedAt
    await cluster.waitForRecords(cids, 60_000).catch(() => {})
    // Converged when the last record reached the last node (not when the poll noticed).
    const lastArrival = Math.max(
      healedAt,
      ...cluster.nodes.flatMap((sim) => cids.map((cid) => sim.arrivals.get(cid) ?? performance.now())),
    )
    const convergence = lastArrival - healedAt
    lag.disable()
    const lost = cluster.nodes.reduce(
      (n, sim) => n + cids.filter((cid) => !sim.node.store.hasRecord(cid)).length,
      0,
    )
    const unexpected = cluster.nodes.reduce(
      (n, sim) => n + sim.node.store.allRecordCids().filter((cid) => !acknowledged.has(cid)).length,
      0,
    )
    const report: Report = {
      scenario: 'partition',
      seed: params.seed,
      parameters: parameters(params),
      figures: {
        acknowledged: cids.length,
        leakedDuringPartition,
        convergenceAfterHealMs: round(convergence),
        reconnectAfterHealMs: round(reconnected),
        eventLoopLagP50Ms: round(lag.percentile(50) / 1e6),
        eventLoopLagP99Ms: round(lag.percentile(99) / 1e6),
        // Records catch-up brought, and how many of them were new where they arrived.
        catchUpReceived: cluster.nodes.reduce((n, sim) => n + sim.net.syncStats.received, 0),
        catchUpAdded: cluster.nodes.reduce((n, sim) => n + sim.net.syncStats.added, 0),
        lost,
        unexpected,
        ...trafficFigures(cluster),
      },
      problems: [],
    }
    if (leakedDuringPartition > 0)
      report.problems.push(`${leakedDuringPartition} records crossed the partition`)
    if (lost > 0) report.problems.push(`${lost} (node, record) pairs missing after heal`)
    if (unexpected > 0) report.problems.push(`${unexpected} records held that nobody acknowledged`)
    return report
  } finally {
    await cluster.close()
  }
}
