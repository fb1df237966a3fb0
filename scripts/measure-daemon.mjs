#!/usr/bin/env node
/**
 * Measures the daemon's idle memory: starts the built daemon on a fresh home (optionally
 * with the example gpacks published), waits for its ready line, lets it settle, and reads
 * VmRSS (and VmHWM, the peak) from /proc/PID/status. Prints one JSON document.
 *
 *   npm run build && node scripts/measure-daemon.mjs [--runs 3] [--settle-ms 3000] [--publish]
 *
 * `--publish` publishes the example gpacks offline before the start (a home with records);
 * every run also reports `afterUseMB`: RSS once one publish went through the daemon (the
 * content store, Helia, is loaded on first use) and it settled again.
 *
 * Target (the daemon issue): idle RSS <= 100 MB.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'settle-ms': { type: 'string', default: '3000' },
    publish: { type: 'boolean', default: false },
  },
})

const env = { ...process.env, NO_COLOR: '1', GGEN_MARKET_HOME: undefined }
const cli = (...args) => {
  const res = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8' })
  if (res.status !== 0) throw new Error(`ggen-market ${args.join(' ')} failed:\n${res.stderr}`)
  return res
}

async function memoryOf(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN)
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 }
}

async function measureOnce() {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-rss-'))
  const home = join(dir, 'home')
  try {
    cli('--home', home, 'init')
    if (values.publish) {
      for (const pack of ['macros-std', 'rust-cli-subcommand', 'rust-cli-app'])
        cli('--home', home, 'publish', join(ROOT, 'examples', pack))
    }
    const daemon = spawn(process.execPath, [CLI, 'daemon', '--home', home], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    daemon.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d
    })
    const started = Date.now()
    while (!stderr.includes('ggen-market daemon listening on')) {
      if (daemon.exitCode !== null) throw new Error(`daemon exited early:\n${stderr}`)
      if (Date.now() - started > 20_000) throw new Error(`daemon not ready after 20 s:\n${stderr}`)
      await sleep(20)
    }
    const readyMs = Date.now() - started
    await sleep(Number(values['settle-ms']))
    const memory = await memoryOf(daemon.pid)
    // One use of the content store through the daemon: install what is there, else publish.
    if (values.publish) cli('--home', home, 'install', 'io.ggen.rust.cli-app', '--dir', join(dir, 'project'))
    else cli('--home', home, 'publish', join(ROOT, 'examples', 'macros-std'))
    await sleep(Number(values['settle-ms']))
    const afterUse = await memoryOf(daemon.pid)
    const exited = new Promise((resolve) => daemon.once('exit', (code) => resolve(code)))
    daemon.kill('SIGTERM')
    const code = await exited
    return { readyMs, ...memory, afterUseMB: afterUse.rssMB, exitCode: code }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const runs = []
for (let i = 0; i < Number(values.runs); i++) runs.push(await measureOnce())
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const round = (x) => Math.round(x * 10) / 10
console.log(
  JSON.stringify(
    {
      node: process.version,
      published: values.publish ? 3 : 0,
      settleMs: Number(values['settle-ms']),
      runs: runs.map((r) => ({
        ...r,
        rssMB: round(r.rssMB),
        peakMB: round(r.peakMB),
        afterUseMB: round(r.afterUseMB),
      })),
      medianRssMB: round(median(runs.map((r) => r.rssMB))),
      medianAfterUseMB: round(median(runs.map((r) => r.afterUseMB))),
      medianReadyMs: median(runs.map((r) => r.readyMs)),
      targetMB: 100,
    },
    null,
    2,
  ),
)
