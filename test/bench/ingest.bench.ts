/**
 * Ingest throughput on one core: decode, verify the Ed25519 signature, check the log
 * position, store in SQLite (one transaction per record, as records arrive one by one from
 * gossip) and refresh the search index, for realistic signed release records.
 *
 *   npx vitest bench --run test/bench/ingest.bench.ts
 *
 * Each iteration ingests a fresh batch of BATCH records into the same growing home; records
 * per second = BATCH / median. The baseline in the same run is the store write alone (no
 * decode, no signature, no index), so the ratio shows what verification and indexing cost.
 * A last run offers the batched home records it already holds (a bundle imported twice).
 * Wall-clock medians swing with other work on a shared machine, so the thread's CPU time
 * per batch is printed too. Target: >= 5,000 records/s.
 *
 * Measured on the shared 2-core VM under load 5-8, the two trees alternating (records/s,
 * thread-CPU medians): before the ingest work (f9b8839) one by one 980-1,175, batched
 * 1,280-1,356; after it one by one 1,040-1,160, batched 1,590-1,730; already held 4,800-5,900
 * before, 54,000-91,000 after. Wall-clock medians moved with the load by 2x and say little.
 * Ed25519 verification alone costs 125-195 µs of CPU a record on that machine.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { decodeRecord } from '../../src/domain/records.js'
import { initHome } from '../../src/node/init.js'
import { LocalNode } from '../../src/node/local-node.js'
import { openStore } from '../../src/store/index.js'
import { signedReleaseRecords } from './signed-records.js'

const BATCH = 500
const BATCHES = Number(process.env.GGEN_BENCH_BATCHES ?? 40)

/** Signed records of 100 publishers, in batches of BATCH. */
function signedBatches(): Uint8Array[][] {
  const all = signedReleaseRecords(BATCH * BATCHES, { seed: 7 })
  return Array.from({ length: BATCHES }, (_, b) => all.slice(b * BATCH, (b + 1) * BATCH))
}

const batches = signedBatches()
const dir = await mkdtemp(join(tmpdir(), 'ggen-ingest-bench-'))
await initHome(join(dir, 'home'))
const node = await LocalNode.open(join(dir, 'home'), {})
await initHome(join(dir, 'home-batched'))
const batchedNode = await LocalNode.open(join(dir, 'home-batched'), {})
// load the indexes so that every ingest also updates the search index
await node.search({ query: 'warm' })
await batchedNode.search({ query: 'warm' })
const baseline = openStore(join(dir, 'baseline.db'))
const decodedBatches = batches.map((batch) => batch.map((bytes) => decodeRecord(bytes)))
let next = 0
let nextBatched = 0
let nextBaseline = 0
let nextHeld = 0

/** The calling thread's CPU time, µs. */
function cpuNow(): number {
  const { user, system } = process.threadCpuUsage()
  return user + system
}

/** Wraps `fn` to record the thread CPU time of each call into `into`, in ms. */
function timedCpu(fn: () => void, into: number[]): () => void {
  return () => {
    const start = cpuNow()
    fn()
    into.push((cpuNow() - start) / 1000)
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1] ?? Number.NaN
}

afterAll(async () => {
  await node.close()
  await batchedNode.close()
  baseline.close()
  await rm(dir, { recursive: true, force: true })
})

test(`ingest ${BATCH} signed release records per iteration`, async ({ bench }) => {
  const cpu = { ingest: [] as number[], batched: [] as number[] }
  const ingest = await bench(
    'ingestRecord: decode + verify + store + index',
    timedCpu(() => {
      for (const bytes of batches[next++ % BATCHES]!) node.ingest(bytes)
    }, cpu.ingest),
  ).run({ iterations: BATCHES / 2, warmupIterations: 0, time: 0 })
  const batched = await bench(
    'ingestRecords: the same, one commit per batch (catch-up, bundles)',
    timedCpu(() => {
      const results = batchedNode.ingestMany(batches[nextBatched++ % BATCHES]!.map((bytes) => ({ bytes })))
      if (results.some((r) => !r.ok)) throw new Error('a valid record was rejected')
    }, cpu.batched),
  ).run({ iterations: BATCHES / 2, warmupIterations: 0, time: 0 })
  const store = await bench('baseline: store.applyRecord only (pre-decoded)', () => {
    for (const block of decodedBatches[nextBaseline++ % BATCHES]!) baseline.applyRecord(block)
  }).run({ iterations: BATCHES / 2, warmupIterations: 0, time: 0 })
  const held = await bench('ingestRecords: records already held (a bundle imported twice)', () => {
    const results = batchedNode.ingestMany(batches[nextHeld++ % nextBatched]!.map((bytes) => ({ bytes })))
    if (results.some((r) => !r.ok || r.result.status !== 'duplicate'))
      throw new Error('a held record was not a duplicate')
  }).run({ iterations: BATCHES / 2, warmupIterations: 0, time: 0 })
  expect(node.store.counts().records).toBe(Math.min(next, BATCHES) * BATCH)
  expect(batchedNode.store.counts().records).toBe(Math.min(nextBatched, BATCHES) * BATCH)
  const perSecond = (ms: number) => ((BATCH / ms) * 1000).toFixed(0)
  console.log(
    `ingest one by one: median ${perSecond(ingest.latency.p50)} records/s ` +
      `(CPU ${perSecond(median(cpu.ingest))}); ` +
      `batched: median ${perSecond(batched.latency.p50)} records/s (CPU ${perSecond(median(cpu.batched))}) ` +
      `(target >= 5,000); store alone: median ${perSecond(store.latency.p50)} records/s; ` +
      `already held: median ${perSecond(held.latency.p50)} records/s; ` +
      `one-by-one takes ${(ingest.latency.p50 / store.latency.p50).toFixed(2)}x the store-only time`,
  )
})
