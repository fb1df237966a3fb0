/**
 * The full-text search index over the catalogue (SPEC 6 `search`): MiniSearch in memory,
 * one document per (package id, owner key), rebuilt from SQLite or loaded from its
 * persisted form (persist.ts).
 */
import MiniSearch, { type AsPlainObject, type Options, type Query, type SearchResult } from 'minisearch'
import { UsageError } from '../domain/errors.js'
import { type SearchDocument, type SearchSource, toSearchDocument } from './documents.js'
import {
  fuzzyFor,
  ID_FIELD,
  idLikeTokens,
  MAX_FUZZY,
  prefixFor,
  processTerm,
  queryTerms,
  tokenize,
} from './terms.js'

export type { SearchDocument, SearchSource } from './documents.js'
export { documentKey, latestSources, toSearchDocument } from './documents.js'

/** Results returned when the caller gives no limit. */
export const DEFAULT_LIMIT = 20

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
const STORED = ['id', 'owner', 'version', 'title', 'description', 'keywords', 'categories']

/** The stored fields MiniSearch hands back with each result. */
interface Stored {
  id: string
  owner: string
  version: string
  title: string
  description: string
  keywords: string[]
  categories: string[]
}

/** MiniSearch options; a persisted index must be loaded with exactly these. */
const OPTIONS: Options<SearchDocument> = {
  idField: 'key',
  fields: FIELDS,
  storeFields: STORED,
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

/** Keywords and categories are matched case-insensitively, so they are stored lower-cased. */
function indexable(doc: SearchDocument): SearchDocument {
  return {
    ...doc,
    keywords: doc.keywords.map((k) => k.toLowerCase()),
    categories: doc.categories.map((c) => c.toLowerCase()),
  }
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT
  if (!Number.isInteger(limit) || limit < 0) {
    throw new UsageError(`--limit must be a whole number of 0 or more, not ${limit}`, { limit })
  }
  return limit
}

/** The MiniSearch filter for `opts`, or undefined when nothing is filtered. */
function filterFor(opts: SearchOptions): ((r: SearchResult) => boolean) | undefined {
  const category = opts.category?.toLowerCase()
  const keyword = opts.keyword?.toLowerCase()
  const publisher = opts.publisher
  if (category === undefined && keyword === undefined && publisher === undefined) return undefined
  return (r) => {
    const s = r as unknown as Stored
    return (
      (publisher === undefined || s.owner === publisher) &&
      (category === undefined || s.categories.includes(category)) &&
      (keyword === undefined || s.keywords.includes(keyword))
    )
  }
}

/**
 * The MiniSearch query for a text: all words must match (each by prefix or with a typo),
 * or an id-like token matches the start of a package id.
 */
function textQuery(terms: string[], idTokens: string[], combineWith: 'AND' | 'OR'): Query {
  const queries: Query[] = []
  if (terms.length > 0) queries.push({ queries: [terms.join(' ')], combineWith })
  for (const token of idTokens) {
    queries.push({
      queries: [token],
      fields: [ID_FIELD],
      tokenize: (t: string) => [t],
      processTerm: (t: string) => t,
      prefix: true,
      fuzzy: false,
    })
  }
  return { queries, combineWith: 'OR' }
}

function toHit(r: SearchResult): SearchHit {
  const s = r as unknown as Stored
  return {
    id: s.id,
    title: s.title,
    version: s.version,
    description: s.description,
    publisher: s.owner,
    score: Math.round(r.score * 1000) / 1000,
  }
}

/** Listing order when there is no query to rank by: by id, then by publisher. */
function byIdThenOwner(a: SearchResult, b: SearchResult): number {
  const sa = a as unknown as Stored
  const sb = b as unknown as Stored
  if (sa.id !== sb.id) return sa.id < sb.id ? -1 : 1
  return sa.owner < sb.owner ? -1 : sa.owner > sb.owner ? 1 : 0
}

/** Ranked, typo-tolerant, prefix-matching search over one document per (id, owner). */
export class SearchIndex {
  readonly #mini: MiniSearch<SearchDocument>

  private constructor(mini: MiniSearch<SearchDocument>) {
    this.#mini = mini
  }

  /** An empty index. */
  static empty(): SearchIndex {
    return new SearchIndex(new MiniSearch(OPTIONS))
  }

  /** An index of `sources`, typically the store's latest release per (id, owner). */
  static build(sources: Iterable<SearchSource>): SearchIndex {
    const index = SearchIndex.empty()
    for (const source of sources) index.upsert(toSearchDocument(source))
    return index
  }

  /**
   * Restores an index from `toJSON()` output. Throws if the data is not an index of this
   * shape; persist.ts turns that into "rebuild".
   */
  static fromJSON(data: AsPlainObject): SearchIndex {
    const fields = Object.keys(data.fieldIds ?? {})
    if (fields.length !== FIELDS.length || !FIELDS.every((f) => fields.includes(f))) {
      throw new Error('the saved index has other fields')
    }
    const mini = MiniSearch.loadJS(data, OPTIONS)
    if (mini.documentCount !== Object.keys(data.documentIds).length) {
      throw new Error('the saved index is inconsistent')
    }
    return new SearchIndex(mini)
  }

  /** Number of documents (packages per owner) in the index. */
  get size(): number {
    return this.#mini.documentCount
  }

  /** Whether the document of `key` is indexed. */
  has(key: string): boolean {
    return this.#mini.has(key)
  }

  /** Adds the document, replacing any earlier document of the same (id, owner). */
  upsert(doc: SearchDocument): void {
    const d = indexable(doc)
    if (this.#mini.has(d.key)) this.#mini.replace(d)
    else this.#mini.add(d)
  }

  /** Removes the document of `key`; returns whether there was one. */
  remove(key: string): boolean {
    if (!this.#mini.has(key)) return false
    this.#mini.discard(key)
    return true
  }

  /**
   * Searches. An empty query lists every package that passes the filters, by id. A
   * multi-word query first asks for packages matching every word; only when none does are
   * packages matching any word returned.
   */
  search(query: string, opts: SearchOptions = {}): SearchResponse {
    const limit = checkLimit(opts.limit)
    const filter = filterFor(opts)
    let results: SearchResult[]
    if (query.trim() === '') {
      results = this.#mini.search(MiniSearch.wildcard, filter ? { filter } : {}).sort(byIdThenOwner)
    } else {
      const terms = queryTerms(query)
      const idTokens = idLikeTokens(query)
      if (terms.length === 0 && idTokens.length === 0) return { total: 0, results: [] }
      results = this.#mini.search(textQuery(terms, idTokens, 'AND'), filter ? { filter } : {})
      if (results.length === 0 && terms.length > 1) {
        results = this.#mini.search(textQuery(terms, idTokens, 'OR'), filter ? { filter } : {})
      }
    }
    return { total: results.length, results: results.slice(0, limit).map(toHit) }
  }

  /** The serialisable form of the index, for persist.ts. */
  toJSON(): AsPlainObject {
    return this.#mini.toJSON()
  }
}
