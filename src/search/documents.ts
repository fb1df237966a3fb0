/**
 * What the search index holds: one document per (package id, owner key), describing the
 * owner's latest usable release. The store feeds either ready `SearchSource` rows or raw
 * `VersionEntry` rows, from which the latest usable version is picked here.
 */
import semver from 'semver'
import type { VersionEntry } from '../domain/catalogue.js'
import type { Manifest } from '../domain/types.js'

/** One package of one owner, at the version search should show. */
export interface SearchSource {
  id: string
  /** The key that owns the id (`did:key:...`); shown as the result's publisher. */
  owner: string
  /** The latest non-yanked, non-conflicted version. */
  version: string
  /** Publish time of that version, ms since the epoch. */
  published: number
  manifest: Manifest
}

/** The flat document MiniSearch indexes and stores. */
export interface SearchDocument {
  /** `${id}\u0000${owner}`: unique per (id, owner), so two owners of one id are two results. */
  key: string
  id: string
  owner: string
  version: string
  title: string
  description: string
  keywords: string[]
  categories: string[]
  authors: string[]
  published: number
}

/** The document key of (id, owner); NUL cannot occur in an id or a did:key. */
export function documentKey(id: string, owner: string): string {
  return `${id}\u0000${owner}`
}

/** Authors are indexed by name only: e-mail and URL parts would match unrelated queries. */
function authorName(author: string): string {
  return author.replace(/<[^>]*>|\([^)]*\)/g, ' ').trim()
}

/** The search document of one source row. */
export function toSearchDocument(source: SearchSource): SearchDocument {
  const m = source.manifest
  return {
    key: documentKey(source.id, source.owner),
    id: source.id,
    owner: source.owner,
    version: source.version,
    title: m.name || source.id,
    description: m.description ?? '',
    keywords: m.keywords ?? [],
    categories: m.categories ?? [],
    authors: (m.authors ?? []).map(authorName).filter((a) => a !== ''),
    published: source.published,
  }
}

/**
 * Whether `a` should be shown rather than `b`: stable releases beat pre-releases (as npm's
 * `latest` does), then the higher version wins.
 */
function isBetter(a: string, b: string): boolean {
  const aPre = semver.prerelease(a) !== null
  const bPre = semver.prerelease(b) !== null
  if (aPre !== bPre) return bPre
  return semver.gt(a, b)
}

/**
 * Picks, for every (id, owner), the version search should show: the highest stable
 * version that is neither yanked nor conflicted, else the highest such pre-release.
 * A package whose every version is yanked or conflicted yields no source: it is not
 * offered by search (install and info still see it).
 */
export function latestSources(entries: Iterable<VersionEntry>): SearchSource[] {
  const best = new Map<string, VersionEntry>()
  for (const e of entries) {
    if (e.yanked || e.conflicted || semver.valid(e.version) === null) continue
    const key = documentKey(e.id, e.owner)
    const current = best.get(key)
    if (current === undefined || isBetter(e.version, current.version)) best.set(key, e)
  }
  return [...best.values()].map((e) => ({
    id: e.id,
    owner: e.owner,
    version: e.version,
    published: e.published,
    manifest: e.manifest,
  }))
}
