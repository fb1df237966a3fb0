/**
 * The local trust list (SPEC 4): publisher keys this home prefers when an id has more than
 * one claimant. Local to the home; trust never travels over the network.
 */
import type Database from 'better-sqlite3'

/** One trusted key. */
export interface TrustEntry {
  key: string
  /** When it was added, ms since the epoch. */
  addedAt: number
  note?: string
}

/** Reads and edits the `trust` table. */
export class TrustList {
  readonly #list: Database.Statement<[], { key: string; addedAt: number; note: string | null }>
  readonly #has: Database.Statement<[string]>
  readonly #add: Database.Statement<[string, number, string | null]>
  readonly #setNote: Database.Statement<[string, string]>
  readonly #remove: Database.Statement<[string]>

  constructor(db: Database.Database) {
    this.#list = db.prepare('SELECT key, added_at AS addedAt, note FROM trust ORDER BY added_at, key')
    this.#has = db.prepare('SELECT 1 FROM trust WHERE key = ?')
    this.#add = db.prepare(
      'INSERT INTO trust (key, added_at, note) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
    )
    this.#setNote = db.prepare('UPDATE trust SET note = ? WHERE key = ?')
    this.#remove = db.prepare('DELETE FROM trust WHERE key = ?')
  }

  /** Every trusted key, oldest first. */
  list(): TrustEntry[] {
    return this.#list
      .all()
      .map(({ key, addedAt, note }) => (note === null ? { key, addedAt } : { key, addedAt, note }))
  }

  /** Whether `key` is trusted. */
  has(key: string): boolean {
    return this.#has.get(key) !== undefined
  }

  /**
   * Trusts `key`; returns false when it already was. Adding again keeps the original date
   * and replaces the note when one is given.
   */
  add(key: string, note?: string, now = Date.now()): boolean {
    const added = this.#add.run(key, now, note ?? null).changes > 0
    if (!added && note !== undefined) this.#setNote.run(note, key)
    return added
  }

  /** Stops trusting `key`; returns false when it was not trusted. */
  remove(key: string): boolean {
    return this.#remove.run(key).changes > 0
  }
}
