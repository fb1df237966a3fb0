/**
 * What catch-up reads from the home's SQLite file: per-publisher log summaries and pages of
 * a log. A read-only connection of its own, so that sync asks exactly the aggregate and
 * paged queries it needs without widening the store's API; writes still go through the one
 * ingest path. The summary is kept until the database changes.
 */
import type Database from 'better-sqlite3'
import { openDatabase } from '../store/db.js'
import type { LocalLog, SyncRecord } from './sync-plan.js'

/** The read side of catch-up over one database file. */
export class SyncStore {
  readonly #db: Database.Database
  readonly #logs: Database.Statement<
    [],
    { key: string; seq: number; cid: string; count: number; distinct: number; first: number }
  >
  readonly #firstWithoutNext: Database.Statement<[{ publisher: string }], number>
  readonly #page: Database.Statement<[string, number, number], SyncRecord>
  readonly #dataVersion: Database.Statement<[], number>
  /** The last summary and the data version it was read at. */
  #cached: { version: number; logs: Map<string, LocalLog> } | undefined

  constructor(file: string) {
    this.#db = openDatabase(file, { readonly: true })
    this.#logs = this.#db.prepare(
      `SELECT p.key AS key, p.head_seq AS seq, p.head_cid AS cid,
              count(*) AS count, count(DISTINCT r.seq) AS "distinct", min(r.seq) AS first
         FROM publishers p JOIN records r ON r.publisher = p.key
        GROUP BY p.key`,
    )
    this.#firstWithoutNext = this.#db
      // A named parameter: better-sqlite3 refuses a value for `?1` ("Too many parameter values").
      .prepare<[{ publisher: string }], number>(
        `SELECT r.seq FROM records r WHERE r.publisher = @publisher AND NOT EXISTS
           (SELECT 1 FROM records x WHERE x.publisher = @publisher AND x.seq = r.seq + 1)
         ORDER BY r.seq LIMIT 1`,
      )
      .pluck()
    // Changes whenever another connection (the store's) commits: the summary is read again
    // only then, not on every catch-up request (a full aggregate over the records table).
    this.#dataVersion = this.#db.prepare<[], number>('PRAGMA data_version').pluck()
    this.#page = this.#db.prepare(
      'SELECT seq, bytes FROM records WHERE publisher = ? AND seq >= ? ORDER BY seq, cid LIMIT ?',
    )
  }

  /** Every publisher log this node holds (the caller must not change the map). */
  logs(): Map<string, LocalLog> {
    const version = this.#dataVersion.get()!
    if (this.#cached?.version === version) return this.#cached.logs
    const logs = this.#readLogs()
    this.#cached = { version, logs }
    return logs
  }

  #readLogs(): Map<string, LocalLog> {
    const out = new Map<string, LocalLog>()
    for (const row of this.#logs.all()) {
      let contiguous = row.seq
      if (row.first !== 1) contiguous = 0
      else if (row.distinct !== row.seq)
        contiguous = this.#firstWithoutNext.get({ publisher: row.key }) ?? row.seq
      out.set(row.key, { seq: row.seq, cid: row.cid, count: row.count, contiguous })
    }
    return out
  }

  /** Up to `limit` records of `publisher` from seq `from`, in log order. */
  page(publisher: string, from: number, limit: number): SyncRecord[] {
    return this.#page.all(publisher, from, limit)
  }

  /** Closes the connection. */
  close(): void {
    if (this.#db.open) this.#db.close()
  }
}
