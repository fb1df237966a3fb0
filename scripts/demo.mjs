// The offline demo: a fresh home in a temporary directory, the example gpacks published,
// searched, and installed with their dependencies into a temporary project, then verified.
// Every step runs the real `ggen-market` binary and prints the command and its output.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const cli = join(root, 'dist', 'src', 'cli', 'main.js')
const work = mkdtempSync(join(tmpdir(), 'ggen-market-demo-'))
const home = join(work, 'home')
const project = join(work, 'project')

function step(title, ...args) {
  console.log(`\n== ${title}\n$ ggen-market ${args.join(' ')}`)
  const out = execFileSync(process.execPath, [cli, '--home', home, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  process.stdout.write(out)
  return out
}

try {
  step('Create a node home (keys, config, stores)', 'init')
  for (const pack of ['macros-std', 'rust-cli-subcommand', 'rust-cli-app']) {
    step(`Publish the example gpack ${pack}`, 'publish', join(root, 'examples', pack))
  }
  step('Search, typo and all', 'search', 'subcomand')
  step('Package details', 'info', 'io.ggen.rust.cli-app')
  step('Install with dependencies into a project', 'install', 'io.ggen.rust.cli-app', '--dir', project)
  console.log(
    `\n== The lockfile ${join(project, 'ggen.lock')}\n${readFileSync(join(project, 'ggen.lock'), 'utf8')}`,
  )
  step('Verify installed files against ggen.lock', 'verify', '--dir', project)
  console.log('\nDemo complete: published, found, installed and verified, all offline.')
} finally {
  rmSync(work, { recursive: true, force: true })
}
