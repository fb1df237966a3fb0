/**
 * The daemon's control socket. Listens on a Unix socket (0600, in a 0700 directory),
 * serves each connection with `Connection`, and closes in order: stop accepting, end
 * subscriptions, let running requests finish up to a deadline, abort the rest, close the
 * connections, remove the socket file.
 */
import { chmod, lstat, mkdir, stat, unlink } from 'node:fs/promises'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Connection } from './connection.js'
import { DaemonRunningError, SocketPathError } from './errors.js'
import { encodeLine } from './framing.js'
import { RPC_ERROR } from './protocol.js'
import { DEFAULT_IPC_LIMITS, type IpcLimits, type IpcServerOptions, SILENT_LOGGER } from './server-options.js'

export {
  DEFAULT_IPC_LIMITS,
  type IpcLimits,
  type IpcLogger,
  type IpcServerOptions,
} from './server-options.js'

/** A listening IPC server. */
export interface IpcServer {
  readonly socketPath: string
  readonly limits: Readonly<IpcLimits>
  /** Open connections. */
  readonly connections: number
  /** Stops the server (see the module comment); idempotent. */
  close(): Promise<void>
}

/** How long the liveness probe of an existing socket waits for a connect. */
const PROBE_TIMEOUT_MS = 1000

/**
 * Starts serving `handle` on `socketPath`. Fails with `ERR_DAEMON_RUNNING` when something
 * answers there already, `ERR_SOCKET_PATH` when the path or its directory is unsafe; a
 * stale socket left by a crash is removed.
 */
export async function startIpcServer(options: IpcServerOptions): Promise<IpcServer> {
  const { socketPath, handle } = options
  const logger = options.logger ?? SILENT_LOGGER
  const limits: IpcLimits = { ...DEFAULT_IPC_LIMITS, ...options.limits }
  await prepareSocketPath(socketPath)

  const connections = new Set<Connection>()
  let closing: Promise<void> | undefined
  const context = { handle, limits, logger, closing: () => closing !== undefined }

  const server = createServer({ allowHalfOpen: false }, (socket: Socket) => {
    if (closing !== undefined || connections.size >= limits.maxConnections) {
      socket.on('error', () => {})
      const message = closing
        ? 'the daemon is shutting down'
        : 'too many connections to the daemon; retry shortly'
      const code = closing ? RPC_ERROR.shuttingDown : RPC_ERROR.tooManyRequests
      socket.end(encodeLine({ jsonrpc: '2.0', id: null, error: { code, message } }))
      return
    }
    const connection = new Connection(socket, context)
    connections.add(connection)
    socket.once('close', () => connections.delete(connection))
  })
  server.on('error', (err) => logger.error({ err }, 'ipc server error'))
  await listen(server, socketPath)

  const close = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const c of connections) c.endSubscriptions()
    const drained = Promise.all([...connections].map((c) => c.drained()))
    const deadline = sleep(limits.closeTimeoutMs, undefined, { ref: false })
    await Promise.race([drained, deadline])
    for (const c of connections) c.terminate()
    await closed
    await unlink(socketPath).catch(() => {})
    logger.info({ socket: socketPath }, 'ipc server closed')
  }

  logger.info({ socket: socketPath }, 'ipc server listening')
  return {
    socketPath,
    limits,
    get connections() {
      return connections.size
    },
    close() {
      closing ??= close()
      return closing
    },
  }
}

async function listen(server: Server, socketPath: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(err.code === 'EADDRINUSE' ? new DaemonRunningError(socketPath) : err)
    }
    server.once('error', onError)
    server.listen(socketPath, () => {
      server.off('error', onError)
      resolve()
    })
  })
  // the directory is 0700, so nobody else can reach the socket before this narrows it
  await chmod(socketPath, 0o600)
}

/** Makes the socket's directory safe and the path free, or says why it cannot be. */
async function prepareSocketPath(socketPath: string): Promise<void> {
  const dir = dirname(socketPath)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const dirStat = await stat(dir)
  const uid = process.getuid?.()
  if (uid !== undefined && dirStat.uid !== uid) {
    throw new SocketPathError(`${dir} belongs to another user; the daemon socket cannot live there`, { dir })
  }
  if ((dirStat.mode & 0o022) !== 0) {
    throw new SocketPathError(
      `${dir} is writable by other users, who could replace the daemon socket; run \`chmod 700 ${dir}\``,
      { dir, mode: (dirStat.mode & 0o777).toString(8) },
    )
  }

  const existing = await lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (existing === undefined) return
  if (!existing.isSocket()) {
    throw new SocketPathError(`${socketPath} exists and is not a socket; move it away and start again`, {
      socket: socketPath,
    })
  }
  if (await isAlive(socketPath)) throw new DaemonRunningError(socketPath)
  await unlink(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err
  })
}

/** True when something accepts connections on `socketPath`; false for a stale socket file. */
async function isAlive(socketPath: string): Promise<boolean> {
  return new Promise<boolean>((resolve, reject) => {
    const socket = createConnection(socketPath)
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(true) // it exists and does not refuse: a stuck daemon is still a daemon
    }, PROBE_TIMEOUT_MS)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(true)
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(false)
      else reject(err)
    })
  })
}
