/**
 * The read model: the catalogue as search, resolution, `info`, sync and export see it.
 * Every statement is prepared once; results are plain data with CIDs as strings.
 */
import type Database from 'better-sqlite3'
import type { Catalogue, VersionEntry } from '../domain/catalogue.js'
import type { Manifest } from '../domain/types.js'
import { compareEntries, latestPerOwner } from './latest.js'
import {
  type AnnotatedRelease,
  annotate,
  type ReleaseRow,
  type RotationEdge,
  type YankRow,
} from './ownership.js'

/** A stored record's id and where it sits in its publisher's log. */
export interface RecordMeta {
  cid: string
  publisher: string
  seq: number
  type: 'release' | 'yank' | 'rotation'
  /** The package id the record is about. */
  id: string
  /** The time the record claims, ms since the epoch. */
  time: number
}

/** A stored record with its envelope bytes. */
export interface StoredRecord extends RecordMeta {
  bytes: Uint8Array
}

/** The head of a publisher's log: the next local record uses `seq + 1` and `prev = cid`. */
export interface PublisherHead {
  seq: number
  cid: string
}

/** Totals for `status`. */
export interface StoreCounts {
  packages: number
  records: number
  publishers: number
}

/** Which records `iterateRecords` yields; every filter given must match. */
export interface RecordFilter {
  /** Only records about these package ids (releases, yanks and rotations alike). */
  ids?: readonly string[]
  /** Only records whose claimed time is at or after this, ms since the epoch. */
  since?: number
}

const RELEASE_COLUMNS = 'id, version, publisher, cid, record, published, size, manifest, conflicted'
const RECORD_COLUMNS = 'rowid, cid, publisher, seq, type, id, time, bytes'
const PAGE = 256

function toEntry(a: AnnotatedRelease): VersionEntry {
  const r = a.row
  const entry: VersionEntry = {
    id: r.id,
    version: r.version,
    cid: r.cid,
    record: r.record,
    publisher: r.publisher,
    owner: a.owner,
    published: r.published,
    size: r.size,
    manifest: JSON.parse(r.manifest) as Manifest,
    yanked: a.yanked,
    conflicted: a.conflicted,
  }
  if (a.yankReason !== undefined) entry.yankReason = a.yankReason
  return entry
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/** Reads the catalogue; the statements belong to one connection. */
export class CatalogueReader implements Catalogue {
  readonly #releasesOf: Database.Statement<[string], ReleaseRow>
  readonly #yanksOf: Database.Statement<[string], YankRow>
  readonly #rotationsOf: Database.Statement<[string], RotationEdge>
  readonly #allReleases: Database.Statement<[], ReleaseRow>
  readonly #allYanks: Database.Statement<[], YankRow & { id: string }>
  readonly #allRotations: Database.Statement<[], RotationEdge & { id: string }>
  readonly #packageIds: Database.Statement<[], string>
  readonly #head: Database.Statement<[string], PublisherHead>
  readonly #recordBytes: Database.Statement<[string], Uint8Array>
  readonly #recordMeta: Database.Statement<[string], RecordMeta>
  readonly #hasRecord: Database.Statement<[string], number>
  readonly #recordsOf: Database.Statement<[string, number], StoredRecord>
  readonly #recordCids: Database.Statement<[], string>
  readonly #recordsPage: Database.Statement<[number, number, number], StoredRecord & { rowid: number }>
  readonly #recordsPageOfId: Database.Statement<
    [string, number, number, number],
    StoredRecord & { rowid: number }
  >
  readonly #counts: Database.Statement<[], StoreCounts>
  readonly #forked: Database.Statement<[], string>
  readonly #unannounced: Database.Statement<[number], { cid: string; bytes: Uint8Array }>
  readonly #meta: Database.Statement<[string], unknown>

  constructor(db: Database.Database) {
    this.#releasesOf = db.prepare(`SELECT ${RELEASE_COLUMNS} FROM releases WHERE id = ?`)
    this.#yanksOf = db.prepare('SELECT version, publisher, reason, time, record FROM yanks WHERE id = ?')
    this.#rotationsOf = db.prepare(
      'SELECT from_key AS "from", to_key AS "to", seq, time, record FROM rotations WHERE id = ?',
    )
    this.#allReleases = db.prepare(`SELECT ${RELEASE_COLUMNS} FROM releases ORDER BY id`)
    this.#allYanks = db.prepare('SELECT id, version, publisher, reason, time, record FROM yanks')
    this.#allRotations = db.prepare(
      'SELECT id, from_key AS "from", to_key AS "to", seq, time, record FROM rotations',
    )
    this.#packageIds = db.prepare<[], string>('SELECT DISTINCT id FROM releases ORDER BY id').pluck()
    this.#head = db.prepare('SELECT head_seq AS seq, head_cid AS cid FROM publishers WHERE key = ?')
    this.#recordBytes = db.prepare<[string], Uint8Array>('SELECT bytes FROM records WHERE cid = ?').pluck()
    this.#recordMeta = db.prepare('SELECT cid, publisher, seq, type, id, time FROM records WHERE cid = ?')
    // Answered from the primary-key index alone; ingest asks it of every record it receives.
    this.#hasRecord = db.prepare<[string], number>('SELECT 1 FROM records WHERE cid = ?').pluck()
    this.#recordsOf = db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE publisher = ? AND seq >= ? ORDER BY seq, cid`,
    )
    this.#recordCids = db.prepare<[], string>('SELECT cid FROM records ORDER BY rowid').pluck()
    this.#recordsPage = db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE rowid > ? AND time >= ? ORDER BY rowid LIMIT ?`,
    )
    this.#recordsPageOfId = db.prepare(
      `SELECT ${RECORD_COLUMNS} FROM records WHERE id = ? AND rowid > ? AND time >= ? ORDER BY rowid LIMIT ?`,
    )
    this.#counts = db.prepare(
      `SELECT (SELECT count(*) FROM (SELECT DISTINCT id FROM releases)) AS packages,
              (SELECT count(*) FROM records) AS records,
              (SELECT count(*) FROM publishers) AS publishers`,
    )
    this.#forked = db.prepare<[], string>('SELECT key FROM publishers WHERE forked = 1 ORDER BY key').pluck()
    this.#unannounced = db.prepare(
      'SELECT cid, bytes FROM records WHERE local = 1 AND announced = 0 ORDER BY rowid LIMIT ?',
    )
    this.#meta = db.prepare<[string], unknown>('SELECT value FROM meta WHERE key = ?').pluck()
  }

  /** Every stored release of `id`, any publisher, any state; ascending semver, then publish time. */
  versions(id: string): VersionEntry[] {
    const rows = this.#releasesOf.all(id)
    if (rows.length === 0) return []
    const annotated = annotate(rows, this.#yanksOf.all(id), this.#rotationsOf.all(id))
    return annotated.map(toEntry).sort(compareEntries)
  }

  /**
   * For the search index: per (id, owner), the highest installable version (not yanked, not
   * conflicted; releases before pre-releases), with its manifest. Pairs with nothing
   * installable are left out. One ordered scan of `releases`; manifests of the versions not
   * picked are never parsed.
   */
  latestPerPackage(): VersionEntry[] {
    const out: VersionEntry[] = []
    this.#eachPackage((annotated) => {
      for (const a of latestPerOwner(annotated)) out.push(toEntry(a))
    })
    return out
  }

  /** Every stored release of every id, by id then as `versions(id)` orders them. */
  allVersions(): VersionEntry[] {
    const out: VersionEntry[] = []
    this.#eachPackage((annotated) => {
      out.push(...annotated.map(toEntry).sort(compareEntries))
    })
    return out
  }

  /** Calls `fn` with the annotated releases of each id in turn, in id order. */
  #eachPackage(fn: (annotated: AnnotatedRelease[]) => void): void {
    const yanks = new Map<string, YankRow[]>()
    for (const y of this.#allYanks.all()) pushTo(yanks, y.id, y)
    const rotations = new Map<string, RotationEdge[]>()
    for (const r of this.#allRotations.all()) pushTo(rotations, r.id, r)
    let group: ReleaseRow[] = []
    const flush = (): void => {
      const id = group[0]!.id
      fn(annotate(group, yanks.get(id) ?? [], rotations.get(id) ?? []))
      group = []
    }
    // all(), not iterate(): `fn` may query, and an open iterator keeps the connection busy.
    for (const row of this.#allReleases.all()) {
      if (group.length > 0 && group[0]!.id !== row.id) flush()
      group.push(row)
    }
    if (group.length > 0) flush()
  }

  /** Every package id that has at least one release, sorted. */
  packageIds(): string[] {
    return this.#packageIds.all()
  }

  /** The head of `key`'s log, or undefined for a publisher never seen. */
  publisherHead(key: string): PublisherHead | undefined {
    return this.#head.get(key)
  }

  /** The envelope bytes of record `cid`, or undefined. */
  getRecord(cid: string): Uint8Array | undefined {
    return this.#recordBytes.get(cid)
  }

  /** Whether record `cid` is stored. */
  hasRecord(cid: string): boolean {
    return this.#hasRecord.get(cid) !== undefined
  }

  /** Where record `cid` sits (publisher, seq, kind, id, time), without its bytes; or undefined. */
  recordMeta(cid: string): RecordMeta | undefined {
    return this.#recordMeta.get(cid)
  }

  /** `publisher`'s records from `fromSeq` on, in log order (a fork yields both records). */
  recordsOf(publisher: string, fromSeq = 1): StoredRecord[] {
    return this.#recordsOf.all(publisher, fromSeq).map(stripRowid)
  }

  /** The id of every stored record, in arrival order. */
  allRecordCids(): string[] {
    return this.#recordCids.all()
  }

  /**
   * Yields stored records in arrival order (grouped by id when `ids` is given), a page at a time, so that an export of the whole
   * store holds one page in memory and the connection stays free between pages.
   */
  *iterateRecords(filter: RecordFilter = {}): Generator<StoredRecord> {
    const since = filter.since ?? Number.MIN_SAFE_INTEGER
    const pages: ((after: number) => (StoredRecord & { rowid: number })[])[] =
      filter.ids === undefined
        ? [(after) => this.#recordsPage.all(after, since, PAGE)]
        : [...new Set(filter.ids)].map((id) => (after) => this.#recordsPageOfId.all(id, after, since, PAGE))
    for (const page of pages) {
      let after = 0
      for (;;) {
        const rows = page(after)
        for (const row of rows) yield stripRowid(row)
        if (rows.length < PAGE) break
        after = rows[rows.length - 1]!.rowid
      }
    }
  }

  /** Totals: package ids with a release, records, publishers. */
  counts(): StoreCounts {
    return this.#counts.get()!
  }

  /** Publishers with two records at one seq, for `info` and `status` warnings. */
  forkedPublishers(): string[] {
    return this.#forked.all()
  }

  /** Records published in this home and not yet announced, oldest first. */
  unannounced(limit = 100): { cid: string; bytes: Uint8Array }[] {
    return this.#unannounced.all(limit)
  }

  /** The catalogue generation: bumped by every write that changes the catalogue. */
  generation(): number {
    return Number(this.#meta.get('generation'))
  }

  /** A value of the `meta` table, or undefined. */
  getMeta(key: string): unknown {
    return this.#meta.get(key)
  }
}

function stripRowid(row: StoredRecord & { rowid?: number }): StoredRecord {
  const { rowid: _rowid, ...record } = row
  return record
}
