/**
 * Catch-up of a late joiner over the sync protocol, on loopback TCP: node A holds N signed
 * release records by 100 publishers (ingested with `ingestMany`, as a bundle import would),
 * then each round starts a fresh node B that bootstraps to A and times until B has stored
 * all N. The time counts from the start of B (home, store, libp2p) to the last record; the
 * time after B's start returned is printed too.
 *
 *   npx vitest bench --run test/bench/net-catchup.bench.ts                    # 2,000 records
 *   GGEN_BENCH_FULL=1 npx vitest bench --run test/bench/net-catchup.bench.ts  # 10,000 records
 *
 * Prints the medians in records/s. Target: >= 2,000 records/s.
 */
import { rm } from 'node:fs/promises'
import { afterAll, expect, test } from 'vitest'
import { startPeer, tempRoot, waitFor } from '../integration/net/helpers.js'
import { signedReleaseRecords } from './signed-records.js'

const RECORDS = process.env.GGEN_BENCH_FULL === '1' ? 10_000 : 2_000
const ITERATIONS = 3

const root = await tempRoot()
const a = await startPeer(root.dir)

const results = a.node.ingestMany(
  signedReleaseRecords(RECORDS, { network: a.node.config.network, seed: 11 }).map((bytes) => ({ bytes })),
)
if (results.some((r) => !r.ok)) throw new Error('A rejected a valid record')

afterAll(async () => {
  await a.stop()
  await root.cleanup()
})

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

test(`a late joiner catches up ${RECORDS} records from one peer over TCP`, { timeout: 1_800_000 }, async ({
  bench,
}) => {
  expect(a.node.store.counts().records).toBe(RECORDS)
  const total: number[] = []
  const afterStart: number[] = []
  await bench('start B, bootstrap to A, until B holds every record', async () => {
    const started = performance.now()
    const b = await startPeer(root.dir, { bootstrap: [a.addr] })
    const up = performance.now()
    try {
      await waitFor(`B to hold ${RECORDS} records`, () => b.node.store.counts().records >= RECORDS, 600_000)
      const done = performance.now()
      total.push(done - started)
      afterStart.push(done - up)
    } finally {
      await b.stop()
      await rm(b.home, { recursive: true, force: true })
    }
  }).run({ iterations: ITERATIONS, warmupIterations: 0, time: 0 })
  // tinybench warms up first whatever warmupIterations says: keep the measured rounds
  expect(total.length).toBeGreaterThanOrEqual(ITERATIONS)
  total.splice(0, total.length - ITERATIONS)
  afterStart.splice(0, afterStart.length - ITERATIONS)
  const perSecond = (ms: number) => ((RECORDS / ms) * 1000).toFixed(0)
  console.log(
    `catch-up of ${RECORDS} records over ${ITERATIONS} rounds: median ${median(total).toFixed(0)} ms from B's start, ` +
      `${perSecond(median(total))} records/s (target >= 2,000); ` +
      `${median(afterStart).toFixed(0)} ms after start returned (${perSecond(median(afterStart))} records/s); ` +
      `rounds ${total.map((ms) => ms.toFixed(0)).join(', ')} ms`,
  )
})
