/**
 * Publish packing cost: scanPackageDir + packDirectory into a fresh content store (Helia
 * light over FsBlockstore), against a bare @helia/unixfs addAll of the same files, read
 * with fs.createReadStream, into a fresh FsBlockstore with the same importer options.
 * Target: median ratio <= 1.25. Also reports the peak live memory of one pack, which must
 * stay well below the package size (files are streamed, not buffered).
 *
 *   npx vitest bench --run test/bench/publish.bench.ts                    # 1,000 files, 20 MB
 *   GGEN_BENCH_FULL=1 npx vitest bench --run test/bench/publish.bench.ts  # 1,000 files, 100 MB
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { unixfs } from '@helia/unixfs'
import { FsBlockstore } from 'blockstore-fs'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { openContentStore } from '../../src/content/blockstore.js'
import { packageImporterOptions } from '../../src/content/dag-options.js'
import { packDirectory } from '../../src/content/pack.js'
import { type PackFile, scanPackageDir } from '../../src/content/scan.js'
import { generatePackage } from './package-generator.js'

const FULL = process.env.GGEN_BENCH_FULL === '1'
const FILES = 1_000
const TOTAL_BYTES = (FULL ? 100 : 20) * 1_000_000
const ITERATIONS = FULL ? 5 : 7
const WARMUP = 1
const TIMEOUT = 900_000

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`
const millis = (n: number) => `${n.toFixed(0).padStart(6)} ms`

let work: string
let pkg: string
let files: PackFile[]
const report: string[] = []

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ggen-bench-publish-'))
  pkg = join(work, 'pkg')
  await generatePackage(pkg, FILES, TOTAL_BYTES, '[gpack]\nid = "io.ggen.bench"\nversion = "1.0.0"\n')
  const scan = await scanPackageDir(pkg, { maxBytes: TOTAL_BYTES * 2 })
  expect(scan.problems).toEqual([])
  files = scan.files
}, TIMEOUT)

afterAll(async () => {
  console.log(`\npublish benchmark summary\n${report.join('\n')}`)
  await rm(work, { recursive: true, force: true })
})

describe(`publish: ${FILES} files, ${mb(TOTAL_BYTES)}`, () => {
  test(
    'scan + pack vs bare unixfs.addAll',
    async () => {
      // Rounds alternate which variant goes first, so disk write-back and caches left by
      // one run weigh on both variants alike (tinybench would run all of one, then all of
      // the other).
      const variants: Variant[] = [
        {
          name: 'scanPackageDir + packDirectory (content store)',
          run: async (dir) => {
            const store = await openContentStore(dir)
            try {
              return await timed(async () => {
                const scan = await scanPackageDir(pkg, { maxBytes: TOTAL_BYTES * 2 })
                return (await packDirectory(store, scan.files)).cid.toString()
              })
            } finally {
              await store.close()
            }
          },
        },
        {
          name: 'bare @helia/unixfs addAll (FsBlockstore)',
          run: async (dir) => {
            const blockstore = new FsBlockstore(join(dir, 'blocks'))
            await blockstore.open()
            return timed(async () => {
              const source = files.map((f) => ({ path: f.path, content: createReadStream(f.absPath) }))
              let root = ''
              for await (const entry of unixfs({ blockstore }).addAll(source, packageImporterOptions())) {
                root = entry.cid.toString()
              }
              return root
            })
          },
        },
      ]
      const samples = variants.map(() => [] as number[])
      const cids = new Set<string>()
      for (let round = 0; round < WARMUP + ITERATIONS; round++) {
        for (const i of round % 2 === 0 ? [0, 1] : [1, 0]) {
          const dir = join(work, `store-${round}-${i}`)
          const { ms, cid } = await variants[i]!.run(dir)
          await rm(dir, { recursive: true, force: true })
          cids.add(cid)
          if (round >= WARMUP) samples[i]!.push(ms)
        }
      }

      // Both built the one and same package DAG, every time.
      expect(cids.size).toBe(1)
      const [ours, bare] = samples.map(stats)
      const ratio = ours!.median / bare!.median
      report.push(
        `${FILES} files, ${mb(TOTAL_BYTES)}, ${ITERATIONS} runs each after ${WARMUP} warmup, alternating`,
      )
      for (const [i, v] of variants.entries()) {
        const s = stats(samples[i]!)
        report.push(
          `  ${v.name.padEnd(48)} median ${millis(s.median)}  mean ${millis(s.mean)}  min ${millis(s.min)}  max ${millis(s.max)}`,
        )
      }
      report.push(
        `  ratio of medians ${ratio.toFixed(2)} (target <= 1.25); ${mb(TOTAL_BYTES / (ours!.median / 1000))}/s packed`,
      )
    },
    TIMEOUT,
  )

  test(
    'peak live memory packing one big file',
    async () => {
      // The worst case for buffering: all of the package in one file.
      const big = join(work, 'big')
      await mkdir(big)
      await writeFile(join(big, 'big.bin'), randomBytes(TOTAL_BYTES))
      const { files: bigFiles } = await scanPackageDir(big, { maxBytes: TOTAL_BYTES })
      const store = await openContentStore(join(work, 'store-memory'))
      // External memory (the buffer just written) is released a collection or two late.
      for (let i = 0; i < 3; i++) {
        liveMemory()
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      const base = liveMemory()
      let peak = base
      let samples = 0
      // A collection before each sample, so the peak is live data, not garbage not yet collected.
      const timer = setInterval(() => {
        peak = Math.max(peak, liveMemory())
        samples++
      }, 50)
      const t0 = performance.now()
      try {
        await packDirectory(store, bigFiles)
      } finally {
        clearInterval(timer)
        await store.close()
      }
      const took = performance.now() - t0
      report.push(
        `  peak live heap + buffers packing one ${mb(TOTAL_BYTES)} file: ${mb(peak - base)} above baseline (${samples} samples over ${millis(took).trim()})`,
      )
      expect(samples).toBeGreaterThan(3)
      expect(peak - base).toBeLessThan(TOTAL_BYTES / 4)
    },
    TIMEOUT,
  )
})

interface Variant {
  name: string
  run: (dir: string) => Promise<{ ms: number; cid: string }>
}

async function timed(fn: () => Promise<string>): Promise<{ ms: number; cid: string }> {
  const t0 = performance.now()
  const cid = await fn()
  return { ms: performance.now() - t0, cid }
}

function stats(xs: number[]): { median: number; mean: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median, mean: s.reduce((a, b) => a + b, 0) / s.length, min: s[0]!, max: s.at(-1)! }
}

/** `gc()`: from --expose-gc if given, else switched on at run time (V8 allows it). */
const gc: () => void = (() => {
  const g = (globalThis as { gc?: () => void }).gc
  if (g) return g
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
})()

/** Heap plus Buffer/ArrayBuffer memory (where file chunks live), after a collection. */
function liveMemory(): number {
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
