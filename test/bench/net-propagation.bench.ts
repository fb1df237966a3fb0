/**
 * Propagation over real TCP on loopback: 3 nodes chained A-B-C by bootstrap; each iteration
 * signs a release on A (the local ingest path and the announcer, as a publish does after
 * packing) and measures until C has stored it and a search on C returns it.
 *
 *   npx vitest bench --run test/bench/net-propagation.bench.ts
 *
 * ITERATIONS releases (GGEN_BENCH_FULL=1: 300); prints the median and p95. Target: p95 <= 300 ms.
 */
import { afterAll, expect, test } from 'vitest'
import type { WatchEvent } from '../../src/node/api.js'
import { publishRecord, startPeer, type TestPeer, tempRoot, waitForMesh } from '../integration/net/helpers.js'

const ITERATIONS = process.env.GGEN_BENCH_FULL ? 300 : 40

const root = await tempRoot()
const a = await startPeer(root.dir)
const b = await startPeer(root.dir, { bootstrap: [a.addr] })
const c = await startPeer(root.dir, { bootstrap: [b.addr] })
const nodes: TestPeer[] = [a, b, c]
await waitForMesh(nodes)
// load C's search index so that the first iteration does not pay for it
await c.node.search({ query: 'warm' })

afterAll(async () => {
  for (const p of nodes.reverse()) await p.stop()
  await root.cleanup()
})

/** Resolves when C has stored a record of `id`. */
function storedOnC(id: string): Promise<void> {
  return new Promise((resolve) => {
    const onEvent = (event: WatchEvent) => {
      if (event.type !== 'record' || event.id !== id) return
      c.node.events.off('event', onEvent)
      resolve()
    }
    c.node.events.on('event', onEvent)
  })
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
}

let next = 0

test('publish on A to searchable on C, 3 nodes over TCP', { timeout: 600_000 }, async ({ bench }) => {
  const samples: number[] = []
  await bench('sign on A -> stored and found by search on C', async () => {
    const id = `bench.prop${next++}`
    const started = performance.now()
    const arrived = storedOnC(id)
    await publishRecord(a.node, id, '1.0.0')
    await Promise.race([
      arrived,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${id} did not reach C within 10 s`)), 10_000).unref(),
      ),
    ])
    const found = await c.node.search({ query: id })
    samples.push(performance.now() - started)
    if (!found.results.some((h) => h.id === id))
      throw new Error(`${id} is stored on C but search does not find it`)
  }).run({ iterations: ITERATIONS, warmupIterations: 0, time: 0 })
  // tinybench warms up first whatever warmupIterations says: keep the measured iterations
  expect(samples.length).toBeGreaterThanOrEqual(ITERATIONS)
  samples.splice(0, samples.length - ITERATIONS)
  console.log(
    `publish on A to searchable on C over ${ITERATIONS} releases: median ${percentile(samples, 50).toFixed(1)} ms, ` +
      `p95 ${percentile(samples, 95).toFixed(1)} ms (target p95 <= 300 ms)`,
  )
})
