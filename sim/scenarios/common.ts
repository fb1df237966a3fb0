/**
 * What every scenario shares: its parameters (from the CLI or a test), building the cluster
 * they describe, and the figures read off a cluster at the end.
 */
import { Cluster, type ClusterOptions, type TransportMode } from '../cluster.js'
import { Prng } from '../prng.js'
import { buildTopology, type Edge, parseTopology } from '../topology.js'

/** Parameters common to all scenarios. */
export interface ScenarioParams {
  nodes: number
  seed: number
  /** mesh, line, regular:K, clusters:C:B. */
  topology: string
  mode: TransportMode
  latencyMs: number
  jitterMs: number
  loss: number
  /** Scenario-specific size (records of a catalogue, publishes, ...). */
  records: number
  /** Catch-up period of every node, ms. */
  syncIntervalMs: number
}

/** Defaults: 20 nodes, random 6-regular, 20 ± 10 ms links, catch-up every 60 s. */
export const DEFAULT_PARAMS: ScenarioParams = {
  nodes: 20,
  seed: 1,
  topology: 'regular:6',
  mode: 'memory',
  latencyMs: 20,
  jitterMs: 10,
  loss: 0,
  records: 100,
  // The product's default: news crosses the mesh hop by hop without waiting for it, and a
  // short period costs hundreds of pulls a second once there are hundreds of nodes.
  syncIntervalMs: 60_000,
}

/** A started, connected cluster with its run's PRNG (a fork of the fabric's, so topologies repeat). */
export async function startCluster(
  params: ScenarioParams,
  extra: Pick<ClusterOptions, 'onWarning' | 'content'> = {},
): Promise<{ cluster: Cluster; rng: Prng; edges: Edge[] }> {
  const cluster = await Cluster.start(params.nodes, {
    seed: params.seed,
    mode: params.mode,
    link: { latencyMs: params.latencyMs, jitterMs: params.jitterMs, loss: params.loss },
    limits: { sync_interval_ms: params.syncIntervalMs },
    ...extra,
  })
  try {
    const rng = new Prng(params.seed ^ 0x5eed)
    const edges = buildTopology(parseTopology(params.topology), params.nodes, rng)
    // Dialling hundreds of links in one process takes a while on a busy machine.
    const timeoutMs = Math.max(60_000, params.nodes * 1000)
    await cluster.connect(edges, timeoutMs)
    await cluster.waitForMesh(timeoutMs)
    return { cluster, rng, edges }
  } catch (err) {
    await cluster.close()
    throw err
  }
}

/** The report's parameters object. */
export function parameters(params: ScenarioParams): Record<string, unknown> {
  const { seed: _seed, ...rest } = params
  return rest
}

/** Figures every report carries: fabric traffic and memory. */
export function trafficFigures(cluster: Cluster): Record<string, number | null> {
  const memory = cluster.mode === 'memory'
  return {
    bytes: memory ? cluster.fabric.stats.bytes : null,
    chunksLost: memory ? cluster.fabric.stats.lost : null,
    duplicatesIgnored: cluster.nodes.reduce((n, s) => n + s.net.gossipStats.duplicate, 0),
    rejected: cluster.nodes.reduce((n, s) => n + s.net.gossipStats.invalid + s.net.gossipStats.oversized, 0),
    peakRssMb: Math.round(cluster.peakRss / 2 ** 20),
  }
}
