/**
 * The daemon's control protocol, shared by server and client: JSON-RPC 2.0 over a Unix
 * socket, one JSON object per line (UTF-8). One method per `NodeHandle` operation, named
 * parameters only, no batches. Result types are derived from `NodeHandle`, so the wire
 * cannot drift from the interface the CLI programs against.
 *
 * Streams ride on notifications tagged with the request id: `progress` for publish,
 * install, export and import, `watch.event` for the `watch` subscription, which stays
 * open until the client sends a `cancel` notification or disconnects (the server then
 * answers it with `null`).
 *
 * This module is imported by the CLI on every daemon call, so it holds types and constants
 * only: no zod (the server validates), no Node modules.
 */
import type {
  ExportRequest,
  InstallRequest,
  NodeHandle,
  ProgressEvent,
  SearchQuery,
  WatchEvent,
} from '../node/api.js'

/** A request or notification id: the client picks it, the response echoes it. */
export type RequestId = string | number

/** The named parameters of every method. */
export interface MethodParams {
  status: Record<string, never>
  /** `dir` must be absolute: the daemon's working directory is not the CLI's. */
  publish: { dir: string }
  search: SearchQuery
  info: { spec: string; publisher?: string }
  /** `dir` must be absolute. */
  install: InstallRequest
  yank: { spec: string; reason: string }
  /** `dir` must be absolute. */
  verify: { dir: string }
  keys: Record<string, never>
  trustList: Record<string, never>
  trustAdd: { key: string; note?: string }
  trustRemove: { key: string }
  peers: Record<string, never>
  connect: { multiaddr: string }
  /** `file` and `sinceBundle` must be absolute. */
  exportBundle: ExportRequest
  /** `file` must be absolute. */
  importBundle: { file: string }
  /** A subscription: answered with `null` once cancelled; events arrive as `watch.event`. */
  watch: Record<string, never>
  /** Aborts the caller's own in-flight request `request` (best sent as a notification). */
  cancel: { request: RequestId }
}

type ResultOf<K extends keyof NodeHandle> = NodeHandle[K] extends (...args: never[]) => Promise<infer R>
  ? R
  : never

/** What every method resolves to. */
export interface MethodResults {
  status: ResultOf<'status'>
  publish: ResultOf<'publish'>
  search: ResultOf<'search'>
  info: ResultOf<'info'>
  install: ResultOf<'install'>
  yank: ResultOf<'yank'>
  verify: ResultOf<'verify'>
  keys: ResultOf<'keys'>
  trustList: ResultOf<'trustList'>
  trustAdd: ResultOf<'trustAdd'>
  trustRemove: ResultOf<'trustRemove'>
  peers: ResultOf<'peers'>
  connect: ResultOf<'connect'>
  exportBundle: ResultOf<'exportBundle'>
  importBundle: ResultOf<'importBundle'>
  watch: null
  cancel: { cancelled: boolean }
}

/** Every method the daemon answers. */
export type Method = keyof MethodParams

/** The method names, for lookups on untrusted input. */
export const METHODS: readonly Method[] = [
  'status',
  'publish',
  'search',
  'info',
  'install',
  'yank',
  'verify',
  'keys',
  'trustList',
  'trustAdd',
  'trustRemove',
  'peers',
  'connect',
  'exportBundle',
  'importBundle',
  'watch',
  'cancel',
]

/** A call the client expects an answer to. */
export interface RpcRequest<M extends Method = Method> {
  jsonrpc: '2.0'
  id: RequestId
  method: M
  params: MethodParams[M]
}

/** The server's streamed messages, and the client's `cancel`. */
export interface NotificationParams {
  progress: { request: RequestId; event: ProgressEvent }
  'watch.event': { request: RequestId; event: WatchEvent }
  cancel: { request: RequestId }
}

/** A message nobody answers. */
export interface RpcNotification<N extends keyof NotificationParams = keyof NotificationParams> {
  jsonrpc: '2.0'
  method: N
  params: NotificationParams[N]
}

/** A JSON-RPC error object. */
export interface RpcErrorObject {
  code: number
  message: string
  data?: RpcErrorData
}

/** What `data` carries: for `RPC_ERROR.ggen` the project error, for invalid params the issues. */
export interface RpcErrorData {
  /** The project error code (`ERR_...`). */
  code?: string
  /** The error class name, e.g. `ValidationError`. */
  name?: string
  details?: Record<string, unknown>
}

/** A successful answer. */
export interface RpcSuccess<M extends Method = Method> {
  jsonrpc: '2.0'
  id: RequestId
  result: MethodResults[M]
}

/** A failed answer; `id` is null when the request's id could not be read. */
export interface RpcFailure {
  jsonrpc: '2.0'
  id: RequestId | null
  error: RpcErrorObject
}

/** Any message on the wire. */
export type RpcMessage = RpcRequest | RpcNotification | RpcSuccess | RpcFailure

/** Stable error codes: JSON-RPC's own, then this protocol's in the -32000 range. */
export const RPC_ERROR = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** A line longer than the server's limit. */
  requestTooLarge: -32001,
  /** Too many requests in flight on one connection. */
  tooManyRequests: -32002,
  /** The request ran past its deadline. */
  timeout: -32003,
  /** The daemon is stopping and takes no new requests. */
  shuttingDown: -32004,
  /** The request was cancelled by its client. */
  cancelled: -32005,
  /** The client read a subscription's events too slowly; events were lost. */
  slowConsumer: -32006,
  /** A `GgenError`: `data.code` is its `ERR_...` code, `data.details` its details. */
  ggen: -32010,
} as const

/** The project error code a client raises for each protocol-level error. */
export const RPC_ERROR_CODES: Readonly<Record<number, string>> = {
  [RPC_ERROR.parseError]: 'ERR_IPC_PROTOCOL',
  [RPC_ERROR.invalidRequest]: 'ERR_IPC_PROTOCOL',
  [RPC_ERROR.methodNotFound]: 'ERR_IPC_METHOD',
  [RPC_ERROR.invalidParams]: 'ERR_IPC_PARAMS',
  [RPC_ERROR.internalError]: 'ERR_DAEMON_INTERNAL',
  [RPC_ERROR.requestTooLarge]: 'ERR_IPC_TOO_LARGE',
  [RPC_ERROR.tooManyRequests]: 'ERR_DAEMON_BUSY',
  [RPC_ERROR.timeout]: 'ERR_IPC_TIMEOUT',
  [RPC_ERROR.shuttingDown]: 'ERR_DAEMON_STOPPING',
  [RPC_ERROR.cancelled]: 'ERR_CANCELLED',
  [RPC_ERROR.slowConsumer]: 'ERR_IPC_SLOW_CONSUMER',
}

/** Methods that report `progress` notifications. */
export const PROGRESS_METHODS: ReadonlySet<Method> = new Set<Method>([
  'publish',
  'install',
  'exportBundle',
  'importBundle',
])

/** The default longest line, in bytes, either side accepts: 1 MiB. */
export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024
