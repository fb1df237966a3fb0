/**
 * The daemon's log: structured JSON lines appended to HOME/logs/daemon.log (pino, written
 * asynchronously and flushed on shutdown), and, when someone watches the terminal, the same
 * events as short readable lines on stderr.
 */
import { once } from 'node:events'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { type DestinationStream, type Logger, multistream, pino, type StreamEntry } from 'pino'
import type { LogLevel } from '../src/node/config.js'

/** The daemon's logger and the file behind it. */
export interface DaemonLogger {
  readonly log: Logger
  /** HOME/logs/daemon.log. */
  readonly file: string
  /** Reopens the file (after logrotate moved it). */
  reopen(): void
  /** Writes out what is buffered, synchronously: for a forced exit. */
  flushSync(): void
  /** Flushes and closes the file; idempotent. */
  close(): Promise<void>
}

/** Options of `createDaemonLogger`. */
export interface DaemonLoggerInit {
  logsDir: string
  level: LogLevel
  /** Where readable lines go. @default process.stderr */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Write readable lines to `stderr`. @default stderr.isTTY */
  pretty?: boolean
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg'])

/** Renders one pino JSON line as `12:00:01.250 INFO  message key=value`. */
export function formatLine(json: string): string {
  let entry: Record<string, unknown>
  try {
    entry = JSON.parse(json) as Record<string, unknown>
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : String(entry.time ?? Date.now()))
  const clock = Number.isNaN(time.getTime())
    ? ''
    : `${time.toTimeString().slice(0, 8)}.${String(time.getMilliseconds()).padStart(3, '0')} `
  const level = (LEVEL_NAMES[entry.level as number] ?? String(entry.level)).padEnd(5)
  const fields = Object.entries(entry)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${renderValue(v)}`)
  return `${clock}${level} ${String(entry.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`
}

function renderValue(value: unknown): string {
  if (typeof value === 'string') return /[\s"=]/.test(value) ? JSON.stringify(value) : value
  if (typeof value === 'object' && value !== null && 'message' in value) {
    return JSON.stringify(String((value as { message: unknown }).message))
  }
  return JSON.stringify(value)
}

/** Creates the daemon logger; the logs directory is created if missing. */
export function createDaemonLogger(init: DaemonLoggerInit): DaemonLogger {
  mkdirSync(init.logsDir, { recursive: true })
  const file = join(init.logsDir, 'daemon.log')
  const dest = pino.destination({ dest: file, sync: false, append: true, mkdir: true })
  const stderr = init.stderr ?? process.stderr
  const streams: StreamEntry<LogLevel>[] = [{ level: init.level, stream: dest }]
  if (init.pretty ?? stderr.isTTY === true) {
    const lines: DestinationStream = { write: (msg) => void stderr.write(formatLine(msg)) }
    streams.push({ level: init.level, stream: lines })
  }
  const log = pino(
    { level: init.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    multistream(streams),
  )
  let closed: Promise<void> | undefined
  return {
    log,
    file,
    reopen: () => dest.reopen(),
    flushSync() {
      try {
        dest.flushSync()
      } catch {
        // not open yet, or already closed: nothing buffered that could be written
      }
    },
    close() {
      closed ??= (async () => {
        const done = once(dest, 'close')
        dest.end()
        await done
      })()
      return closed
    },
  }
}
