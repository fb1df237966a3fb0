/**
 * One client connection on the daemon socket: reads lines, checks each against JSON-RPC
 * and the method's schema, runs it on the node handle, streams its notifications and
 * answers it. Every failure of a request becomes a JSON-RPC error on this connection;
 * nothing a client sends can throw out of here.
 */
import type { Socket } from 'node:net'
import { GgenError } from '../domain/errors.js'
import type { NodeHandle } from '../node/api.js'
import { failure, isFailure, readEnvelope, recoverId } from './envelope.js'
import { encodeLine, type FramingError, LineSplitter } from './framing.js'
import {
  CANCEL_PARAMS,
  type CallContext,
  describeIssues,
  METHOD_SPECS,
  type MethodSpec,
  type TimeoutClass,
} from './methods.js'
import {
  type Method,
  PROGRESS_METHODS,
  type RequestId,
  RPC_ERROR,
  type RpcErrorData,
  type RpcFailure,
} from './protocol.js'
import type { IpcLimits, IpcLogger } from './server-options.js'

/** Why a request stopped before it finished on its own. */
type EndReason = 'cancelled' | 'timeout' | 'disconnected' | 'shutdown' | 'slow'

interface InFlight {
  method: Method
  controller: AbortController
  /** The deadline this request runs under, if any. */
  timeoutMs: number | undefined
  timer: NodeJS.Timeout | undefined
  ended: EndReason | undefined
  /** Settles when the handle call has (answer sent or not). */
  settled: Promise<void>
}

/** What the server shares with its connections. */
export interface ConnectionContext {
  handle: NodeHandle
  limits: IpcLimits
  logger: IpcLogger
  /** True once the server is closing: new requests are refused. */
  closing(): boolean
}

/** Serves one socket until it closes. */
export class Connection {
  private readonly inFlight = new Map<RequestId, InFlight>()
  private readonly splitter: LineSplitter
  private closed = false

  constructor(
    private readonly socket: Socket,
    private readonly ctx: ConnectionContext,
  ) {
    this.splitter = new LineSplitter(
      { line: (text) => this.onLine(text), error: (err) => this.onFramingError(err) },
      ctx.limits.maxLineBytes,
    )
    socket.on('data', (chunk: Buffer) => this.splitter.push(chunk))
    socket.on('error', (err) => ctx.logger.debug({ err: err.message }, 'ipc client socket error'))
    socket.on('close', () => this.onClose())
  }

  /** Settles once every request now running has settled. */
  async drained(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map((r) => r.settled))
  }

  /** Ends subscriptions (which never finish on their own) with a shutting-down error. */
  endSubscriptions(): void {
    for (const [id, req] of this.inFlight) if (req.method === 'watch') this.end(id, req, 'shutdown')
  }

  /** Aborts whatever still runs, answers it, and closes the socket once its answers are written. */
  terminate(): void {
    for (const [id, req] of this.inFlight) this.end(id, req, 'shutdown')
    this.socket.end()
    setTimeout(() => this.socket.destroy(), 1000).unref()
  }

  private onClose(): void {
    this.closed = true
    for (const [id, req] of this.inFlight) this.end(id, req, 'disconnected')
  }

  private onFramingError(err: FramingError): void {
    if (err.kind === 'encoding') {
      this.fail(null, RPC_ERROR.parseError, 'the request is not valid UTF-8')
      return
    }
    const id = recoverId(err.head)
    this.fail(
      id,
      RPC_ERROR.requestTooLarge,
      `the request is larger than ${this.ctx.limits.maxLineBytes} bytes; the line was discarded`,
    )
  }

  private onLine(text: string): void {
    try {
      const call = readEnvelope(text)
      if (isFailure(call)) this.send(call)
      else if (call.method === 'cancel') {
        const cancelled = this.cancel(call.params)
        if (call.id !== undefined) this.send({ jsonrpc: '2.0', id: call.id, result: { cancelled } })
      } else if (call.id === undefined) {
        this.ctx.logger.debug({ method: call.method.slice(0, 64) }, 'ipc notification ignored')
      } else {
        const refused = this.start(call.id, call.method, call.params)
        if (refused !== undefined) this.send(refused)
      }
    } catch (err) {
      this.ctx.logger.error({ err }, 'ipc request handling failed')
      this.fail(null, RPC_ERROR.internalError, 'internal error while reading the request')
    }
  }

  /** Starts a request; returns the error answer instead when it cannot start. */
  private start(id: RequestId, method: string, params: object): RpcFailure | undefined {
    if (this.ctx.closing()) return failure(id, RPC_ERROR.shuttingDown, 'the daemon is shutting down')
    if (!Object.hasOwn(METHOD_SPECS, method)) {
      return failure(id, RPC_ERROR.methodNotFound, `unknown method ${JSON.stringify(method.slice(0, 64))}`)
    }
    if (this.inFlight.has(id)) {
      return failure(id, RPC_ERROR.invalidRequest, `request id ${JSON.stringify(id)} is already in flight`)
    }
    if (this.inFlight.size >= this.ctx.limits.maxInFlight) {
      return failure(
        id,
        RPC_ERROR.tooManyRequests,
        `too many requests in flight on this connection (limit ${this.ctx.limits.maxInFlight}); wait for some to finish`,
      )
    }
    const spec = METHOD_SPECS[method as keyof typeof METHOD_SPECS] as MethodSpec<
      Method & keyof typeof METHOD_SPECS
    >
    const parsed = spec.params.safeParse(params)
    if (!parsed.success) {
      const { message, issues } = describeIssues(parsed.error)
      return failure(id, RPC_ERROR.invalidParams, `invalid params for ${method}: ${message}`, {
        details: { issues },
      })
    }

    const req: InFlight = {
      method: method as Method,
      controller: new AbortController(),
      timeoutMs: this.timeoutOf(spec.timeout),
      timer: undefined,
      ended: undefined,
      settled: Promise.resolve(),
    }
    if (req.timeoutMs !== undefined) req.timer = setTimeout(() => this.end(id, req, 'timeout'), req.timeoutMs)
    this.inFlight.set(id, req)
    const call: CallContext = {
      signal: req.controller.signal,
      // progress is lossy by nature: a lagging client misses some, the next one catches up
      onProgress: PROGRESS_METHODS.has(req.method)
        ? (event) => this.notify('progress', { request: id, event })
        : () => {},
      onEvent: (event) => {
        if (!this.notify('watch.event', { request: id, event })) this.end(id, req, 'slow')
      },
    }
    req.settled = this.run(id, req, () => spec.run(this.ctx.handle, parsed.data, call))
    return undefined
  }

  private async run(id: RequestId, req: InFlight, call: () => Promise<unknown>): Promise<void> {
    const started = performance.now()
    try {
      const result = await call()
      if (req.ended === undefined || req.ended === 'cancelled')
        this.send({ jsonrpc: '2.0', id, result: result ?? null })
    } catch (err) {
      if (req.ended === undefined) this.sendError(id, req.method, err)
      else if (req.ended === 'cancelled') this.fail(id, RPC_ERROR.cancelled, `${req.method} was cancelled`)
    } finally {
      clearTimeout(req.timer)
      if (this.inFlight.get(id) === req) this.inFlight.delete(id)
      this.ctx.logger.debug(
        { method: req.method, ms: Math.round(performance.now() - started), ended: req.ended },
        'ipc request done',
      )
    }
  }

  /** Stops a request early; answers it now unless its answer will come from `run`. */
  private end(id: RequestId, req: InFlight, reason: EndReason): void {
    if (req.ended !== undefined) return
    req.ended = reason
    clearTimeout(req.timer)
    req.controller.abort(abortReason(req, reason))
    // a cancelled call still settles through `run`, which answers it and frees its slot
    if (reason === 'cancelled') return
    this.inFlight.delete(id)
    if (reason === 'timeout') {
      const seconds = (req.timeoutMs ?? 0) / 1000
      this.fail(id, RPC_ERROR.timeout, `${req.method} did not finish within ${seconds} s and was aborted`)
    } else if (reason === 'shutdown') {
      this.fail(id, RPC_ERROR.shuttingDown, `the daemon is shutting down; ${req.method} was stopped`)
    } else if (reason === 'slow') {
      this.fail(
        id,
        RPC_ERROR.slowConsumer,
        'events were produced faster than this client read them; watch again',
      )
    }
  }

  private cancel(params: object): boolean {
    const parsed = CANCEL_PARAMS.safeParse(params)
    if (!parsed.success) return false
    const req = this.inFlight.get(parsed.data.request)
    if (req === undefined) return false
    this.end(parsed.data.request, req, 'cancelled')
    return true
  }

  private timeoutOf(kind: TimeoutClass): number | undefined {
    if (kind === 'none') return undefined
    return kind === 'long' ? this.ctx.limits.longRequestTimeoutMs : this.ctx.limits.requestTimeoutMs
  }

  private sendError(id: RequestId, method: Method, err: unknown): void {
    if (err instanceof GgenError) {
      const data: RpcErrorData = { code: err.code, name: err.name, details: err.details }
      this.send({ jsonrpc: '2.0', id, error: { code: RPC_ERROR.ggen, message: err.message, data } })
      return
    }
    this.ctx.logger.error({ err, method }, 'ipc request failed with an unexpected error')
    const message = err instanceof Error ? err.message : String(err)
    this.fail(id, RPC_ERROR.internalError, message, { code: 'ERR_INTERNAL' })
  }

  private fail(id: RequestId | null, code: number, message: string, data?: RpcErrorData): void {
    this.send(failure(id, code, message, data))
  }

  /**
   * Writes a notification unless the client lags more than `maxBufferedBytes` behind.
   * @returns false when it was dropped
   */
  private notify(method: 'progress' | 'watch.event', params: object): boolean {
    if (this.socket.writableLength > this.ctx.limits.maxBufferedBytes) return false
    return this.send({ jsonrpc: '2.0', method, params })
  }

  private send(message: object): boolean {
    if (this.closed || this.socket.destroyed || !this.socket.writable) return false
    let line: string
    try {
      line = encodeLine(message)
    } catch (err) {
      const id = 'id' in message ? (message.id as RequestId | null) : undefined
      this.ctx.logger.error({ err }, 'ipc answer is not serialisable')
      if (id === undefined) return false
      line = encodeLine({
        jsonrpc: '2.0',
        id,
        error: {
          code: RPC_ERROR.internalError,
          message: 'the answer could not be serialised',
          data: { code: 'ERR_INTERNAL' },
        },
      })
    }
    this.socket.write(line)
    return true
  }
}

function abortReason(req: InFlight, reason: EndReason): GgenError {
  const method = req.method
  switch (reason) {
    case 'timeout':
      return new GgenError(
        'ERR_IPC_TIMEOUT',
        `${method} did not finish within ${(req.timeoutMs ?? 0) / 1000} s`,
      )
    case 'shutdown':
      return new GgenError('ERR_DAEMON_STOPPING', 'the daemon is shutting down')
    default:
      return new GgenError('ERR_CANCELLED', `${method} was cancelled (${reason})`)
  }
}
