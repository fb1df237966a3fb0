/**
 * Search benchmarks over synthetic catalogues: query latency (target p99 <= 1 ms at 100k
 * packages), index build time (target <= 5 s for 100k), index heap size, and loading the
 * persisted index versus rebuilding it from rows.
 *
 *   npx vitest bench --run test/bench/search.bench.ts                      # 1k, 10k
 *   GGEN_BENCH_FULL=1 npx vitest bench --run test/bench/search.bench.ts    # + 100k
 */
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SearchIndex, type SearchOptions } from '../../src/search/index.js'
import { loadIndex, saveIndex } from '../../src/search/persist.js'
import { type SyntheticRelease, syntheticReleases } from './synthetic.js'

const FULL = process.env.GGEN_BENCH_FULL === '1'
const SIZES = FULL ? [1_000, 10_000, 100_000] : [1_000, 10_000]
const TIMEOUT = 600_000

/** `gc()`: from --expose-gc if given, else switched on at run time (V8 allows it). */
const gc: () => void = (() => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) return g
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

function heapAfterGc(): number {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** The queries measured, as [label, query, options]. */
function queries(sources: SyntheticRelease[]): [string, string, SearchOptions][] {
  const id = (sources[0] as SyntheticRelease).id
  return [
    ['common word', 'template', {}],
    ['prefix', 'subcomm', {}],
    ['typo, common word', 'temlpate', {}],
    ['typo, rarer word', 'subcomand', {}],
    ['two words', 'rust subcommand', {}],
    ['filtered', 'service', { category: 'web' }],
    ['id prefix', id.slice(0, id.lastIndexOf('-') + 2), {}],
    ['listing, filtered', '', { category: 'web' }],
  ]
}

const report: string[] = []
afterAll(() => {
  console.log(`\nsearch benchmark summary\n${report.join('\n')}`)
})

describe.each(SIZES)('search over %i packages', (n) => {
  let sources: SyntheticRelease[]
  let index: SearchIndex

  beforeAll(() => {
    sources = syntheticReleases(n)
    const before = heapAfterGc()
    const t0 = performance.now()
    const cpu0 = process.cpuUsage()
    index = SearchIndex.build(sources)
    const cpu = process.cpuUsage(cpu0)
    const buildMs = performance.now() - t0
    const heap = heapAfterGc() - before
    report.push(
      `${n} packages: build ${buildMs.toFixed(0)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms), ` +
        `index heap ${mib(heap)}`,
    )
  }, TIMEOUT)

  test(
    'query latency',
    async ({ bench }) => {
      const measured = queries(sources)
      for (const [, query, opts] of measured) expect(index.search(query, opts).total).toBeGreaterThan(0)
      const results = await bench.compare(
        ...measured.map(([label, query, opts]) => bench(label, () => index.search(query, opts))),
        { time: FULL ? 2000 : 500 },
      )
      report.push(
        `  load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')} on ${availableParallelism()} cpus`,
      )
      for (const [label, query, opts] of measured) {
        const l = results.get(label).latency
        const total = index.search(query, opts).total
        report.push(
          `  ${label.padEnd(18)} ${JSON.stringify(query).padEnd(24)} total ${String(total).padStart(6)}  ` +
            `p50 ${l.p50.toFixed(3)} ms  p99 ${l.p99.toFixed(3)} ms`,
        )
      }
    },
    TIMEOUT,
  )

  test(
    'load the persisted index vs rebuild from rows',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ggen-search-bench-'))
      try {
        const file = join(dir, 'index.json')
        let t0 = performance.now()
        await saveIndex(index, file, 1)
        const saveMs = performance.now() - t0
        t0 = performance.now()
        const loaded = await loadIndex(file, 1)
        const loadMs = performance.now() - t0
        expect(loaded?.size).toBe(index.size)
        t0 = performance.now()
        SearchIndex.build(sources)
        const buildMs = performance.now() - t0
        const { size } = await stat(file)
        report.push(
          `  persisted ${mib(size)}: save ${saveMs.toFixed(0)} ms, load ${loadMs.toFixed(0)} ms, ` +
            `rebuild from rows ${buildMs.toFixed(0)} ms`,
        )
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
    TIMEOUT,
  )
})
