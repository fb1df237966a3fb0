/**
 * The frame every command runs in: resolve the home, open a node handle when the command
 * needs one, print the result, map errors to SPEC 6 exit codes, close the handle.
 */
import type { Command } from 'commander'
import { GgenError } from '../domain/errors.js'
import type { NodeHandle } from '../node/api.js'
import { resolveHome } from '../node/home.js'
import { createOutput, EXIT, type Output, style } from './output.js'

/** What a command's implementation gets. */
export interface CommandContext {
  home: string
  out: Output
  /** Opens (once) the node for this home: the daemon's when one runs, else in process. */
  node(): Promise<NodeHandle>
}

/** A command implementation: returns its exit code (0 when it returns nothing). */
export type CommandAction = (ctx: CommandContext) => Promise<number | undefined>

/** Global options every command accepts. */
interface GlobalOptions {
  home?: string
  json?: boolean
}

/** Runs `action` for `cmd` and sets process.exitCode; never throws. */
export async function runCommand(cmd: Command, action: CommandAction): Promise<void> {
  const globals = cmd.optsWithGlobals<GlobalOptions>()
  const out = createOutput(globals.json === true)
  const home = resolveHome(globals.home)
  let handle: NodeHandle | undefined
  const ctx: CommandContext = {
    home,
    out,
    async node() {
      if (handle === undefined) {
        const { connect } = await import('./connect.js')
        handle = await connect(home)
      }
      return handle
    },
  }
  try {
    process.exitCode = (await action(ctx)) ?? EXIT.ok
  } catch (err) {
    process.exitCode = reportError(err, out)
  } finally {
    await handle?.close().catch((err: unknown) => {
      process.exitCode = reportError(err, out)
    })
  }
}

/** Prints an error (as JSON too with --json) and returns the exit code it maps to. */
export function reportError(err: unknown, out: Output): number {
  const known =
    err instanceof GgenError || (typeof err === 'object' && err !== null && 'code' in err && 'message' in err)
  const code = known ? String((err as GgenError).code) : 'ERR_INTERNAL'
  const message = err instanceof Error ? err.message : String(err)
  const details = err instanceof GgenError ? err.details : {}
  if (out.json) process.stdout.write(`${JSON.stringify({ error: { code, message, details } }, null, 2)}\n`)
  process.stderr.write(`${style('error:', 'red', process.stderr)} ${message}\n`)
  if (!known && err instanceof Error && process.env.GGEN_MARKET_DEBUG) process.stderr.write(`${err.stack}\n`)
  if (code === 'ERR_USAGE') return EXIT.usage
  if (code === 'ERR_NO_DAEMON') return EXIT.noDaemon
  return EXIT.failed
}
