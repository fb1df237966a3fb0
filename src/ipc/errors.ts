/**
 * Errors of the IPC layer. Protocol failures reach the CLI as `IpcError`s whose code is
 * the `ERR_...` of their JSON-RPC code (see `RPC_ERROR_CODES`), so that scripts can match
 * on them like on any other project error.
 */
import { GgenError } from '../domain/errors.js'

/** A JSON-RPC level failure: bad request, busy, timeout, stopping, cancelled. */
export class IpcError extends GgenError {
  /** The JSON-RPC error code, e.g. -32003. */
  readonly rpcCode: number

  constructor(code: string, rpcCode: number, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
    this.rpcCode = rpcCode
  }
}

/** Another daemon already answers on the socket of this home. */
export class DaemonRunningError extends GgenError {
  constructor(socketPath: string) {
    super(
      'ERR_DAEMON_RUNNING',
      `a daemon is already running on ${socketPath}; stop it first (CLI commands use it automatically while it runs)`,
      { socket: socketPath },
    )
  }
}

/** The socket path or its directory cannot be used safely. */
export class SocketPathError extends GgenError {
  constructor(message: string, details: Record<string, unknown>) {
    super('ERR_SOCKET_PATH', message, details)
  }
}

/** The daemon went away while a request was waiting for its answer. */
export class DaemonGoneError extends GgenError {
  constructor(socketPath: string) {
    super(
      'ERR_DAEMON_GONE',
      `the daemon on ${socketPath} closed the connection before answering; check its log, then retry`,
      { socket: socketPath },
    )
  }
}
