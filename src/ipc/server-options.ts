/**
 * What the IPC server can be given: its limits (with their defaults) and the logger it
 * reports to. A pino logger fits `IpcLogger` as it is.
 */
import type { NodeHandle } from '../node/api.js'
import { DEFAULT_MAX_LINE_BYTES } from './protocol.js'

/** The logging the server does; pino's `Logger` satisfies it. */
export interface IpcLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

/** Bounds on what one client can make the daemon hold or do. */
export interface IpcLimits {
  /** Longest request line in bytes; longer ones get -32001 and are discarded. @default 1 MiB */
  maxLineBytes: number
  /** Requests in flight on one connection; more get -32002. @default 32 */
  maxInFlight: number
  /** Open connections; more are answered with -32002 and closed. @default 256 */
  maxConnections: number
  /** Deadline of quick requests (status, search, info, ...); -32003 past it. @default 30 s */
  requestTimeoutMs: number
  /** Deadline of publish, install and verify. @default 10 min */
  longRequestTimeoutMs: number
  /** How long `close()` lets running requests finish before aborting them. @default 10 s */
  closeTimeoutMs: number
  /**
   * Unsent bytes one client may lag behind: past it, progress is skipped and a watch
   * ends with -32006 instead of growing the daemon's memory. @default 8 MiB
   */
  maxBufferedBytes: number
}

/** The defaults of `IpcLimits`. */
export const DEFAULT_IPC_LIMITS: Readonly<IpcLimits> = {
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  maxInFlight: 32,
  maxConnections: 256,
  requestTimeoutMs: 30_000,
  longRequestTimeoutMs: 10 * 60_000,
  closeTimeoutMs: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
}

/** Options of `startIpcServer`. */
export interface IpcServerOptions {
  /** Where to listen; see `socketPathFor` in node/home.ts. */
  socketPath: string
  /** The node every request runs on. */
  handle: NodeHandle
  /** @default no logging */
  logger?: IpcLogger
  /** Overrides of `DEFAULT_IPC_LIMITS`. */
  limits?: Partial<IpcLimits>
}

/** A logger that drops everything. */
export const SILENT_LOGGER: IpcLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}
