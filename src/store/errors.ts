/**
 * Errors raised by the metadata store. Each names the database file and tells the user
 * what to do, like every other GgenError.
 */
import { GgenError } from '../domain/errors.js'

/** The database was written by a newer ggen-market whose schema this code does not know. */
export class SchemaTooNewError extends GgenError {
  constructor(file: string, found: number, known: number) {
    super(
      'ERR_STORE_TOO_NEW',
      `this home was written by a newer ggen-market (schema ${found}); upgrade ggen-market to open it ` +
        `(this version knows schema ${known}; database: ${file})`,
      { file, found, known },
    )
  }
}

/** A read-only store was asked to write, or to open a database that is missing or not migrated. */
export class StoreReadonlyError extends GgenError {
  constructor(file: string, reason: string) {
    super('ERR_STORE_READONLY', `cannot use ${file} read-only: ${reason}`, { file })
  }
}
