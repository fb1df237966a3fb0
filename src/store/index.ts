/**
 * The SQLite metadata store (SPEC 4, 5): records, the catalogue read model, trust.
 */
export type { OpenDatabaseOptions } from './db.js'
export { openDatabase, SCHEMA_VERSION } from './db.js'
export { SchemaTooNewError, StoreReadonlyError } from './errors.js'
export type { Claimant } from './latest.js'
export { pickLatest } from './latest.js'
export type { PublisherHead, RecordFilter, RecordMeta, StoreCounts, StoredRecord } from './queries.js'
export type { ApplyOptions, ApplyResult } from './records.js'
export type { StoreOptions } from './store.js'
export { openStore, Store } from './store.js'
export type { TrustEntry } from './trust.js'
