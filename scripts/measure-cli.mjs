// Whole-process cost of `ggen-market search --json` through a running daemon, against
// `node -e 0` on the same machine in the same run (the daemon issue's target: <= 1.3x).
// Runs alternate between the two so that machine noise weighs on both alike.
//
//   npm run build && node scripts/measure-cli.mjs [--runs 40]
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '40' } } })
const runs = Number(values.runs)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'dist', 'src', 'cli', 'main.js')
const work = mkdtempSync(join(tmpdir(), 'ggen-measure-cli-'))
const home = join(work, 'home')
const run = (...args) => execFileSync(process.execPath, [cli, '--home', home, ...args], { encoding: 'utf8' })

run('init')
for (const pack of ['macros-std', 'rust-cli-subcommand', 'rust-cli-app'])
  run('publish', join(root, 'examples', pack))
const daemon = spawn(process.execPath, [cli, '--home', home, 'daemon', '--no-mdns'], {
  stdio: ['ignore', 'ignore', 'pipe'],
})
await new Promise((resolve, reject) => {
  daemon.stderr.on('data', (d) => d.toString().includes('listening') && resolve())
  daemon.on('exit', (code) => reject(new Error(`daemon exited with ${code}`)))
})

function time(args) {
  const start = process.hrtime.bigint()
  execFileSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  return Number(process.hrtime.bigint() - start) / 1e6
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

try {
  const mode = JSON.parse(run('status', '--json')).mode
  if (mode !== 'daemon') throw new Error(`status says mode ${mode}; the CLI did not reach the daemon`)
  time([cli, '--home', home, 'search', 'cli', '--json']) // fills the compile cache
  const baseline = []
  const search = []
  for (let i = 0; i < runs; i++) {
    baseline.push(time(['-e', '0']))
    search.push(time([cli, '--home', home, 'search', 'cli', '--json']))
  }
  const b = median(baseline)
  const s = median(search)
  console.log(
    JSON.stringify({
      runs,
      nodeE0MedianMs: +b.toFixed(1),
      searchJsonMedianMs: +s.toFixed(1),
      ratio: +(s / b).toFixed(2),
    }),
  )
} finally {
  daemon.kill('SIGTERM')
  await new Promise((resolve) => daemon.on('exit', resolve))
  rmSync(work, { recursive: true, force: true })
}
