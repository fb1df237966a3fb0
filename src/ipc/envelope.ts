/**
 * Reading one request line as JSON-RPC 2.0, without I/O: either a request or notification
 * to act on, or the error answer it deserves. The method's own params are checked later,
 * against its schema.
 */
import { type RequestId, RPC_ERROR, type RpcErrorData, type RpcFailure } from './protocol.js'

/** A line that is a well-formed call. `id` is absent for a notification. */
export interface Envelope {
  id?: RequestId
  method: string
  params: object
}

/** Parses `text`; returns the error answer to send when it is not a usable call. */
export function readEnvelope(text: string): Envelope | RpcFailure {
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return failure(null, RPC_ERROR.parseError, 'the request is not valid JSON')
  }
  if (Array.isArray(message)) {
    return failure(
      null,
      RPC_ERROR.invalidRequest,
      'batch requests are not supported; send one request per line',
    )
  }
  if (typeof message !== 'object' || message === null) {
    return failure(null, RPC_ERROR.invalidRequest, 'a request must be a JSON object')
  }
  const msg = message as Record<string, unknown>
  const isRequest = 'id' in msg
  if (isRequest && !isValidId(msg.id)) {
    return failure(null, RPC_ERROR.invalidRequest, 'id must be a string (at most 256 characters) or a number')
  }
  const id = isRequest ? (msg.id as RequestId) : null
  if (msg.jsonrpc !== '2.0') return failure(id, RPC_ERROR.invalidRequest, 'jsonrpc must be "2.0"')
  if (typeof msg.method !== 'string') return failure(id, RPC_ERROR.invalidRequest, 'method must be a string')
  const params = msg.params ?? {}
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return failure(id, RPC_ERROR.invalidParams, 'params must be an object (named parameters)')
  }
  return id === null ? { method: msg.method, params } : { id, method: msg.method, params }
}

/** True when `value` is an error answer rather than a call. */
export function isFailure(value: Envelope | RpcFailure): value is RpcFailure {
  return 'error' in value
}

/** An error answer. */
export function failure(
  id: RequestId | null,
  code: number,
  message: string,
  data?: RpcErrorData,
): RpcFailure {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } }
}

const ID_IN_HEAD = /"id"\s*:\s*(-?\d{1,15}|"[^"\\]{0,256}")/

/**
 * The id of an oversized request, read from its first bytes, so that its caller gets the
 * error rather than an answer it cannot match (null when none is found).
 */
export function recoverId(head: string): RequestId | null {
  const match = ID_IN_HEAD.exec(head)
  if (match === null) return null
  const raw = match[1]!
  return raw.startsWith('"') ? raw.slice(1, -1) : Number(raw)
}

function isValidId(id: unknown): id is RequestId {
  return (typeof id === 'string' && id.length <= 256) || (typeof id === 'number' && Number.isFinite(id))
}
