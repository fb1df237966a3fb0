/**
 * The frame every command runs in: resolve the home, open a node handle when the command
 * needs one, print the result, map errors to SPEC 6 exit codes, close the handle. In a
 * command that asked for `ctx.interruptible()`, the first SIGINT or SIGTERM aborts its
 * signal (a publish or install through the daemon is cancelled there too, a watch ends)
 * and a second one exits at once.
 */
import type { Command } from 'commander'
import { GgenError, NoDaemonError } from '../domain/errors.js'
import type { NodeHandle } from '../node/api.js'
import { resolveHome } from '../node/home.js'
import { createOutput, EXIT, type Output, style } from './output.js'

/** What a command's implementation gets. */
export interface CommandContext {
  home: string
  out: Output
  /** Opens (once) the node for this home: the daemon's when one runs, else in process. */
  node(): Promise<NodeHandle>
  /** The daemon's node; fails with NoDaemonError (exit 3) when none runs. */
  daemon(): Promise<NodeHandle>
  /** Takes over SIGINT/SIGTERM for this command; the signal aborts on the first one. */
  interruptible(): AbortSignal
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
  const interrupt = new AbortController()
  let listening = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(EXIT.interrupted)
    interrupt.abort(new GgenError('ERR_INTERRUPTED', `interrupted by ${signal}`))
  }
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
    async daemon() {
      if (handle === undefined) {
        const { connectDaemon } = await import('./connect.js')
        handle = await connectDaemon(home)
      }
      if (handle === undefined || handle.mode !== 'daemon') throw new NoDaemonError(home)
      return handle
    },
    interruptible() {
      if (!listening) process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
      listening = true
      return interrupt.signal
    },
  }
  try {
    process.exitCode = (await action(ctx)) ?? EXIT.ok
  } catch (err) {
    process.exitCode = interrupt.signal.aborted
      ? reportInterrupt(interrupt.signal, out)
      : reportError(err, out)
  } finally {
    if (listening) process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    await handle?.close().catch((err: unknown) => {
      process.exitCode = reportError(err, out)
    })
  }
}

/** An interrupted command: says so, exits 130 like a shell does for SIGINT. */
function reportInterrupt(signal: AbortSignal, out: Output): number {
  reportError(signal.reason, out)
  return EXIT.interrupted
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
