/**
 * Topologies: which node dials which, as edges between node indices. Random ones draw from
 * the run's PRNG, so a seed names one graph.
 */
import type { Prng } from './prng.js'

/** An undirected edge: node `a` dials node `b`. */
export type Edge = readonly [a: number, b: number]

/** A topology by name, as the CLI spells it. */
export type TopologySpec =
  | { kind: 'mesh' }
  | { kind: 'line' }
  | { kind: 'regular'; degree: number }
  | { kind: 'clusters'; clusters: number; bridges: number }

/** Every node connected to every other. */
export function fullMesh(n: number): Edge[] {
  const edges: Edge[] = []
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) edges.push([a, b])
  return edges
}

/** 0-1-2-...-(n-1). */
export function line(n: number): Edge[] {
  return Array.from({ length: Math.max(0, n - 1) }, (_, i) => [i, i + 1] as const)
}

/**
 * A random k-regular graph by the pairing model (retried until simple and connected); when
 * n·k is odd one node gets k-1 links. Falls back to a ring with random chords.
 */
export function randomRegular(n: number, k: number, rng: Prng): Edge[] {
  const degree = Math.min(k, n - 1)
  for (let attempt = 0; attempt < 200; attempt++) {
    const stubs = rng.shuffle(Array.from({ length: n * degree }, (_, i) => Math.floor(i / degree)))
    if (stubs.length % 2 === 1) stubs.pop()
    const seen = new Set<string>()
    const edges: Edge[] = []
    let ok = true
    for (let i = 0; i < stubs.length && ok; i += 2) {
      const [a, b] = [stubs[i] as number, stubs[i + 1] as number]
      const key = a < b ? `${a}-${b}` : `${b}-${a}`
      if (a === b || seen.has(key)) ok = false
      seen.add(key)
      edges.push([a, b])
    }
    if (ok && connected(n, edges)) return edges
  }
  const edges: Edge[] = [...line(n), [n - 1, 0]]
  for (let a = 0; a < n; a++) {
    const b = rng.int(n)
    if (b !== a && b !== (a + 1) % n && (b + 1) % n !== a) edges.push([a, b])
  }
  return edges
}

/** `clusters` full meshes of about equal size, each joined to the next by `bridges` random edges. */
export function clusters(n: number, count: number, bridges: number, rng: Prng): Edge[] {
  const groups = clusterGroups(n, count)
  const edges: Edge[] = []
  for (const group of groups) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) edges.push([group[i] as number, group[j] as number])
    }
  }
  for (let g = 0; g + 1 < groups.length; g++) {
    const [left, right] = [groups[g] as number[], groups[g + 1] as number[]]
    for (let i = 0; i < bridges; i++)
      edges.push([left[rng.int(left.length)] as number, right[rng.int(right.length)] as number])
  }
  return edges
}

/** The node indices of each cluster: contiguous runs of about n/count. */
export function clusterGroups(n: number, count: number): number[][] {
  const size = Math.ceil(n / Math.max(1, count))
  const groups: number[][] = []
  for (let start = 0; start < n; start += size) {
    groups.push(Array.from({ length: Math.min(size, n - start) }, (_, i) => start + i))
  }
  return groups
}

/** The edges of `spec` over `n` nodes. */
export function buildTopology(spec: TopologySpec, n: number, rng: Prng): Edge[] {
  switch (spec.kind) {
    case 'mesh':
      return fullMesh(n)
    case 'line':
      return line(n)
    case 'regular':
      return randomRegular(n, spec.degree, rng)
    case 'clusters':
      return clusters(n, spec.clusters, spec.bridges, rng)
  }
}

/** Parses `mesh`, `line`, `regular:6`, `clusters:4:2` (clusters:count:bridges). */
export function parseTopology(text: string): TopologySpec {
  const [kind, x, y] = text.split(':')
  if (kind === 'mesh' || kind === 'line') return { kind }
  if (kind === 'regular') return { kind, degree: Number(x ?? 6) }
  if (kind === 'clusters') return { kind, clusters: Number(x ?? 4), bridges: Number(y ?? 2) }
  throw new Error(`unknown topology ${text}: use mesh, line, regular:K or clusters:C:B`)
}

/** True when every node is reachable from node 0. */
export function connected(n: number, edges: readonly Edge[]): boolean {
  if (n <= 1) return true
  const adjacent = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of edges) {
    adjacent[a]?.push(b)
    adjacent[b]?.push(a)
  }
  const seen = new Set([0])
  const stack = [0]
  while (stack.length > 0) {
    for (const next of adjacent[stack.pop() as number] ?? []) {
      if (!seen.has(next)) {
        seen.add(next)
        stack.push(next)
      }
    }
  }
  return seen.size === n
}
