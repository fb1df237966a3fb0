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

/** Splits text into words; for the id field the whole id is a term too. */
export function tokenize(text: string, fieldName?: string): string[] {
  const parts = text.split(SEPARATORS).filter((t) => t !== '')
  if (fieldName === ID_FIELD && parts.length > 1) parts.push(text)
  return parts
}

/** Lower-cases a term and drops stop words. */
export function processTerm(term: string): string | null {
  const t = term.toLowerCase()
  return STOP_WORDS.has(t) ? null : t
}

/** The query's words, as they are matched against the index. */
export function queryTerms(query: string): string[] {
  const out: string[] = []
  for (const token of tokenize(query)) {
    const t = processTerm(token)
    if (t !== null && !out.includes(t)) out.push(t)
  }
  return out
}

/**
 * Whitespace-separated query tokens that look like (part of) a package id, such as
 * `io.ggen.rust.cli-sub`: they are matched against whole ids by prefix, so that typing
 * an id ranks that package first.
 */
export function idLikeTokens(query: string): string[] {
  const out: string[] = []
  for (const token of query.toLowerCase().split(/\s+/)) {
    if (/^[a-z0-9][a-z0-9._-]*[._-][a-z0-9._-]*$/.test(token) && !out.includes(token)) out.push(token)
  }
  return out
}

/** Shortest term that is matched as a prefix; shorter ones would expand to too many terms. */
export const MIN_PREFIX_LENGTH = 3

/** Shortest term matched with a typo; a typo in a shorter word is another word. */
export const MIN_FUZZY_LENGTH = 4

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
  if (term.length < MIN_FUZZY_LENGTH || /^\d+$/.test(term)) return false
  return 0.2
}

/** Upper bound on the edit distance, whatever the term length. */
export const MAX_FUZZY = 2
