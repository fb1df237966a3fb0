/**
 * `info` requests per second over the daemon socket (target >= 10,000/s): a served
 * LocalNode in its own process (like the daemon), driven by 1 client awaiting each answer,
 * 8 such clients at once, and 1 client keeping 32 requests in flight. `keys`, which costs
 * the node next to nothing, shows what the socket layer alone can carry. Needs the build.
 *
 *   npm run build && npx vitest bench --run test/bench/ipc.bench.ts
 *   GGEN_BENCH_SECONDS=10 npx vitest bench --run test/bench/ipc.bench.ts
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { connectIpc, type IpcClient } from '../../src/ipc/client.js'
import { ROOT } from '../helpers/cli.js'

const SECONDS = Number(process.env.GGEN_BENCH_SECONDS ?? 3)
const ID = 'io.ggen.macros.std'
const DIST = join(ROOT, 'dist', 'src')

/** The daemon stand-in: a home with one package, served until stdin closes. */
const SERVER = `
const [{ initHome }, { LocalNode }, { startIpcServer }] = await Promise.all([
  import(${JSON.stringify(join(DIST, 'node', 'init.js'))}),
  import(${JSON.stringify(join(DIST, 'node', 'local-node.js'))}),
  import(${JSON.stringify(join(DIST, 'ipc', 'server.js'))}),
])
const [home, socketPath, pkg] = process.argv.slice(1)
await initHome(home)
const node = await LocalNode.open(home, {})
await node.publish(pkg)
const server = await startIpcServer({ socketPath, handle: node })
process.stdout.write('ready\\n')
process.stdin.resume()
process.stdin.on('end', async () => { await server.close(); await node.close(); process.exit(0) })
`

let dir: string
let daemon: ChildProcess
let socketPath: string

beforeAll(async () => {
  if (!existsSync(join(DIST, 'ipc', 'server.js'))) throw new Error('run `npm run build` first')
  dir = await mkdtemp(join(tmpdir(), 'ggen-ipc-bench-'))
  socketPath = join(dir, 'daemon.sock')
  daemon = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      SERVER,
      join(dir, 'home'),
      socketPath,
      join(ROOT, 'examples', 'macros-std'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  await new Promise<void>((resolve, reject) => {
    daemon.stdout!.once('data', () => resolve())
    daemon.once('exit', (code) => reject(new Error(`bench daemon exited with ${code}`)))
  })
}, 60_000)

afterAll(async () => {
  daemon?.stdin?.end()
  await new Promise((resolve) => daemon?.once('exit', resolve))
  await rm(dir, { recursive: true, force: true })
})

async function clients(n: number): Promise<IpcClient[]> {
  const list = await Promise.all(Array.from({ length: n }, () => connectIpc(socketPath)))
  return list.map((c) => c!)
}

/** Runs `depth` request loops on each client for SECONDS; returns throughput and latency. */
async function drive(
  list: IpcClient[],
  depth: number,
  call: (client: IpcClient) => Promise<unknown> = (client) => client.info(ID),
): Promise<{ rate: number; p50: number; p99: number }> {
  const latencies: number[] = []
  const end = performance.now() + SECONDS * 1000
  const loop = async (client: IpcClient): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now()
      await call(client)
      latencies.push(performance.now() - t)
    }
  }
  const started = performance.now()
  await Promise.all(list.flatMap((c) => Array.from({ length: depth }, () => loop(c))))
  const elapsed = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const at = (q: number) => latencies[Math.floor((latencies.length - 1) * q)]!
  return { rate: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) }
}

function report(label: string, r: { rate: number; p50: number; p99: number }, method = 'info'): void {
  console.log(
    `${label}: ${r.rate.toFixed(0)} ${method}/s (target >= 10000), latency p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms`,
  )
}

test('info over the socket, 1 client, one request at a time', async () => {
  const [client] = await clients(1)
  expect((await client!.info(ID)).id).toBe(ID)
  await drive([client!], 1) // warm up the daemon's JIT
  report('1 client, sequential', await drive([client!], 1))
  await client!.close()
}, 120_000)

test('info over the socket, 8 concurrent clients', async () => {
  const list = await clients(8)
  report('8 clients, sequential each', await drive(list, 1))
  await Promise.all(list.map((c) => c.close()))
}, 120_000)

test('info over the socket, 1 client with 32 in flight', async () => {
  const [client] = await clients(1)
  report('1 client, 32 in flight', await drive([client!], 32))
  await client!.close()
}, 120_000)

test('keys over the socket (the socket layer alone), 8 concurrent clients', async () => {
  const list = await clients(8)
  report('8 clients, sequential each', await drive(list, 1, (c) => c.keys()), 'keys')
  await Promise.all(list.map((c) => c.close()))
}, 120_000)
