/**
 * Opening the SQLite file: connection settings and migrations, nothing else.
 */
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { SchemaTooNewError, StoreReadonlyError } from './errors.js'
import { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js'

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  /** Open without writing: no migration, no pragma that writes. @default false */
  readonly?: boolean
  /**
   * How long a statement waits for another process's write lock before failing, in ms.
   * CLI processes and the daemon share one file, so a short wait beats an instant error.
   * @default 5000
   */
  busyTimeout?: number
  /** Migration steps; tests pass extra steps to simulate a newer schema. @default MIGRATIONS */
  migrations?: readonly string[]
}

/**
 * Opens (creating if needed) the database at `file`, applies the connection settings and
 * brings the schema up to date.
 *
 * Durability: WAL with `synchronous = NORMAL`. A commit appends to the WAL before it
 * returns, so a process killed at any moment (kill -9, the SPEC 8 contract) loses no
 * committed transaction and never leaves a torn one. What NORMAL gives up against FULL is
 * an fsync per commit: after an OS crash or power loss the last few commits may roll back,
 * still to a consistent database. Records are re-fetched from peers by catch-up sync, so
 * that window costs little, while FULL would put an fsync on every record ingested.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database.Database {
  const readonly = options.readonly ?? false
  const steps = options.migrations ?? MIGRATIONS
  if (readonly && !existsSync(file)) {
    throw new StoreReadonlyError(file, 'the database does not exist yet; initialise the home first')
  }
  const db = new Database(file, { readonly, timeout: options.busyTimeout ?? 5000 })
  try {
    db.pragma('foreign_keys = ON')
    if (readonly) {
      const current = schemaVersion(db)
      if (current > steps.length) throw new SchemaTooNewError(file, current, steps.length)
      if (current < steps.length) {
        throw new StoreReadonlyError(file, `its schema (${current}) needs upgrading; open it once read-write`)
      }
    } else {
      // journal_mode is stored in the file; setting it again on every open is a no-op.
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      migrate(db, file, steps)
    }
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

export { SCHEMA_VERSION }
