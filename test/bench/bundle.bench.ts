/**
 * Air-gap bundle throughput: export (records + every package's blocks, re-hashed, into a
 * fsynced CAR file) and import (streamed, every block hashed, stored in a fresh home's
 * blockstore, records through the ingest path, packages checked complete) of one
 * catalogue, against a plain copy of a file of the same size in the same run: a streamed
 * read/write with fsync (what export does to the disk) and fs.copyFile (what `cp` does).
 * Rounds alternate the order so caches and write-back weigh on all alike. Also reports the
 * peak live memory of an import, which must stay far below the bundle's size.
 *
 *   npx vitest bench --run test/bench/bundle.bench.ts                    # 64 MB
 *   GGEN_BENCH_FULL=1 npx vitest bench --run test/bench/bundle.bench.ts  # 500 MB
 */
import { randomBytes } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { copyFile, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { initHome } from '../../src/node/init.js'
import { LocalNode } from '../../src/node/local-node.js'

const FULL = process.env.GGEN_BENCH_FULL === '1'
const TOTAL_BYTES = (FULL ? 500 : 64) * 1_000_000
const PACKAGES = 20
const ITERATIONS = 3
const WARMUP = 1
const TIMEOUT = 1_800_000

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`
const rate = (bytes: number, ms: number) => `${(bytes / 1_000_000 / (ms / 1000)).toFixed(0).padStart(4)} MB/s`

let work: string
let source: LocalNode
const report: string[] = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ggen-bench-bundle-'))
  await initHome(join(work, 'source'))
  source = await LocalNode.open(join(work, 'source'), {})
  const per = Math.floor(TOTAL_BYTES / PACKAGES)
  for (let i = 0; i < PACKAGES; i++) await source.publish(await writePackage(join(work, 'packages'), i, per))
}, TIMEOUT)

afterAll(async () => {
  console.log(`\nbundle benchmark summary\n${report.join('\n')}`)
  await source?.close()
  await rm(work, { recursive: true, force: true })
})

describe(`bundle: ${PACKAGES} packages, ${mb(TOTAL_BYTES)}`, () => {
  test(
    'export and import vs a plain file copy',
    async () => {
      const bundle = join(work, 'catalogue.car')
      let imported = 0
      const variants: Variant[] = [
        {
          name: 'export (ggen-market export)',
          run: () => timed(async () => (await source.exportBundle({ file: bundle })).bytes),
        },
        {
          name: 'import into a fresh home',
          run: async () => {
            const home = join(work, `target-${imported++}`)
            await initHome(home)
            const node = await LocalNode.open(home, {})
            await node.content() // opening Helia is start-up, not throughput
            try {
              return await timed(async () => {
                const r = await node.importBundle(bundle)
                expect(r.clean).toBe(true)
                return r.bytes
              })
            } finally {
              await node.close()
              await rm(home, { recursive: true, force: true })
            }
          },
        },
        {
          name: 'streamed copy + fsync (same size)',
          run: () =>
            timed(async () => {
              const to = join(work, 'copy.car')
              await pipeline(createReadStream(bundle, { highWaterMark: 1 << 20 }), createWriteStream(to))
              const handle = await open(to, 'r+')
              await handle.sync()
              await handle.close()
              const { size } = await stat(to)
              await rm(to)
              return size
            }),
        },
        {
          name: 'fs.copyFile (cp)',
          run: () =>
            timed(async () => {
              const to = join(work, 'cp.car')
              await copyFile(bundle, to)
              const { size } = await stat(to)
              await rm(to)
              return size
            }),
        },
      ]
      await variants[0]!.run() // the copies need a bundle to copy

      const samples = variants.map(() => [] as number[])
      let size = 0
      for (let round = 0; round < WARMUP + ITERATIONS; round++) {
        const order = round % 2 === 0 ? [0, 1, 2, 3] : [2, 3, 0, 1]
        for (const i of order) {
          const { ms, bytes } = await variants[i]!.run()
          size = bytes
          if (round >= WARMUP) samples[i]!.push(ms)
        }
      }

      const medians = samples.map((s) => stats(s).median)
      report.push(
        `${mb(size)} bundle of ${PACKAGES} packages, ${ITERATIONS} runs each after ${WARMUP} warmup`,
      )
      for (const [i, v] of variants.entries()) {
        const s = stats(samples[i]!)
        report.push(
          `  ${v.name.padEnd(34)} median ${s.median.toFixed(0).padStart(6)} ms  ${rate(size, s.median)}  (min ${s.min.toFixed(0)}, max ${s.max.toFixed(0)})`,
        )
      }
      report.push(
        `  export / streamed copy ${(medians[0]! / medians[2]!).toFixed(2)}x, import / streamed copy ${(medians[1]! / medians[2]!).toFixed(2)}x`,
      )
      expect(size).toBeGreaterThan(TOTAL_BYTES)
    },
    TIMEOUT,
  )

  test(
    'peak live memory of an import',
    async () => {
      const bundle = join(work, 'catalogue.car')
      await source.exportBundle({ file: bundle })
      const home = join(work, 'target-memory')
      await initHome(home)
      const node = await LocalNode.open(home, {})
      await node.content()
      for (let i = 0; i < 3; i++) liveMemory()
      const base = liveMemory()
      let peak = base
      let samples = 0
      // A full collection per sample is costly with Helia loaded: sparse enough not to starve the import.
      const timer = setInterval(() => {
        peak = Math.max(peak, liveMemory())
        samples++
      }, 250)
      try {
        await node.importBundle(bundle)
      } finally {
        clearInterval(timer)
        await node.close()
      }
      const { size } = await stat(bundle)
      report.push(
        `  peak live heap + buffers importing ${mb(size)}: ${mb(peak - base)} above baseline (${samples} samples)`,
      )
      expect(samples).toBeGreaterThan(2)
      expect(peak - base).toBeLessThan(Math.min(size / 4, 128_000_000))
    },
    TIMEOUT,
  )
})

interface Variant {
  name: string
  run: () => Promise<{ ms: number; bytes: number }>
}

async function timed(fn: () => Promise<number>): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now()
  const bytes = await fn()
  return { ms: performance.now() - t0, bytes }
}

function stats(xs: number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, min: s[0]!, max: s.at(-1)! }
}

/** `gc()`: from --expose-gc if given, else switched on at run time (V8 allows it). */
const gc: () => void = (() => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) return g
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

/** Heap plus Buffer/ArrayBuffer memory, after a collection. */
function liveMemory(): number {
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

/** Package `i`: a manifest, a README, some templates and binary assets totalling ~`bytes`. */
async function writePackage(parent: string, i: number, bytes: number): Promise<string> {
  const dir = join(parent, `p${i}`)
  await mkdir(join(dir, 'templates'), { recursive: true })
  await mkdir(join(dir, 'assets'), { recursive: true })
  await writeFile(
    join(dir, 'gpack.toml'),
    `[gpack]\nid = "io.bench.p${i}"\nversion = "1.0.0"\ndescription = "bench package ${i}"\nlicense = "MIT"\n`,
  )
  await writeFile(join(dir, 'README.md'), `# p${i}\n`)
  for (let t = 0; t < 20; t++)
    await writeFile(join(dir, 'templates', `t${t}.tmpl`), `{{ name }} ${t}\n`.repeat(200))
  // Assets of up to 8 MB each, random so nothing dedupes.
  for (let left = bytes, n = 0; left > 0; n++) {
    const size = Math.min(left, 8_000_000)
    await writeFile(join(dir, 'assets', `a${n}.bin`), randomBytes(size))
    left -= size
  }
  return dir
}
