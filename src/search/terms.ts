/**
 * How text becomes index terms, and how query terms are matched loosely. Kept apart from
 * the index so that the rules (and the persisted format version that depends on them) are
 * in one place.
 */

/** Whitespace and punctuation, including the `.`, `-` and `_` that separate id parts. */
const SEPARATORS = /[\n\r\p{Z}\p{P}\p{S}]+/u

/**
 * Words so common in package descriptions that they match nearly every package: matching
 * them costs time and ranks nothing. Deliberately short; no language names ("go", "c").
 */
const STOP_WORDS = new Set([
  'a',
  'an',
  'and',
  'are',
  'as',
  'at',
  'be',
  'by',
  'for',
  'from',
  'in',
  'into',
  'is',
  'it',
  'its',
  'of',
  'on',
  'or',
  'that',
  'the',
  'this',
  'to',
  'with',
  'your',
])

/** The field whose whole value is also indexed as one term (exact and prefix id lookups). */
export const ID_FIELD = 'id'

/**
 * Top-level domains that open reverse-DNS ids (`io.ggen.rust.cli`). As a word of its own
 * such a segment is in nearly every id, so it would match everything and rank nothing.
 */
const ID_NAMESPACES = new Set([
  'io',
  'com',
  'org',
  'net',
  'dev',
  'app',
  'co',
  'me',
  'sh',
  'xyz',
  'eu',
  'de',
  'uk',
])

function words(text: string): string[] {
  return text.split(SEPARATORS).filter((t) => t !== '')
}

/**
 * The words of an id without a leading reverse-DNS domain. A query token may be the start
 * of an id (`io.ggen`), so there one more segment is enough.
 */
function idWords(id: string, minSegments: number): string[] {
  const parts = words(id)
  const segments = id.split('.')
  if (segments.length >= minSegments && ID_NAMESPACES.has((segments[0] as string).toLowerCase()))
    parts.shift()
  return parts
}

/** Splits text into words; for the id field the whole id is a term too (id lookups). */
export function tokenize(text: string, fieldName?: string): string[] {
  if (fieldName !== ID_FIELD || text === '') return words(text)
  const parts = idWords(text, 3)
  if (parts.length > 1 || parts[0] !== text) parts.push(text)
  return parts
}

/** Lower-cases a term and drops stop words. */
export function processTerm(term: string): string | null {
  const t = term.toLowerCase()
  return STOP_WORDS.has(t) ? null : t
}

/** One whitespace-separated token of a query. */
export interface QueryToken {
  /** Its words, as matched against the index; empty for a stop word. */
  words: string[]
  /**
   * Set when the token looks like (the start of) a package id, such as
   * `io.ggen.rust.cli-sub`: it is then also matched against whole ids by prefix, so that
   * typing an id ranks that package first.
   */
  idPrefix?: string
}

const ID_LIKE = /^[a-z0-9][a-z0-9._-]*[._-][a-z0-9._-]*$/

/** Splits a query into tokens; tokens that match nothing (stop words) are left out. */
export function parseQuery(query: string): QueryToken[] {
  const out: QueryToken[] = []
  for (const raw of query.toLowerCase().split(/\s+/)) {
    const ws = idWords(raw, 2)
      .map(processTerm)
      .filter((t): t is string => t !== null)
    const token: QueryToken = { words: [...new Set(ws)] }
    if (ID_LIKE.test(raw)) token.idPrefix = raw
    if (token.words.length > 0 || token.idPrefix !== undefined) out.push(token)
  }
  return out
}

/** Shortest term that is matched as a prefix; shorter ones would expand to too many terms. */
export const MIN_PREFIX_LENGTH = 3

/** Shortest term matched with a typo; a typo in a shorter word is another word. */
export const MIN_FUZZY_LENGTH = 4

/** Longest term matched with a typo. */
export const MAX_FUZZY_LENGTH = 64

/** Prefix matching for every term long enough to be selective. */
export function prefixFor(term: string): boolean {
  return term.length >= MIN_PREFIX_LENGTH
}

/**
 * Edit distance allowed for a term, as a fraction of its length (MiniSearch rounds it and
 * caps it at `maxFuzzy`): 4–7 letters allow one edit, 8 or more allow two, so that
 * "subcomand" finds "subcommand" and "temlpate" finds "template".
 */
export function fuzzyFor(term: string): number | false {
  // Beyond word length the edit-distance matrix (length squared) only costs memory.
  if (term.length < MIN_FUZZY_LENGTH || term.length > MAX_FUZZY_LENGTH || /^\d+$/.test(term)) return false
  return 0.2
}

/** Upper bound on the edit distance, whatever the term length. */
export const MAX_FUZZY = 2
