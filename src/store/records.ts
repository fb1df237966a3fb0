/**
 * Writing verified records: one transaction per record for every row it touches (SPEC 4).
 * Records reach this module already decoded and verified; it trusts their bodies and only
 * files them, detecting duplicates, forks in a publisher's log and equivocations.
 */
import type Database from 'better-sqlite3'
import { InvalidRecordError } from '../domain/errors.js'
import type { RecordBlock, RecordBody } from '../domain/types.js'

/** What `applyRecord` did with a record. */
export type ApplyResult =
  | { status: 'duplicate'; cid: string }
  | {
      status: 'added'
      cid: string
      kind: RecordBody['type']
      /** Another record of this publisher has the same seq (SPEC 4: a warning, not an error). */
      forked: boolean
      /** This release and an earlier one of the publisher give one (id, version) two CIDs. */
      conflicted: boolean
    }

/** Options of `applyRecord`. */
export interface ApplyOptions {
  /** The record was signed in this home and still has to be announced. @default false */
  local?: boolean
  /** When the record arrived, ms since the epoch. @default Date.now() */
  receivedAt?: number
}

/** Turns manifest values dag-cbor may decode as bigint into JSON numbers or strings. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  return value
}

/**
 * The manifest as JSON text. A replacer function takes JSON.stringify off its fast path for
 * every value, so it is used only when plain stringify meets a bigint (its only TypeError:
 * a decoded record has no cycles).
 */
function manifestJson(manifest: unknown): string {
  try {
    return JSON.stringify(manifest)
  } catch {
    return JSON.stringify(manifest, jsonReplacer)
  }
}

/** Files verified records; every statement is prepared once, when the writer is built. */
export class RecordWriter {
  readonly #db: Database.Database
  readonly #sameSeq: Database.Statement<[string, number, string]>
  readonly #insertRecord: Database.Statement<
    [string, string, number, string | null, string, string, string | null, number, Uint8Array, number, number]
  >
  readonly #upsertPublisher: Database.Statement<[string, number, string], { head: string }>
  readonly #markForked: Database.Statement<[string]>
  readonly #otherCids: Database.Statement<[string, string, string, string]>
  readonly #markConflicted: Database.Statement<[string, string, string]>
  readonly #insertRelease: Database.Statement<
    [string, string, string, string, string, number, number, string, number]
  >
  readonly #insertYank: Database.Statement<[Record<string, unknown>]>
  readonly #insertRotation: Database.Statement<[Record<string, unknown>]>
  readonly #bumpGeneration: Database.Statement<[]>
  readonly #markAnnounced: Database.Statement<[string]>
  readonly #applyOne: (block: RecordBlock, options: ApplyOptions) => ApplyResult
  readonly #applyMany: (blocks: readonly RecordBlock[], options: ApplyOptions) => ApplyResult[]
  readonly #markMany: (cids: readonly string[]) => number

  constructor(db: Database.Database) {
    this.#db = db
    this.#sameSeq = db.prepare('SELECT 1 FROM records WHERE publisher = ? AND seq = ? AND cid <> ? LIMIT 1')
    // A record already held inserts nothing: that is how a duplicate is told, with no lookup first.
    this.#insertRecord = db.prepare(
      `INSERT INTO records (cid, publisher, seq, prev, type, id, version, time, bytes, received_at, local)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (cid) DO NOTHING`,
    )
    // Every SET expression reads the row as it was, so the CASE compares against the old head.
    // It returns the head after the write: a record that became the head has a seq above
    // every other record of its publisher, so it cannot share one (no fork look-up needed).
    this.#upsertPublisher = db.prepare(
      `INSERT INTO publishers (key, head_seq, head_cid) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET
         head_cid = CASE WHEN excluded.head_seq > head_seq THEN excluded.head_cid ELSE head_cid END,
         head_seq = max(head_seq, excluded.head_seq)
       RETURNING head_cid AS head`,
    )
    this.#markForked = db.prepare('UPDATE publishers SET forked = 1 WHERE key = ?')
    this.#otherCids = db.prepare(
      'SELECT 1 FROM releases WHERE id = ? AND version = ? AND publisher = ? AND cid <> ? LIMIT 1',
    )
    this.#markConflicted = db.prepare(
      'UPDATE releases SET conflicted = 1 WHERE id = ? AND version = ? AND publisher = ?',
    )
    // The same publisher re-signing the same CID for a version is no conflict, and the first
    // record that released it stays its record. ON CONFLICT, not OR IGNORE: OR IGNORE would
    // also swallow CHECK and NOT NULL failures. (A look-up then an insert measured faster
    // than one INSERT ... SELECT EXISTS, which SQLite runs through a temporary table.)
    this.#insertRelease = db.prepare(
      `INSERT INTO releases (id, version, publisher, cid, record, published, size, manifest, conflicted)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id, version, publisher, cid) DO NOTHING`,
    )
    this.#insertYank = db.prepare(
      `INSERT INTO yanks (record, id, version, publisher, reason, time)
       VALUES (@record, @id, @version, @publisher, @reason, @time)`,
    )
    this.#insertRotation = db.prepare(
      `INSERT INTO rotations (record, id, from_key, to_key, seq, time)
       VALUES (@record, @id, @from, @to, @seq, @time)`,
    )
    this.#bumpGeneration = db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'generation'")
    this.#markAnnounced = db.prepare('UPDATE records SET announced = 1 WHERE cid = ? AND announced = 0')
    this.#applyOne = db.transaction((block: RecordBlock, options: ApplyOptions) =>
      this.#apply(block, options),
    )
    this.#applyMany = db.transaction((blocks: readonly RecordBlock[], options: ApplyOptions) =>
      blocks.map((b) => this.#apply(b, options)),
    )
    this.#markMany = db.transaction((cids: readonly string[]) => {
      let changed = 0
      for (const cid of cids) changed += this.#markAnnounced.run(cid).changes
      return changed
    })
  }

  /**
   * Files one record and everything it implies, all or nothing. Inside a caller's
   * transaction (`Store.batch`) it takes no savepoint of its own: under a savepoint SQLite
   * first copies every page the record touches to a sub-journal, a quarter of the cost of
   * a batched write. The record stays whole because `#apply` refuses a record only before
   * its first write; a failure after that is a SQLite error, which aborts the batch.
   */
  apply(block: RecordBlock, options: ApplyOptions = {}): ApplyResult {
    return this.#db.inTransaction ? this.#apply(block, options) : this.#applyOne(block, options)
  }

  /**
   * Files many records in one transaction (import, catch-up): one commit instead of one per
   * record. All or nothing: a record that fails rolls the whole batch back and throws.
   */
  applyMany(blocks: readonly RecordBlock[], options: ApplyOptions = {}): ApplyResult[] {
    return this.#applyMany(blocks, options)
  }

  /** Flags local records as announced; returns how many changed. */
  markAnnounced(cids: readonly string[]): number {
    return this.#markMany(cids)
  }

  /** Throws InvalidRecordError only before its first write (see `apply`). */
  #apply(block: RecordBlock, options: ApplyOptions): ApplyResult {
    const cid = block.cid.toString()
    const body = block.record.body
    if (body.type !== 'release' && body.type !== 'yank' && body.type !== 'rotation') {
      // Unreachable for verified records; refusing before any write beats filing half a record.
      throw new InvalidRecordError(`unknown record type ${String((body as { type: unknown }).type)}`, {
        cid,
      })
    }
    // Positional parameters, in the column order of the statement: binding eleven named ones
    // from an object measured a few microseconds slower per record.
    const inserted = this.#insertRecord.run(
      cid,
      body.publisher,
      body.seq,
      body.prev?.toString() ?? null,
      body.type,
      body.id,
      body.type === 'rotation' ? null : body.version,
      body.time,
      block.bytes,
      options.receivedAt ?? Date.now(),
      options.local === true ? 1 : 0,
    )
    if (inserted.changes === 0) return { status: 'duplicate', cid }
    const head = this.#upsertPublisher.get(body.publisher, body.seq, cid)
    // Not the new head: an earlier seq arriving late, or a second record at one seq. The
    // record itself is stored by now, hence `cid <> ?`.
    const forked = head?.head !== cid && this.#sameSeq.get(body.publisher, body.seq, cid) !== undefined
    if (forked) this.#markForked.run(body.publisher)
    let conflicted = false
    switch (body.type) {
      case 'release': {
        const content = body.cid.toString()
        conflicted = this.#otherCids.get(body.id, body.version, body.publisher, content) !== undefined
        if (conflicted) this.#markConflicted.run(body.id, body.version, body.publisher)
        this.#insertRelease.run(
          body.id,
          body.version,
          body.publisher,
          content,
          cid,
          body.time,
          body.size,
          manifestJson(body.manifest),
          conflicted ? 1 : 0,
        )
        break
      }
      case 'yank':
        this.#insertYank.run({
          record: cid,
          id: body.id,
          version: body.version,
          publisher: body.publisher,
          reason: body.reason,
          time: body.time,
        })
        break
      case 'rotation':
        this.#insertRotation.run({
          record: cid,
          id: body.id,
          from: body.publisher,
          to: body.to,
          seq: body.seq,
          time: body.time,
        })
        break
    }
    this.#bumpGeneration.run()
    return { status: 'added', cid, kind: body.type, forked, conflicted }
  }
}
