/**
 * Runs a daemon in the foreground of this process until a signal stops it: the first
 * SIGINT/SIGTERM stops it gracefully, a second forces the exit (130/143). Process-wide
 * concerns (signals, uncaught errors, log reopening) live here, not in `Daemon`.
 */
import { Daemon, type DaemonInit } from './daemon.js'

const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 }

/** Starts the daemon, prints the ready line, and resolves with the exit code once it stopped. */
export async function runDaemon(init: DaemonInit): Promise<number> {
  const daemon = new Daemon(init)
  const stderr = init.stderr ?? process.stderr
  await daemon.start()
  stderr.write(`ggen-market daemon listening on ${daemon.socketPath} (pid ${process.pid})\n`)
  const log = daemon.log!

  return new Promise<number>((resolve) => {
    let stopping = false
    const shutdown = (code: number, reason: string) => {
      stopping = true
      log.info({ reason }, 'shutting down')
      daemon.stop().then(
        () => finish(code),
        (err: unknown) => {
          stderr.write(
            `ggen-market daemon: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`,
          )
          finish(1)
        },
      )
    }
    const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
      if (!stopping) return shutdown(0, signal)
      try {
        log.warn({ signal }, 'second signal: exiting without finishing the shutdown')
        daemon.logger?.flushSync()
      } catch {
        // the log is already closed: the shutdown got that far
      }
      stderr.write(`ggen-market daemon: ${signal} again, exiting now\n`)
      process.exit(SIGNAL_EXIT[signal])
    }
    const onUncaught = (err: Error) => {
      log.fatal({ err }, 'uncaught exception')
      if (!stopping) shutdown(1, 'uncaught exception')
    }
    // A stray rejection is a bug to log, not a reason to drop every client.
    const onRejection = (reason: unknown) => log.error({ err: reason }, 'unhandled promise rejection')
    const onHup = () => daemon.logger?.reopen()
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    process.on('SIGHUP', onHup)
    process.on('uncaughtException', onUncaught)
    process.on('unhandledRejection', onRejection)

    function finish(code: number): void {
      // Keep the signal handlers: a signal during the last steps must not kill us by default.
      process.off('SIGHUP', onHup)
      process.off('uncaughtException', onUncaught)
      process.off('unhandledRejection', onRejection)
      resolve(code)
    }
  })
}
