/**
 * The CLI's side of the daemon socket: a `NodeHandle` whose every call is a JSON-RPC
 * request. Requests are multiplexed over one connection by id; progress and watch
 * notifications are routed to the caller that asked; daemon errors come back as
 * `GgenError`s with the daemon's code, message and details. Loaded on every CLI command
 * while a daemon runs, so it imports nothing beyond Node, the protocol and the errors.
 */
import { createConnection, type Socket } from 'node:net'
import { GgenError } from '../domain/errors.js'
import type {
  ExportRequest,
  ExportResult,
  ImportResult,
  InfoResult,
  InstallRequest,
  InstallResult,
  KeysResult,
  NodeHandle,
  OperationOptions,
  PeerInfo,
  ProgressEvent,
  PublishResult,
  SearchQuery,
  SearchResult,
  StatusResult,
  TrustEntry,
  VerifyResult,
  WatchEvent,
  YankResult,
} from '../node/api.js'
import { DaemonGoneError, IpcError } from './errors.js'
import { encodeLine, LineSplitter } from './framing.js'
import {
  DEFAULT_MAX_LINE_BYTES,
  type Method,
  type MethodParams,
  type MethodResults,
  RPC_ERROR,
  RPC_ERROR_CODES,
  type RpcErrorObject,
} from './protocol.js'

/** Options of `connectIpc`. */
export interface IpcClientOptions {
  /** How long to wait for the daemon to accept the connection. @default 2000 */
  timeoutMs?: number
  /** Largest request line this client sends; matches the server's default. @default 1 MiB */
  maxRequestBytes?: number
  /** Largest answer line this client reads (search results can be big). @default 256 MiB */
  maxAnswerBytes?: number
}

/** Per-call options of `IpcClient.request`. */
export interface RequestOptions {
  signal?: AbortSignal
  onProgress?: (event: ProgressEvent) => void
  onEvent?: (event: WatchEvent) => void
}

interface Pending {
  method: Method
  resolve(value: unknown): void
  reject(error: Error): void
  onProgress?: ((event: ProgressEvent) => void) | undefined
  onEvent?: ((event: WatchEvent) => void) | undefined
}

/** A `NodeHandle` served by the daemon on a socket. */
export class IpcClient implements NodeHandle {
  readonly mode = 'daemon' as const
  private nextId = 1
  private readonly pending = new Map<number, Pending>()
  private closed = false
  private readonly gone: Promise<void>
  private readonly maxRequestBytes: number

  constructor(
    private readonly socket: Socket,
    /** The socket this client is connected to. */
    readonly socketPath: string,
    options: IpcClientOptions = {},
  ) {
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_LINE_BYTES
    const splitter = new LineSplitter(
      {
        line: (text) => this.onLine(text),
        error: () =>
          this.abandon(
            new IpcError('ERR_IPC_PROTOCOL', RPC_ERROR.parseError, 'unreadable answer from the daemon'),
          ),
      },
      options.maxAnswerBytes ?? 256 * 1024 * 1024,
    )
    socket.on('data', (chunk: Buffer) => splitter.push(chunk))
    socket.on('error', () => {}) // 'close' follows and fails what is pending
    this.gone = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true
        this.abandon(new DaemonGoneError(socketPath))
        resolve()
      }),
    )
    socket.unref()
  }

  /** Sends one request and waits for its answer. */
  request<M extends Method>(
    method: M,
    params: MethodParams[M],
    options: RequestOptions = {},
  ): Promise<MethodResults[M]> {
    const { signal } = options
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.closed) return Promise.reject(new DaemonGoneError(this.socketPath))
    const id = this.nextId++
    const line = encodeLine({ jsonrpc: '2.0', id, method, params })
    // a UTF-16 unit is at most 3 UTF-8 bytes: only long lines need the exact count
    if (line.length * 3 > this.maxRequestBytes && Buffer.byteLength(line) > this.maxRequestBytes) {
      return Promise.reject(
        new IpcError(
          'ERR_IPC_TOO_LARGE',
          RPC_ERROR.requestTooLarge,
          `the ${method} request is larger than ${this.maxRequestBytes} bytes`,
        ),
      )
    }
    return new Promise<MethodResults[M]>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return
        this.release()
        this.send({ jsonrpc: '2.0', method: 'cancel', params: { request: id } })
        // a subscription ends quietly, like LocalNode.watch; an operation fails as aborted
        if (method === 'watch') resolve(null as MethodResults[M])
        else reject(signal!.reason)
      }
      this.pending.set(id, {
        method,
        resolve: (value) => {
          signal?.removeEventListener('abort', onAbort)
          resolve(value as MethodResults[M])
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort)
          reject(error)
        },
        onProgress: options.onProgress,
        onEvent: options.onEvent,
      })
      signal?.addEventListener('abort', onAbort, { once: true })
      if (this.pending.size === 1) this.socket.ref()
      this.send(line)
    })
  }

  async status(): Promise<StatusResult> {
    return { ...(await this.request('status', {})), mode: 'daemon' }
  }

  publish(dir: string, options: OperationOptions = {}): Promise<PublishResult> {
    return this.request('publish', { dir }, options)
  }

  search(query: SearchQuery): Promise<SearchResult> {
    return this.request('search', query)
  }

  info(spec: string, options: { publisher?: string } = {}): Promise<InfoResult> {
    return this.request(
      'info',
      options.publisher === undefined ? { spec } : { spec, publisher: options.publisher },
    )
  }

  install(request: InstallRequest, options: OperationOptions = {}): Promise<InstallResult> {
    const { specs, dir, publisher } = request
    return this.request(
      'install',
      publisher === undefined ? { specs, dir } : { specs, dir, publisher },
      options,
    )
  }

  yank(spec: string, reason: string): Promise<YankResult> {
    return this.request('yank', { spec, reason })
  }

  verify(dir: string): Promise<VerifyResult> {
    return this.request('verify', { dir })
  }

  keys(): Promise<KeysResult> {
    return this.request('keys', {})
  }

  trustList(): Promise<TrustEntry[]> {
    return this.request('trustList', {})
  }

  trustAdd(key: string, note?: string): Promise<TrustEntry> {
    return this.request('trustAdd', note === undefined ? { key } : { key, note })
  }

  trustRemove(key: string): Promise<{ key: string; removed: boolean }> {
    return this.request('trustRemove', { key })
  }

  peers(): Promise<PeerInfo[]> {
    return this.request('peers', {})
  }

  connect(multiaddr: string): Promise<PeerInfo> {
    return this.request('connect', { multiaddr })
  }

  exportBundle(request: ExportRequest, options: OperationOptions = {}): Promise<ExportResult> {
    return this.request('exportBundle', request, options)
  }

  importBundle(file: string, options: OperationOptions = {}): Promise<ImportResult> {
    return this.request('importBundle', { file }, options)
  }

  async watch(onEvent: (event: WatchEvent) => void, options: { signal: AbortSignal }): Promise<void> {
    await this.request('watch', {}, { signal: options.signal, onEvent })
  }

  /** Closes the connection: running watches end, other pending requests fail. Idempotent. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      for (const [id, p] of this.pending) {
        this.pending.delete(id)
        if (p.method === 'watch') p.resolve(null)
        else
          p.reject(
            new IpcError(
              'ERR_IPC_CLOSED',
              RPC_ERROR.cancelled,
              `${p.method} was abandoned: the client closed`,
            ),
          )
      }
      // nothing left to flush: no need to wait for the daemon's FIN (the daemon treats a
      // disconnect like a cancel of whatever was still running)
      if (this.socket.writableLength === 0) this.socket.destroy()
      else {
        this.socket.ref() // keep the process alive until the rest is written
        this.socket.end()
        setTimeout(() => this.socket.destroy(), 1000).unref()
      }
    }
    await this.gone
  }

  private send(message: string | object): void {
    if (this.socket.destroyed) return
    this.socket.write(typeof message === 'string' ? message : encodeLine(message))
  }

  /** Lets the process exit while nothing is pending (a library user may forget close()). */
  private release(): void {
    if (this.pending.size === 0) this.socket.unref()
  }

  private onLine(text: string): void {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(text)
    } catch {
      this.abandon(new IpcError('ERR_IPC_PROTOCOL', RPC_ERROR.parseError, 'the daemon sent invalid JSON'))
      return
    }
    if (typeof msg.method === 'string') {
      this.onNotification(msg.method, msg.params as { request: number; event: never } | undefined)
      return
    }
    if (msg.id === null && msg.error !== undefined) {
      // an error the daemon could not tie to a request (e.g. too many connections)
      this.abandon(toError(msg.error as RpcErrorObject))
      return
    }
    const pending = this.pending.get(msg.id as number)
    if (pending === undefined) return // cancelled, or not ours
    this.pending.delete(msg.id as number)
    this.release()
    if (msg.error !== undefined) pending.reject(toError(msg.error as RpcErrorObject))
    else pending.resolve(msg.result)
  }

  private onNotification(method: string, params: { request: number; event: never } | undefined): void {
    if (params === undefined) return
    const pending = this.pending.get(params.request)
    if (pending === undefined) return
    try {
      if (method === 'progress') pending.onProgress?.(params.event)
      else if (method === 'watch.event') pending.onEvent?.(params.event)
    } catch (err) {
      // the caller's callback failed: stop the request rather than the process
      this.pending.delete(params.request)
      this.release()
      this.send({ jsonrpc: '2.0', method: 'cancel', params: { request: params.request } })
      pending.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Fails every pending request with `error`. */
  private abandon(error: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id)
      p.reject(error)
    }
    this.release()
  }
}

/** The error a failed answer stands for, raised the way the daemon raised it. */
export function toError(error: RpcErrorObject): GgenError {
  const data = error.data ?? {}
  if (error.code === RPC_ERROR.ggen || error.code === RPC_ERROR.internalError) {
    const err = new GgenError(data.code ?? 'ERR_INTERNAL', error.message, data.details ?? {})
    if (data.name !== undefined) err.name = data.name
    return err
  }
  return new IpcError(RPC_ERROR_CODES[error.code] ?? 'ERR_IPC', error.code, error.message, data.details ?? {})
}

/**
 * Connects to the daemon on `socketPath`; undefined when none listens (no socket file, or
 * a stale one). Throws when a daemon is there but does not accept within `timeoutMs`.
 */
export function connectIpc(
  socketPath: string,
  options: IpcClientOptions = {},
): Promise<IpcClient | undefined> {
  const timeoutMs = options.timeoutMs ?? 2000
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath)
    const timer = setTimeout(() => {
      socket.destroy()
      reject(
        new GgenError(
          'ERR_DAEMON_UNRESPONSIVE',
          `the daemon on ${socketPath} did not accept a connection within ${timeoutMs} ms; check its log, or stop it and start it again`,
          { socket: socketPath },
        ),
      )
    }, timeoutMs)
    socket.once('connect', () => {
      clearTimeout(timer)
      socket.removeAllListeners('error')
      resolve(new IpcClient(socket, socketPath, options))
    })
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(undefined)
      else {
        reject(
          new GgenError('ERR_DAEMON_CONNECT', `cannot reach the daemon on ${socketPath}: ${err.message}`, {
            socket: socketPath,
            cause: err.code,
          }),
        )
      }
    })
  })
}
