/**
 * The one ingest path (SPEC 4): every record, whether published here, received over the
 * network or read from a bundle, is decoded, verified, checked against what the node
 * already holds, stored and indexed through `ingestRecord`. Nothing reaches SQLite or the
 * search index any other way.
 */
import type { CID } from 'multiformats/cid'
import { InvalidRecordError } from '../domain/errors.js'
import { checkTime, decodeRecord, verifyRecord } from '../domain/records.js'
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

/**
 * Decodes, verifies and stores one record. Throws `InvalidRecordError` with the reason for
 * anything that must not be stored; the caller counts, logs and penalises the sender.
 */
export function ingestRecord(
  ctx: IngestContext,
  bytes: Uint8Array,
  options: IngestOptions = {},
): IngestResult {
  const block = decodeRecord(bytes, options.expectedCid)
  const record = block.cid.toString()
  const body = block.record.body
  const base = { record, kind: body.type, id: body.id, publisher: body.publisher }

  if (ctx.store.hasRecord(record)) {
    return { status: 'duplicate', ...base, forked: false, conflicted: false }
  }
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
  ctx.onStored?.(body.id, block, source)
  return { status: 'added', ...base, forked: applied.forked, conflicted: applied.conflicted }
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
