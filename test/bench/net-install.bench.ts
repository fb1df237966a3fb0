import { createReadStream } from 'node:fs'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { unixfs } from '@helia/unixfs'
import { identify } from '@libp2p/identify'
import { tcp } from '@libp2p/tcp'
import { FsBlockstore } from 'blockstore-fs'
import { createHelia } from 'helia'
import { createUnsafe } from 'multiformats/block'
import type { CID } from 'multiformats/cid'
import { afterAll, expect, test } from 'vitest'
import { packageImporterOptions } from '../../src/content/dag-options.js'
import { scanPackageDir } from '../../src/content/scan.js'
import { homeLayout } from '../../src/node/home.js'
import { initHome } from '../../src/node/init.js'
import { startPeer, type TestPeer, tempRoot, waitFor } from '../integration/net/helpers.js'
import { generatePackage } from './package-generator.js'

/**
 * Network install against a bare Helia-to-Helia Bitswap fetch of the same DAG, in the same
 * run, alternating, on loopback TCP (both sides' two nodes share this process).
 *
 * - project: `install ID` on a fresh node B bootstrapped to A (B already holds the signed
 *   record; only the install is timed). B fetches every block from A by Bitswap, 16 at a
 *   time, earliest in depth-first order first, and extracts the package while it arrives:
 *   every block re-hashed against its CID, the 1,000 files written and fsynced into a
 *   staging directory, renamed into `.ggen/packages/ID`, then `ggen.lock` written.
 * - bare: a fresh Helia gets every block of the same DAG from a bare Helia holding it, 16 at
 *   a time (Helia checks each against its CID and stores it); it writes no files.
 *
 * So the project side does strictly more (the whole install, extraction included); the
 * target is that it still runs at >= 0.8 of the bare fetch's throughput.
 */
const FULL = process.env.GGEN_BENCH_FULL === '1'
const FILES = 1_000
const TOTAL_BYTES = (FULL ? 100 : 20) * 1_000_000
const ITERATIONS = FULL ? 5 : 3
const CONCURRENCY = 16

const mb = (bytes: number) => `${(bytes / 1_000_000).toFixed(1)} MB`

const root = await tempRoot()
const pkg = join(root.dir, 'pkg')
await generatePackage(
  pkg,
  FILES,
  TOTAL_BYTES,
  '[gpack]\nid = "io.ggen.bench.net"\nname = "Network bench"\nversion = "1.0.0"\ndescription = "Templates for the network install benchmark"\nlicense = "MIT"\n',
)

/** A home whose config allows a package of this size (the default limit is 64 MiB). */
async function bigHome(name: string): Promise<string> {
  const home = join(root.dir, name)
  await initHome(home)
  const file = homeLayout(home).config
  const text = await readFile(file, 'utf8')
  await writeFile(file, text.replace(/^max_package_bytes = \d+$/m, `max_package_bytes = ${TOTAL_BYTES * 2}`))
  return home
}

const a = await startPeer(root.dir, { home: await bigHome('a') })
const published = await a.node.publish(pkg)

// The bare sender: the same DAG imported with the same importer options.
const bareA = await bareHelia(join(root.dir, 'bare-a'))
const scan = await scanPackageDir(pkg, { maxBytes: TOTAL_BYTES * 2 })
let bareRoot: CID | undefined
for await (const entry of unixfs(bareA).addAll(
  scan.files.map((f) => ({ path: f.path, content: createReadStream(f.absPath) })),
  packageImporterOptions(),
)) {
  bareRoot = entry.cid
}
const bareAddr = bareA.libp2p.getMultiaddrs().find((ma) => ma.toString().startsWith('/ip4/127.0.0.1/tcp/'))!

afterAll(async () => {
  await bareA.stop()
  await a.stop()
  await root.cleanup()
})

/** A plain Helia over loopback TCP: no discovery, routers or gateways, so nothing leaves the machine. */
async function bareHelia(dir: string) {
  const blockstore = new FsBlockstore(join(dir, 'blocks'))
  await blockstore.open()
  const helia = createHelia({
    blockstore,
    libp2p: {
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      peerDiscovery: [],
      connectionGater: { denyDialMultiaddr: () => false },
      services: { identify: identify() },
    },
    http: { delegatedRouters: [], recursiveGateways: [] },
  })
  await helia.start()
  return helia
}

let round = 0

/** What one timed variant took: wall time and the process's CPU time, in ms. */
interface Timing {
  ms: number
  cpuMs: number
}

/** Starts timing; the returned function stops it. */
function timing(): () => Timing {
  const started = performance.now()
  const cpu = process.cpuUsage()
  return () => {
    const ms = performance.now() - started
    const used = process.cpuUsage(cpu)
    return { ms, cpuMs: (used.user + used.system) / 1000 }
  }
}

/** Installs the package on a fresh B; returns the install's timing. */
async function projectInstall(): Promise<Timing> {
  const b: TestPeer = await startPeer(root.dir, { home: await bigHome(`b-${round}`), bootstrap: [a.addr] })
  try {
    await waitFor('B to hold the record', () => b.node.store.versions(published.id).length === 1, 30_000)
    const stop = timing()
    const result = await b.node.install({ specs: [published.id], dir: join(root.dir, `project-${round}`) })
    const timed = stop()
    expect(result.installed[0]?.cid).toBe(published.cid)
    return timed
  } finally {
    await b.stop()
    await rm(b.home, { recursive: true, force: true })
    await rm(join(root.dir, `project-${round}`), { recursive: true, force: true })
  }
}

/** Fetches every block of the DAG on a fresh bare Helia from bare A; returns its timing. */
async function bareFetch(): Promise<Timing> {
  const dir = join(root.dir, `bare-b-${round}`)
  const b = await bareHelia(dir)
  try {
    await b.libp2p.dial(bareAddr)
    const stop = timing()
    const blocks = await walk(b, bareRoot!)
    const timed = stop()
    expect(blocks).toBeGreaterThan(FILES)
    return timed
  } finally {
    await b.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

/** Gets every block reachable from `cid`, CONCURRENCY at a time; returns how many. */
async function walk(helia: Awaited<ReturnType<typeof bareHelia>>, cid: CID): Promise<number> {
  const queue: CID[] = [cid]
  const seen = new Set<string>([cid.toString()])
  const running = new Set<Promise<void>>()
  const visit = async (at: CID) => {
    const parts: Uint8Array[] = []
    for await (const chunk of helia.blockstore.get(at)) parts.push(chunk)
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
    const codec = await helia.getCodec(at.code)
    for (const [, link] of createUnsafe({ bytes, cid: at, codec }).links()) {
      if (seen.has(link.toString())) continue
      seen.add(link.toString())
      queue.push(link)
    }
  }
  while (queue.length > 0 || running.size > 0) {
    while (queue.length > 0 && running.size < CONCURRENCY) {
      const task: Promise<void> = visit(queue.shift()!).finally(() => running.delete(task))
      running.add(task)
    }
    await Promise.race(running)
  }
  return seen.size
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

test(`install ${mb(TOTAL_BYTES)} over Bitswap, A to B on loopback TCP`, { timeout: 1_800_000 }, async ({
  bench,
}) => {
  expect(bareRoot?.toString()).toBe(published.cid)
  const samples = { project: [] as number[], bare: [] as number[] }
  // CPU of the whole process (both nodes of a side, and whatever else runs) while timed
  const cpu = { project: [] as number[], bare: [] as number[] }
  await bench('project install on B vs bare Helia Bitswap fetch, alternating', async () => {
    const order = round % 2 === 0 ? (['project', 'bare'] as const) : (['bare', 'project'] as const)
    for (const variant of order) {
      const { ms, cpuMs } = variant === 'project' ? await projectInstall() : await bareFetch()
      samples[variant].push(ms)
      cpu[variant].push(cpuMs)
    }
    round++
  }).run({ iterations: ITERATIONS, warmupIterations: 0, time: 0 })
  // tinybench warms up first whatever warmupIterations says: keep the measured rounds
  expect(samples.project.length).toBeGreaterThanOrEqual(ITERATIONS)
  samples.project.splice(0, samples.project.length - ITERATIONS)
  samples.bare.splice(0, samples.bare.length - ITERATIONS)
  cpu.project.splice(0, cpu.project.length - ITERATIONS)
  cpu.bare.splice(0, cpu.bare.length - ITERATIONS)
  const project = median(samples.project)
  const bare = median(samples.bare)
  console.log(
    `install of ${FILES} files, ${mb(TOTAL_BYTES)} (${mb(published.size)} packed) over ${ITERATIONS} rounds: ` +
      `project median ${project.toFixed(0)} ms (${mb((published.size / project) * 1000)}/s), ` +
      `bare Helia median ${bare.toFixed(0)} ms (${mb((published.size / bare) * 1000)}/s); ` +
      `throughput ratio bare/project ${(bare / project).toFixed(2)} (target >= 0.8); ` +
      `project rounds ${samples.project.map((s) => s.toFixed(0)).join(', ')} ms; ` +
      `bare rounds ${samples.bare.map((s) => s.toFixed(0)).join(', ')} ms; ` +
      `process CPU median project ${median(cpu.project).toFixed(0)} ms, bare ${median(cpu.bare).toFixed(0)} ms`,
  )
})
