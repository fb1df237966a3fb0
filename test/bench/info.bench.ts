/**
 * `info` and search-index rebuild costs of the SQLite store at catalogue scale: `versions(id)`
 * for random ids (target p99 <= 0.2 ms) and `latestPerPackage()` over the whole catalogue.
 *
 *   npx vitest bench --run test/bench/info.bench.ts                      # 10k packages
 *   GGEN_BENCH_FULL=1 npx vitest bench --run test/bench/info.bench.ts    # 100k packages
 */
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { RecordBlock } from '../../src/domain/types.js'
import { openStore, type Store } from '../../src/store/store.js'
import { Log, tempDir } from '../unit/store/helpers.js'

const PACKAGES = process.env.GGEN_BENCH_FULL === '1' ? 100_000 : 10_000
/** One package in this many has several versions, some yanked, a few from a second key. */
const MULTI_EVERY = 50
const PUBLISHERS = 200

let store: Store
let cleanup: () => Promise<void>
const ids: string[] = []

function idOf(i: number): string {
  return `io.ggen.bench.pkg-${i.toString(36).padStart(5, '0')}`
}

beforeAll(async () => {
  const tmp = await tempDir()
  cleanup = tmp.cleanup
  store = openStore(join(tmp.dir, 'market.db'))
  const logs = Array.from({ length: PUBLISHERS }, (_, p) => new Log(`did:key:z6MkBenchPublisher${p}`))
  const started = performance.now()
  let batch: RecordBlock[] = []
  const flush = (): void => {
    store.applyRecords(batch)
    batch = []
  }
  for (let i = 0; i < PACKAGES; i++) {
    const id = idOf(i)
    ids.push(id)
    const log = logs[i % PUBLISHERS]!
    const manifest = {
      description: `Generates a ${id} scaffold with templates, queries and shapes for ggen projects`,
      keywords: ['rust', 'cli', `kw${i % 97}`],
      categories: ['templates'],
    }
    batch.push(log.release(id, '1.0.0', { manifest }))
    if (i % MULTI_EVERY === 0) {
      for (const v of ['1.1.0', '1.2.0', '2.0.0-rc.1', '1.10.0']) batch.push(log.release(id, v, { manifest }))
      batch.push(log.yank(id, '1.10.0', 'broken build'))
      batch.push(logs[(i + 1) % PUBLISHERS]!.release(id, '9.0.0', { manifest, content: `fork-${i}` }))
    }
    if (batch.length >= 5000) flush()
  }
  flush()
  const built = performance.now() - started
  console.log(
    `built ${PACKAGES} packages (${store.counts().records} records) in ${(built / 1000).toFixed(1)} s ` +
      `(${((built * 1000) / store.counts().records).toFixed(0)} µs/record, one transaction per 5000 records)`,
  )
}, 600_000)

afterAll(async () => {
  store?.close()
  await cleanup?.()
})

test(`versions(id) for random ids, ${PACKAGES} packages`, async ({ bench }) => {
  // Sanity: the lookup does the work the benchmark claims to measure.
  expect(store.versions(idOf(0)).map((v) => v.version)).toEqual([
    '1.0.0',
    '1.1.0',
    '1.2.0',
    '1.10.0',
    '2.0.0-rc.1',
    '9.0.0',
  ])
  let seed = 42
  const result = await bench('versions(random id)', () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    store.versions(ids[seed % ids.length]!)
  }).run({ time: 3000 })
  console.log(
    `versions(id): p50 ${result.latency.p50.toFixed(4)} ms, p99 ${result.latency.p99.toFixed(4)} ms ` +
      `(target p99 <= 0.2 ms), ${result.throughput.mean.toFixed(0)} ops/s`,
  )
})

test(`latestPerPackage(), ${PACKAGES} packages`, async ({ bench }) => {
  const latest = store.latestPerPackage()
  // One entry per (id, owner): every id, plus the second key's 9.0.0 on every multi-version id.
  expect(latest).toHaveLength(PACKAGES + Math.ceil(PACKAGES / MULTI_EVERY))
  const result = await bench('latestPerPackage()', () => {
    store.latestPerPackage()
  }).run({ time: 5000, iterations: 5, warmupIterations: 1 })
  console.log(
    `latestPerPackage(): median ${result.latency.p50.toFixed(1)} ms, p99 ${result.latency.p99.toFixed(1)} ms ` +
      `over ${result.latency.samplesCount} runs`,
  )
})
