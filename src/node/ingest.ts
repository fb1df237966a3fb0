/**
 * The one ingest path (SPEC 4): every record, whether published here, received over the
 * network or read from a bundle, is decoded, verified, checked against what the node
 * already holds, stored and indexed through `ingestRecord`. Nothing reaches SQLite or the
 * search index any other way.
 */
import type { CID } from 'multiformats/cid'
import { InvalidRecordError } from '../domain/errors.js'
import { checkTime, decodeRecord, MAX_RECORD_BYTES, recordIdOf, verifyRecord } from '../domain/records.js'
import type { RecordBlock, RecordBody } from '../domain/types.js'
import type { Store } from '../store/index.js'

/** What ingest needs: the store and a hook to keep the search index in step. */
export interface IngestContext {
  store: Store
  network: string
  /** Called after a record was stored, with the package id it touched. */
  onStored?: (id: string, block: RecordBlock, source: RecordSource) => void
  now?: () => number
}

/** The outcome of ingesting one record. */
export interface IngestResult {
  status: 'added' | 'duplicate'
  record: string
  kind: RecordBody['type']
  id: string
  publisher: string
  forked: boolean
  conflicted: boolean
}

/** Where a record came from. `local` records are queued for announcement to the network. */
export type RecordSource = 'local' | 'network' | 'bundle'

/** Options of one ingest. */
export interface IngestOptions {
  /** The CID the sender said the bytes have (a bundle block, a sync response). */
  expectedCid?: CID
  /** @default 'network' */
  source?: RecordSource
}

/** A stored record's `onStored` arguments, held until its transaction has committed. */
type Stored = Parameters<NonNullable<IngestContext['onStored']>>

/**
 * Decodes, verifies and stores one record. Throws `InvalidRecordError` with the reason for
 * anything that must not be stored; the caller counts, logs and penalises the sender.
 *
 * It all runs in one write transaction: the look-ups and the write then share one lock
 * round trip instead of one each (two system calls apiece in WAL mode), and the log and
 * ownership checks see exactly the state the record is filed into.
 */
export function ingestRecord(
  ctx: IngestContext,
  bytes: Uint8Array,
  options: IngestOptions = {},
): IngestResult {
  const stored: Stored[] = []
  const one = (): IngestResult => ingestOne(ctx, bytes, options, stored)
  // A read-only store still tells a duplicate; anything else fails at the write.
  const result = ctx.store.readonly ? one() : ctx.store.batch(one)
  for (const args of stored) ctx.onStored?.(...args)
  return result
}

/**
 * `ingestRecord` without a transaction of its own: the caller holds one. Records what it
 * stored in `stored`, for the caller to announce after the commit.
 */
function ingestOne(
  ctx: IngestContext,
  bytes: Uint8Array,
  options: IngestOptions,
  stored: Stored[],
): IngestResult {
  const held = heldRecord(ctx.store, bytes, options.expectedCid)
  if (held !== undefined) return held
  const block = decodeRecord(bytes, options.expectedCid)
  const record = block.cid.toString()
  const body = block.record.body
  const base = { record, kind: body.type, id: body.id, publisher: body.publisher }
  verifyRecord(block)
  if (body.network !== ctx.network) {
    throw new InvalidRecordError(
      `record is for network "${body.network}", this node is on "${ctx.network}"`,
      {
        record,
      },
    )
  }
  checkTime(body, (ctx.now ?? Date.now)())
  checkLogPosition(ctx.store, body, record)
  if (body.type === 'rotation') checkRotationOwner(ctx.store, body.publisher, body.id, record)

  const source = options.source ?? 'network'
  const applied = ctx.store.applyRecord(block, { local: source === 'local' })
  if (applied.status === 'duplicate')
    return { status: 'duplicate', ...base, forked: false, conflicted: false }
  stored.push([body.id, block, source])
  return { status: 'added', ...base, forked: applied.forked, conflicted: applied.conflicted }
}

/**
 * The duplicate result when the node already holds these exact bytes (same hash, same
 * record), found before any decoding: a record offered again (catch-up, a bundle imported
 * twice) then costs a hash and one look-up. The stored copy passed every check when it came.
 */
function heldRecord(store: Store, bytes: Uint8Array, expectedCid: CID | undefined): IngestResult | undefined {
  if (bytes.length > MAX_RECORD_BYTES) return undefined // decodeRecord says why
  const cid = recordIdOf(bytes)
  if (expectedCid !== undefined && !cid.equals(expectedCid)) return undefined // nor is it held
  const record = cid.toString()
  const meta = store.recordMeta(record)
  if (meta === undefined) return undefined
  const { type: kind, id, publisher } = meta
  return { status: 'duplicate', record, kind, id, publisher, forked: false, conflicted: false }
}

/** `prev`, when this node holds it, must be the same publisher's record at `seq - 1`. */
function checkLogPosition(store: Store, body: RecordBody, record: string): void {
  if (body.prev === undefined) return
  const prev = store.recordMeta(body.prev.toString())
  if (prev === undefined) return // a gap: catch-up asks for it later
  if (prev.publisher !== body.publisher || prev.seq !== body.seq - 1) {
    throw new InvalidRecordError(
      `prev ${body.prev} is record ${prev.seq} of ${prev.publisher}, not record ${body.seq - 1} of the signer`,
      { record },
    )
  }
}

/** Only a key that owns an id (by release or an earlier rotation) can hand it over. */
function checkRotationOwner(store: Store, publisher: string, id: string, record: string): void {
  const owns = store.versions(id).some((v) => v.owner === publisher || v.publisher === publisher)
  if (!owns) {
    throw new InvalidRecordError(
      `rotation of ${id} signed by ${publisher}, which has released nothing under it`,
      {
        record,
      },
    )
  }
}

/** The outcome of one record of a batch: its result, or why it was rejected. */
export type BatchItemResult = { ok: true; result: IngestResult } | { ok: false; error: InvalidRecordError }

/**
 * Ingests many records (catch-up responses, bundles) with one SQLite commit for the lot:
 * each record is still checked on its own and a rejected one does not stop the others.
 * Only `InvalidRecordError`s are caught per record; anything else (a full disk) aborts the
 * batch and rolls it back, so nothing is half stored.
 */
export function ingestRecords(
  ctx: IngestContext,
  items: readonly { bytes: Uint8Array; expectedCid?: CID }[],
  source: RecordSource = 'network',
): BatchItemResult[] {
  // Index updates and events wait for the commit: a rolled-back batch must leave no trace.
  const stored: Stored[] = []
  const results = ctx.store.batch(() =>
    items.map((item): BatchItemResult => {
      try {
        return {
          ok: true,
          result: ingestOne(ctx, item.bytes, { expectedCid: item.expectedCid, source }, stored),
        }
      } catch (err) {
        if (err instanceof InvalidRecordError) return { ok: false, error: err }
        throw err
      }
    }),
  )
  for (const args of stored) ctx.onStored?.(...args)
  return results
}
