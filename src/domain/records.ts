/**
 * Signed records (SPEC 4): encoding, signing, strict decoding and verification.
 *
 * A record is the envelope `{body, sig}` encoded as deterministic dag-cbor; its CID
 * (CIDv1, dag-cbor, sha2-256) is the record id. `sig` is the publisher's Ed25519 signature
 * of `RECORD_DOMAIN_PREFIX` followed by dag-cbor(body). Decoding accepts only the one
 * canonical encoding of an envelope, so a record has exactly one id.
 */
import { hash } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import { verifyBytes } from './ed25519.js'
import { InvalidRecordError } from './errors.js'
import { type PublisherKey, sign } from './keys.js'
import { DAG_CBOR_CODE, parseEnvelope, publisherKeyBytes, SHA2_256_CODE } from './record-schema.js'
import type { RecordBlock, RecordBody } from './types.js'

/** The largest encoded record accepted, in bytes (SPEC 4). */
export const MAX_RECORD_BYTES = 65536

/** How far in the future a record's time may be before it is refused: clocks disagree a little. */
export const FUTURE_SKEW_MS = 10 * 60 * 1000

/** Signatures cover these bytes first, so a record signature can never pass for another kind of message. */
export const RECORD_DOMAIN_PREFIX: Uint8Array = new TextEncoder().encode('ggen-market/record/v1\0')

/**
 * Blocks made by `decodeRecord`, whose bytes are known canonical, so that verifying need
 * not encode the body again: in the canonical envelope `{sig, body}` the body's encoding is
 * the tail of the bytes after a fixed 76-byte head (map header, "sig", 64-byte sig, "body").
 */
const canonicalBlocks = new WeakSet<RecordBlock>()
const BODY_OFFSET = 76

/** The record id of encoded envelope bytes: CIDv1, dag-cbor, sha2-256. */
export function recordIdOf(bytes: Uint8Array): CID {
  const digest = hash('sha256', bytes, 'buffer')
  return CID.createV1(DAG_CBOR_CODE, Digest.create(SHA2_256_CODE, digest))
}

/** The exact bytes a publisher signs for `body`: the domain prefix, then dag-cbor(body). */
export function signingBytes(body: RecordBody): Uint8Array {
  return prefixed(dagCbor.encode(body))
}

function prefixed(encoded: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_DOMAIN_PREFIX.length + encoded.length)
  out.set(RECORD_DOMAIN_PREFIX)
  out.set(encoded, RECORD_DOMAIN_PREFIX.length)
  return out
}

/**
 * Signs `body` with `key` and returns the encoded record. Optional fields that are
 * `undefined` are left out (dag-cbor has no undefined). The result is checked exactly as a
 * receiving node would check it, so a record this returns is one every node accepts
 * (apart from log and ownership rules, which need the store).
 */
export function signRecord<B extends RecordBody>(body: B, key: PublisherKey): RecordBlock<B> {
  if (body.publisher !== key.did) {
    throw new InvalidRecordError(`body.publisher ${body.publisher} is not the signing key ${key.did}`, {
      field: 'publisher',
    })
  }
  const clean = withoutUndefined(body) as B
  let bytes: Uint8Array
  try {
    const sig = sign(key, signingBytes(clean))
    bytes = dagCbor.encode({ body: clean, sig })
  } catch (err) {
    throw new InvalidRecordError(`the body cannot be encoded as dag-cbor: ${(err as Error).message}`)
  }
  return decodeRecord(bytes) as RecordBlock<B>
}

/**
 * Decodes and checks encoded record bytes: size cap, dag-cbor, schema, canonical encoding
 * and, when given, the expected record id. Does not check the signature (`verifyRecord`).
 * Every failure is an InvalidRecordError naming what is wrong.
 */
export function decodeRecord(bytes: Uint8Array, expectedCid?: CID): RecordBlock {
  if (bytes.length > MAX_RECORD_BYTES) {
    throw new InvalidRecordError(`record is ${bytes.length} bytes, over the ${MAX_RECORD_BYTES}-byte limit`, {
      size: bytes.length,
    })
  }
  let value: unknown
  try {
    value = dagCbor.decode(bytes)
  } catch (err) {
    throw new InvalidRecordError(`not valid dag-cbor: ${(err as Error).message}`)
  }
  const record = parseEnvelope(value)
  // dag-cbor decoding tolerates unsorted map keys and oversized floats; requiring the
  // bytes to be exactly what encoding produces makes the record id unique per record.
  if (!equalBytes(dagCbor.encode(value), bytes)) {
    throw new InvalidRecordError('the envelope is not in canonical dag-cbor form')
  }
  const cid = recordIdOf(bytes)
  if (expectedCid !== undefined && !cid.equals(expectedCid)) {
    const expected = String(expectedCid)
    throw new InvalidRecordError(`record id is ${cid}, expected ${expected}`, {
      cid: cid.toString(),
      expected,
    })
  }
  const block: RecordBlock = { cid, bytes, record }
  canonicalBlocks.add(block)
  return block
}

/** Checks the record's signature against the key its body names; throws InvalidRecordError if it does not match. */
export function verifyRecord(block: RecordBlock): void {
  const { body, sig } = block.record
  const signed = canonicalBlocks.has(block) ? prefixed(block.bytes.subarray(BODY_OFFSET)) : signingBytes(body)
  const publicKey = publisherKeyBytes(body.publisher)
  if (publicKey === undefined || !verifyBytes(publicKey, signed, sig)) {
    throw new InvalidRecordError(`signature does not match publisher ${body.publisher}`, {
      publisher: body.publisher,
      record: block.cid.toString(),
    })
  }
}

/** Decodes, checks and verifies record bytes in one step: what ingest does with bytes from a peer. */
export function openRecord(bytes: Uint8Array, expectedCid?: CID): RecordBlock {
  const block = decodeRecord(bytes, expectedCid)
  verifyRecord(block)
  return block
}

/** Throws InvalidRecordError when the record claims a time more than FUTURE_SKEW_MS after `now` (ms). */
export function checkTime(body: RecordBody, now: number = Date.now()): void {
  if (body.time > now + FUTURE_SKEW_MS) {
    throw new InvalidRecordError(
      `time ${showTime(body.time)} is in the future (now ${showTime(now)}); check the publisher clock`,
      { field: 'time', time: body.time, now },
    )
  }
}

function withoutUndefined(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(withoutUndefined)
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value // CID, Uint8Array
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined) out[k] = withoutUndefined(v)
  }
  return out
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0
}

function showTime(ms: number): string {
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString()
}
