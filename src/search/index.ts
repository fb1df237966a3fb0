/**
 * The full-text search index over the catalogue (SPEC 6 `search`): MiniSearch in memory,
 * one document per (package id, owner key), rebuilt from SQLite or loaded from its
 * persisted form (persist.ts).
 */
import MiniSearch, { type AsPlainObject, type Options, type Query } from 'minisearch'
import { UsageError } from '../domain/errors.js'
import { type SearchDocument, type SearchSource, toSearchDocument } from './documents.js'
import {
  fuzzyFor,
  ID_FIELD,
  MAX_FUZZY,
  parseQuery,
  prefixFor,
  processTerm,
  type QueryToken,
  tokenize,
} from './terms.js'

export type { SearchDocument, SearchSource } from './documents.js'
export { documentKey, latestSources, toSearchDocument } from './documents.js'

/** Results returned when the caller gives no limit. */
export const DEFAULT_LIMIT = 20

/**
 * Typos are tolerated only when the words as typed find fewer packages than this (a page
 * of results): "rust" then does not also match "rest", and the costly fuzzy pass over the
 * term tree runs only when it can help.
 */
export const TYPO_THRESHOLD = 20

/** Longest query accepted, in characters (a package id is at most 128). */
export const MAX_QUERY_LENGTH = 1024

/** Filters and paging of one search; every filter given must match. */
export interface SearchOptions {
  /** Exact category (case-insensitive). */
  category?: string
  /** Exact keyword (case-insensitive). */
  keyword?: string
  /** Exact owner key, `did:key:...`. */
  publisher?: string
  /** At most this many results. @default 20 */
  limit?: number
}

/** One result, as `search --json` prints it. */
export interface SearchHit {
  id: string
  title: string
  version: string
  description: string
  /** The owner key of the package (`did:key:...`). */
  publisher: string
  score: number
}

/** The answer to a search: how many packages matched, and the best `limit` of them. */
export interface SearchResponse {
  total: number
  results: SearchHit[]
}

/** Field weights: a match in the id or title says far more than one in the description. */
export const BOOSTS = { id: 3, title: 3, keywords: 2, categories: 1.5, description: 1, authors: 1 }

const FIELDS = Object.keys(BOOSTS)

/** MiniSearch options; a persisted index must be loaded with exactly these. */
const OPTIONS: Options<SearchDocument> = {
  idField: 'key',
  fields: FIELDS,
  // Documents are kept in our own map rather than as MiniSearch stored fields: MiniSearch
  // copies stored fields into every match before filtering and sorting, which dominated
  // the cost of queries matching thousands of packages.
  storeFields: [],
  stringifyField: (value: unknown) => (Array.isArray(value) ? value.join(' ') : String(value)),
  tokenize,
  processTerm,
  searchOptions: {
    boost: BOOSTS,
    tokenize: (text: string) => tokenize(text),
    processTerm,
    prefix: prefixFor,
    fuzzy: fuzzyFor,
    maxFuzzy: MAX_FUZZY,
  },
}

/** The serialisable form of an index. */
export interface SearchIndexJSON {
  search: AsPlainObject
  docs: SearchDocument[]
}

/** Keywords and categories are matched case-insensitively, so they are kept lower-cased. */
function normalised(doc: SearchDocument): SearchDocument {
  return {
    ...doc,
    keywords: doc.keywords.map((k) => k.toLowerCase()),
    categories: doc.categories.map((c) => c.toLowerCase()),
  }
}

/** Whether two documents of one key index and show the same: every field, arrays by element. */
function sameDocument(a: SearchDocument, b: SearchDocument): boolean {
  for (const field of Object.keys(a) as (keyof SearchDocument)[]) {
    const x = a[field]
    const y = b[field]
    if (x === y) continue
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false
    if (x.some((v, i) => v !== y[i])) return false
  }
  return true
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT
  if (!Number.isInteger(limit) || limit < 0) {
    throw new UsageError(`--limit must be a whole number of 0 or more, not ${limit}`, { limit })
  }
  return limit
}

/** A predicate on documents for `opts`, or undefined when nothing is filtered. */
function filterFor(opts: SearchOptions): ((d: SearchDocument) => boolean) | undefined {
  const category = opts.category?.toLowerCase()
  const keyword = opts.keyword?.toLowerCase()
  const publisher = opts.publisher
  if (category === undefined && keyword === undefined && publisher === undefined) return undefined
  return (d) =>
    (publisher === undefined || d.owner === publisher) &&
    (category === undefined || d.categories.includes(category)) &&
    (keyword === undefined || d.keywords.includes(keyword))
}

/** Matches the start of whole package ids; never fuzzy. */
function idPrefixQuery(prefix: string): Query {
  return {
    queries: [prefix],
    fields: [ID_FIELD],
    tokenize: (t: string) => [t],
    processTerm: (t: string) => t,
    prefix: true,
    fuzzy: false,
  }
}

/**
 * The MiniSearch query for parsed tokens, combined with `combineWith`. A token matches
 * when all its words do (each exactly, by prefix or with a typo) or, for an id-like
 * token, when it starts a package id.
 */
function textQuery(tokens: QueryToken[], combineWith: 'AND' | 'OR'): Query {
  const queries = tokens.map((t): Query => {
    const words: Query = { queries: [t.words.join(' ')], combineWith: 'AND' }
    if (t.idPrefix === undefined) return words
    const prefix = idPrefixQuery(t.idPrefix)
    return t.words.length === 0 ? prefix : { queries: [words, prefix], combineWith: 'OR' }
  })
  return { queries, combineWith }
}

function toHit(d: SearchDocument, score: number): SearchHit {
  return {
    id: d.id,
    title: d.title,
    version: d.version,
    description: d.description,
    publisher: d.owner,
    score: Math.round(score * 1000) / 1000,
  }
}

/** Listing order when there is no query to rank by: by id, then by publisher. */
function byIdThenOwner(a: SearchDocument, b: SearchDocument): number {
  if (a.id !== b.id) return a.id < b.id ? -1 : 1
  return a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0
}

/** Ranked, typo-tolerant, prefix-matching search over one document per (id, owner). */
export class SearchIndex {
  readonly #mini: MiniSearch<SearchDocument>
  readonly #docs: Map<string, SearchDocument>
  /** Package id -> keys of its documents (one per owner). */
  readonly #byId = new Map<string, Set<string>>()

  private constructor(mini: MiniSearch<SearchDocument>, docs: Map<string, SearchDocument>) {
    this.#mini = mini
    this.#docs = docs
    for (const d of docs.values()) this.#link(d)
  }

  #link(d: SearchDocument): void {
    const keys = this.#byId.get(d.id)
    if (keys === undefined) this.#byId.set(d.id, new Set([d.key]))
    else keys.add(d.key)
  }

  /** An empty index. */
  static empty(): SearchIndex {
    return new SearchIndex(new MiniSearch(OPTIONS), new Map())
  }

  /** An index of `sources`, typically the store's latest release per (id, owner). */
  static build(sources: Iterable<SearchSource>): SearchIndex {
    const index = SearchIndex.empty()
    for (const source of sources) index.upsertSource(source)
    return index
  }

  /**
   * Restores an index from `toJSON()` output. Throws if the data is not an index of this
   * shape; persist.ts turns that into "rebuild".
   */
  static fromJSON(data: SearchIndexJSON): SearchIndex {
    const fields = Object.keys(data.search.fieldIds ?? {})
    if (fields.length !== FIELDS.length || !FIELDS.every((f) => fields.includes(f))) {
      throw new Error('the saved index has other fields')
    }
    const mini = MiniSearch.loadJS(data.search, OPTIONS)
    const docs = new Map(data.docs.map((d) => [d.key, d]))
    if (mini.documentCount !== docs.size || data.docs.some((d) => !mini.has(d.key))) {
      throw new Error('the saved index is inconsistent')
    }
    return new SearchIndex(mini, docs)
  }

  /** Number of documents (packages per owner) in the index. */
  get size(): number {
    return this.#docs.size
  }

  /** Whether the document of `key` is indexed. */
  has(key: string): boolean {
    return this.#docs.has(key)
  }

  /** The keys of the documents of package `id`, one per owner. */
  keysOf(id: string): string[] {
    return [...(this.#byId.get(id) ?? [])]
  }

  /** Adds the document, replacing any earlier document of the same (id, owner). */
  upsert(doc: SearchDocument): void {
    const d = normalised(doc)
    const old = this.#docs.get(d.key)
    // Most records (a yank or release of an older version, a record seen in another order)
    // leave a package's document as it was; re-indexing it would cost a MiniSearch discard and add.
    if (old !== undefined && sameDocument(old, d)) return
    if (old !== undefined) this.#mini.replace(d)
    else this.#mini.add(d)
    this.#docs.set(d.key, d)
    this.#link(d)
  }

  /** `upsert` of the document of one source row. */
  upsertSource(source: SearchSource): void {
    this.upsert(toSearchDocument(source))
  }

  /** Removes the document of `key`; returns whether there was one. */
  remove(key: string): boolean {
    const doc = this.#docs.get(key)
    if (doc === undefined) return false
    this.#docs.delete(key)
    this.#mini.discard(key)
    const keys = this.#byId.get(doc.id)
    keys?.delete(key)
    if (keys?.size === 0) this.#byId.delete(doc.id)
    return true
  }

  /**
   * Searches. An empty query lists every package that passes the filters, by id. Words
   * are first matched as typed (exactly or as a prefix); only when that finds fewer than
   * `TYPO_THRESHOLD` packages are typos tolerated too. Packages must match every word;
   * only when none does are packages matching any word returned.
   */
  search(query: string, opts: SearchOptions = {}): SearchResponse {
    const limit = checkLimit(opts.limit)
    if (query.length > MAX_QUERY_LENGTH) {
      throw new UsageError(
        `the search query is too long (${query.length} characters; at most ${MAX_QUERY_LENGTH})`,
        {
          length: query.length,
        },
      )
    }
    const accept = filterFor(opts)
    if (query.trim() === '') {
      const listed = [...this.#docs.values()].filter(accept ?? (() => true)).sort(byIdThenOwner)
      return { total: listed.length, results: listed.slice(0, limit).map((d) => toHit(d, 1)) }
    }
    const tokens = parseQuery(query)
    if (tokens.length === 0) return { total: 0, results: [] }
    const docs = this.#docs
    // Filtering through boostDocument drops a package while postings are scored, before
    // MiniSearch allocates a result for it: four times faster than its `filter` option.
    const boostDocument = accept
      ? (key: string) => (accept(docs.get(key) as SearchDocument) ? 1 : 0)
      : undefined
    let results = this.#mini.search(textQuery(tokens, 'AND'), { boostDocument, fuzzy: false })
    if (results.length < TYPO_THRESHOLD) {
      results = this.#mini.search(textQuery(tokens, 'AND'), { boostDocument })
    }
    if (results.length === 0 && tokens.length > 1) {
      results = this.#mini.search(textQuery(tokens, 'OR'), { boostDocument })
    }
    return {
      total: results.length,
      results: results.slice(0, limit).map((r) => toHit(docs.get(r.id) as SearchDocument, r.score)),
    }
  }

  /** The serialisable form of the index, for persist.ts. */
  toJSON(): SearchIndexJSON {
    return { search: this.#mini.toJSON(), docs: [...this.#docs.values()] }
  }
}
