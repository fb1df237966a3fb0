/**
 * The catch-up wire format: one dag-cbor message per length-prefixed frame. Decoding is
 * strict; a malformed message ends the exchange with `SyncProtocolError`.
 *
 *   -> {t: 'heads', digest}              <- {t: 'heads', same: true} | {t: 'heads', heads: [[key, seq, cid, count]...]}
 *   -> {t: 'want', wants: [[key, from]...]}  <- {t: 'records', records: [bytes...], rest: [[key, from]...]}
 */
import * as dagCbor from '@ipld/dag-cbor'
import { GgenError } from '../domain/errors.js'
import type { LogHead, SyncWant } from './sync-plan.js'

/** A peer broke the catch-up protocol (malformed message, over a limit). */
export class SyncProtocolError extends GgenError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_SYNC_PROTOCOL', message, details)
  }
}

/** A request of the requester. */
export type SyncRequest = { t: 'heads'; digest: string } | { t: 'want'; wants: SyncWant[] }

/** A response of the responder. */
export type SyncResponse =
  | { t: 'heads'; same: true }
  | { t: 'heads'; same: false; heads: Map<string, LogHead> }
  | { t: 'records'; records: Uint8Array[]; rest: SyncWant[] }

/** Encodes a request. */
export function encodeRequest(req: SyncRequest): Uint8Array {
  if (req.t === 'heads') return dagCbor.encode({ t: 'heads', digest: req.digest })
  return dagCbor.encode({ t: 'want', wants: req.wants.map((w) => [w.publisher, w.from]) })
}

/** Encodes a response. */
export function encodeResponse(res: SyncResponse): Uint8Array {
  if (res.t === 'records') {
    return dagCbor.encode({
      t: 'records',
      records: res.records,
      rest: res.rest.map((w) => [w.publisher, w.from]),
    })
  }
  if (res.same) return dagCbor.encode({ t: 'heads', same: true })
  const heads = [...res.heads].map(([key, h]) => [key, h.seq, h.cid, h.count])
  return dagCbor.encode({ t: 'heads', heads })
}

function decodeObject(bytes: Uint8Array): Record<string, unknown> {
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new SyncProtocolError(`not dag-cbor: ${(err as Error).message}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SyncProtocolError('a sync message must be a map')
  }
  return value as Record<string, unknown>
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256

function decodeWants(value: unknown, max: number): SyncWant[] {
  if (!Array.isArray(value) || value.length > max) throw new SyncProtocolError('bad wants list')
  return value.map((w) => {
    if (!Array.isArray(w) || w.length !== 2 || !isText(w[0]) || !isSeq(w[1])) {
      throw new SyncProtocolError('a want must be [publisher, from]')
    }
    return { publisher: w[0], from: w[1] }
  })
}

/** Decodes a request; at most `maxWants` wants. */
export function decodeRequest(bytes: Uint8Array, maxWants = 100_000): SyncRequest {
  const m = decodeObject(bytes)
  if (m.t === 'heads' && typeof m.digest === 'string' && m.digest.length <= 128) {
    return { t: 'heads', digest: m.digest }
  }
  if (m.t === 'want') return { t: 'want', wants: decodeWants(m.wants, maxWants) }
  throw new SyncProtocolError('unknown request')
}

/** Decodes a response; at most `maxRecords` records. */
export function decodeResponse(bytes: Uint8Array, maxRecords: number): SyncResponse {
  const m = decodeObject(bytes)
  if (m.t === 'heads' && m.same === true) return { t: 'heads', same: true }
  if (m.t === 'heads' && Array.isArray(m.heads)) {
    const heads = new Map<string, LogHead>()
    for (const h of m.heads as unknown[]) {
      if (
        !Array.isArray(h) ||
        h.length !== 4 ||
        !isText(h[0]) ||
        !isSeq(h[1]) ||
        !isText(h[2]) ||
        !isSeq(h[3])
      ) {
        throw new SyncProtocolError('a head must be [publisher, seq, cid, count]')
      }
      heads.set(h[0], { seq: h[1], cid: h[2], count: h[3] })
    }
    return { t: 'heads', same: false, heads }
  }
  if (m.t === 'records' && Array.isArray(m.records)) {
    if (m.records.length > maxRecords) throw new SyncProtocolError(`over ${maxRecords} records in a response`)
    if (!m.records.every((r) => r instanceof Uint8Array)) throw new SyncProtocolError('records must be bytes')
    return { t: 'records', records: m.records as Uint8Array[], rest: decodeWants(m.rest, 100_000) }
  }
  throw new SyncProtocolError('unknown response')
}
