/**
 * Drives the built `ggen-market` binary the way a user or CI script does: a real process,
 * real argv, real exit codes, stdout and stderr kept apart.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The built CLI entry (`npm run build` makes it; `npm test` builds first). */
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js')
/** The example gpacks shipped in the repository. */
export const EXAMPLES = join(ROOT, 'examples')

/** What one CLI run printed and returned. */
export interface CliRun {
  status: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON (for --json runs). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever --json document a command prints
  json<T = any>(): T
}

/** Runs `ggen-market ...args` and waits for it. */
export function cli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {},
): CliRun {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run \`npm run build\` first`)
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd ?? ROOT,
    env: {
      ...process.env,
      NO_COLOR: '1',
      GGEN_MARKET_HOME: undefined,
      GGEN_MARKET_KEY: undefined,
      ...options.env,
    },
    input: options.input ?? '',
    timeout: 60_000,
  })
  if (result.error) throw result.error
  return {
    status: result.status ?? -1,
    stdout: result.stdout,
    stderr: result.stderr,
    json() {
      try {
        return JSON.parse(result.stdout)
      } catch {
        throw new Error(
          `stdout is not JSON (exit ${result.status}):\n${result.stdout}\nstderr:\n${result.stderr}`,
        )
      }
    },
  }
}

/** A temporary directory removed by the returned cleanup. */
export async function tempDir(
  prefix = 'ggen-market-test-',
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) }
}
