/**
 * The metadata store: one SQLite file per home holding every accepted record, the catalogue
 * derived from them, the trust list and a little bookkeeping. A thin facade over the writer,
 * the reader and the trust list, each of which prepares its statements once.
 */
import type Database from 'better-sqlite3'
import type { Catalogue, VersionEntry } from '../domain/catalogue.js'
import type { RecordBlock } from '../domain/types.js'
import { openDatabase } from './db.js'
import { StoreReadonlyError } from './errors.js'
import { type Claimant, summariseClaimants } from './latest.js'
import {
  CatalogueReader,
  type PublisherHead,
  type RecordFilter,
  type RecordMeta,
  type StoreCounts,
  type StoredRecord,
} from './queries.js'
import { type ApplyOptions, type ApplyResult, RecordWriter } from './records.js'
import { type TrustEntry, TrustList } from './trust.js'

/** Options of `openStore`. */
export interface StoreOptions {
  /** Read without writing (a CLI query next to a running daemon). @default false */
  readonly?: boolean
  /** Wait for another process's write lock this long, in ms. @default 5000 */
  busyTimeout?: number
}

/** The metadata store of one home. Synchronous: better-sqlite3 calls take microseconds. */
export class Store implements Catalogue {
  /** The database file. */
  readonly file: string
  /** Whether writes are refused. */
  readonly readonly: boolean
  readonly #db: Database.Database
  readonly #reader: CatalogueReader
  readonly #trust: TrustList
  readonly #writer: RecordWriter | undefined
  readonly #setMeta: Database.Statement<[string, unknown]> | undefined
  readonly #read: Database.Transaction<(fn: () => unknown) => unknown>
  #closed = false

  constructor(db: Database.Database, file: string, readonly: boolean) {
    this.file = file
    this.readonly = readonly
    this.#db = db
    this.#reader = new CatalogueReader(db)
    this.#trust = new TrustList(db)
    this.#read = db.transaction((fn: () => unknown) => fn())
    if (!readonly) {
      this.#writer = new RecordWriter(db)
      this.#setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)')
    }
  }

  #write(): RecordWriter {
    if (this.#writer === undefined) throw new StoreReadonlyError(this.file, 'this store was opened read-only')
    return this.#writer
  }

  /** Files a verified record (SPEC 4): duplicate, fork and equivocation handling included. */
  applyRecord(block: RecordBlock, options?: ApplyOptions): ApplyResult {
    return this.#write().apply(block, options)
  }

  /** Files many verified records in one transaction (import, catch-up). */
  applyRecords(blocks: readonly RecordBlock[], options?: ApplyOptions): ApplyResult[] {
    return this.#write().applyMany(blocks, options)
  }

  /**
   * Runs `fn` in one write transaction: the writes inside commit together, so a batch of
   * records costs one commit. A throw inside rolls the whole batch back. applyRecord takes
   * no savepoint here (see RecordWriter.apply): `fn` may catch InvalidRecordError and go on,
   * but must let any other error from it end the batch.
   */
  batch<T>(fn: () => T): T {
    this.#write()
    return this.#db.transaction(fn).immediate()
  }

  /**
   * Runs `fn`, which only reads, in one read transaction: one snapshot, and one lock round
   * trip for all its statements instead of one each (two fcntl calls in WAL mode, more than
   * a simple query costs). Inside a write transaction it simply runs.
   */
  read<T>(fn: () => T): T {
    return this.#db.inTransaction ? fn() : (this.#read.deferred(fn) as T)
  }

  /** Flags local records as announced to the network; returns how many changed. */
  markAnnounced(cids: readonly string[]): number {
    return this.#write().markAnnounced(cids)
  }

  /** Local records not yet announced, oldest first. */
  unannounced(limit?: number): { cid: string; bytes: Uint8Array }[] {
    return this.#reader.unannounced(limit)
  }

  /** Every stored release of `id`, any publisher, any state; ascending semver. */
  versions(id: string): VersionEntry[] {
    return this.#reader.versions(id)
  }

  /** Who claims `id`, one entry per owner, earliest first. */
  claimants(id: string): Claimant[] {
    return summariseClaimants(this.#reader.versions(id), (key) => this.#trust.has(key))
  }

  /** Per (id, owner), the latest installable version with its manifest (for the search index). */
  latestPerPackage(): VersionEntry[] {
    return this.#reader.latestPerPackage()
  }

  /** Every stored release of every id (any state), by id then ascending semver. */
  allVersions(): VersionEntry[] {
    return this.#reader.allVersions()
  }

  /** Every package id with at least one release, sorted. */
  packageIds(): string[] {
    return this.#reader.packageIds()
  }

  /** The head of a publisher's log, or undefined for a publisher never seen. */
  publisherHead(key: string): PublisherHead | undefined {
    return this.#reader.publisherHead(key)
  }

  /** The envelope bytes of a record, or undefined. */
  getRecord(cid: string): Uint8Array | undefined {
    return this.#reader.getRecord(cid)
  }

  /** Whether a record is stored. */
  hasRecord(cid: string): boolean {
    return this.#reader.hasRecord(cid)
  }

  /** A record's publisher, seq, kind, id and time, without its bytes; or undefined. */
  recordMeta(cid: string): RecordMeta | undefined {
    return this.#reader.recordMeta(cid)
  }

  /** A publisher's records from `fromSeq` on, in log order. */
  recordsOf(publisher: string, fromSeq?: number): StoredRecord[] {
    return this.#reader.recordsOf(publisher, fromSeq)
  }

  /** The id of every stored record, in arrival order. */
  allRecordCids(): string[] {
    return this.#reader.allRecordCids()
  }

  /** Stored records matching `filter`, paged, in arrival order (for export). */
  iterateRecords(filter?: RecordFilter): Generator<StoredRecord> {
    return this.#reader.iterateRecords(filter)
  }

  /** Totals for `status`. */
  counts(): StoreCounts {
    return this.#reader.counts()
  }

  /** Publishers whose log has a fork. */
  forkedPublishers(): string[] {
    return this.#reader.forkedPublishers()
  }

  /** The catalogue generation; a search index built at another generation is stale. */
  generation(): number {
    return this.#reader.generation()
  }

  /** A bookkeeping value, or undefined. */
  getMeta(key: string): unknown {
    return this.#reader.getMeta(key)
  }

  /** Sets a bookkeeping value (never 'generation', which the store owns). */
  setMeta(key: string, value: string | number | null): void {
    this.#write()
    if (key === 'generation') throw new TypeError("the store owns 'generation'")
    this.#setMeta!.run(key, value)
  }

  /** Trusted keys, oldest first. */
  trustList(): TrustEntry[] {
    return this.#trust.list()
  }

  /** Trusts a key; false when it already was. */
  trustAdd(key: string, note?: string): boolean {
    this.#write()
    return this.#trust.add(key, note)
  }

  /** Stops trusting a key; false when it was not trusted. */
  trustRemove(key: string): boolean {
    this.#write()
    return this.#trust.remove(key)
  }

  /** Whether a key is trusted. */
  isTrusted(key: string): boolean {
    return this.#trust.has(key)
  }

  /** Closes the database; calling it again does nothing. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    // Lets SQLite refresh planner statistics it found missing during this session.
    if (!this.readonly) this.#db.pragma('optimize')
    this.#db.close()
  }
}

/** Opens (creating and migrating if needed) the store at `file`. */
export function openStore(file: string, options: StoreOptions = {}): Store {
  const readonly = options.readonly ?? false
  const db = openDatabase(file, {
    readonly,
    ...(options.busyTimeout === undefined ? {} : { busyTimeout: options.busyTimeout }),
  })
  return new Store(db, file, readonly)
}
