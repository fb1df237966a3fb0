/**
 * Catch-up decisions (SPEC 7), with no I/O: what to ask a peer for, given both sides'
 * per-publisher log heads, and how much to put in one response. The wire layer
 * (sync-protocol.ts) carries the messages; this module decides their content.
 *
 * A summary is one entry per publisher log: its highest seq, the record at that seq, and how
 * many records the log holds. Equal summaries mean equal record sets (logs are hash
 * linked), so steady-state traffic is one digest; otherwise only logs that differ are asked
 * for, from the first seq this node may lack.
 */
import { createHash } from 'node:crypto'

/** A publisher's log as a peer reports it. */
export interface LogHead {
  seq: number
  cid: string
  count: number
}

/** A publisher's log as this node holds it: also the end of the gap-free prefix. */
export interface LocalLog extends LogHead {
  /** The highest seq s such that records 1..s are all held (0 when seq 1 is missing). */
  contiguous: number
}

/** Ask for `publisher`'s records from seq `from` on. */
export interface SyncWant {
  publisher: string
  from: number
}

/** What the requester should ask for: the logs where the peer may hold records this node lacks. */
export function planWants(
  local: ReadonlyMap<string, LocalLog>,
  remote: ReadonlyMap<string, LogHead>,
): SyncWant[] {
  const wants: SyncWant[] = []
  for (const [publisher, theirs] of remote) {
    const ours = local.get(publisher)
    const from = wantFrom(ours, theirs)
    if (from !== undefined) wants.push({ publisher, from })
  }
  return wants.sort((a, b) => (a.publisher < b.publisher ? -1 : a.publisher > b.publisher ? 1 : 0))
}

function wantFrom(ours: LocalLog | undefined, theirs: LogHead): number | undefined {
  if (ours === undefined) return 1
  const afterPrefix = ours.contiguous + 1
  if (theirs.seq > ours.seq) return afterPrefix
  // A fork at the head (same seq, another record): ask from there, the responder sends both.
  if (theirs.seq === ours.seq && theirs.cid !== ours.cid) return Math.min(afterPrefix, theirs.seq)
  // They hold more records of a log we see to the same height: a gap of ours, or a fork
  // below the head that heads alone cannot place; ask from the gap, else the whole log.
  if (theirs.count > ours.count) return ours.contiguous < ours.seq ? afterPrefix : 1
  return undefined
}

/** A digest of a summary: equal digests, equal record sets. */
export function summaryDigest(heads: ReadonlyMap<string, LogHead>): string {
  const h = createHash('sha256')
  for (const key of [...heads.keys()].sort()) {
    const v = heads.get(key)!
    h.update(`${key}\0${v.seq}\0${v.cid}\0${v.count}\n`)
  }
  return h.digest('hex')
}

/** One stored record as the responder reads it. */
export interface SyncRecord {
  seq: number
  bytes: Uint8Array
}

/** Bounds of one response. */
export interface ResponseBounds {
  maxRecords: number
  maxBytes: number
}

/** One response: records in log order per publisher, and the wants left for the next request. */
export interface SyncFill {
  records: Uint8Array[]
  rest: SyncWant[]
}

/**
 * Fills one response from `wants` in order, within `bounds`; `readPage(publisher, from,
 * limit)` reads records of a log from seq `from` in seq order. A log cut short comes back in
 * `rest` from the seq it stopped at (a fork split at the cut is sent whole next time;
 * duplicates are dropped by ingest). At least one record is always sent, so paging ends.
 */
export function fillResponse(
  wants: readonly SyncWant[],
  readPage: (publisher: string, from: number, limit: number) => SyncRecord[],
  bounds: ResponseBounds,
): SyncFill {
  const records: Uint8Array[] = []
  let bytes = 0
  for (const [i, want] of wants.entries()) {
    const room = bounds.maxRecords - records.length
    if (room <= 0) return { records, rest: wants.slice(i) }
    const page = readPage(want.publisher, want.from, room + 1)
    for (const r of page) {
      const full = records.length >= bounds.maxRecords || bytes + r.bytes.length > bounds.maxBytes
      if (full && records.length > 0) {
        return { records, rest: [{ publisher: want.publisher, from: r.seq }, ...wants.slice(i + 1)] }
      }
      records.push(r.bytes)
      bytes += r.bytes.length
    }
  }
  return { records, rest: [] }
}

/**
 * Whether paging made progress: a want whose `from` did not move past the previous request's
 * would loop forever (more records at one seq than fit a response), so it is advanced.
 */
export function advanceWants(previous: readonly SyncWant[], rest: readonly SyncWant[]): SyncWant[] {
  const [first, ...others] = rest
  const was = previous[0]
  if (first === undefined || was === undefined) return [...rest]
  if (first.publisher !== was.publisher || first.from > was.from) return [...rest]
  return [{ publisher: first.publisher, from: was.from + 1 }, ...others]
}
