/**
 * Choosing a package's latest version and summarising who claims an id: pure functions over
 * annotated releases.
 */
import semver from 'semver'
import type { VersionEntry } from '../domain/catalogue.js'
import type { AnnotatedRelease } from './ownership.js'

/** One key's claim on an id, as `info` and `install` name claimants (SPEC 4). */
export interface Claimant {
  /** The key that owns these releases today (after rotations). */
  owner: string
  /** The keys that signed them: the owner and any key it took the id over from. */
  publishers: string[]
  /** How many distinct versions the claimant released, in any state. */
  versions: number
  /** The highest installable (not yanked, not conflicted) version, if any. */
  latest?: string
  /** Earliest publish time among its releases, ms since the epoch. */
  since: number
  /** Whether this home trusts the owner key. */
  trusted: boolean
}

/** Installable in principle: neither yanked nor conflicted, with a version semver can order. */
function installable(yanked: boolean, conflicted: boolean, version: string): boolean {
  return !yanked && !conflicted && semver.valid(version) !== null
}

/**
 * The highest version by semver precedence, preferring releases over pre-releases as npm's
 * `latest` does: a pre-release is picked only when nothing else is left. Ties (one version
 * from two keys of one owner cannot be installable, so only across owners) keep the first.
 */
export function pickLatest<T>(items: readonly T[], version: (item: T) => string): T | undefined {
  let best: T | undefined
  let bestVersion = ''
  let bestPre = true
  for (const item of items) {
    const v = version(item)
    const pre = semver.prerelease(v) !== null
    if (best === undefined || (bestPre && !pre) || (bestPre === pre && semver.gt(v, bestVersion))) {
      best = item
      bestVersion = v
      bestPre = pre
    }
  }
  return best
}

/** The latest installable release per owner among one id's annotated releases, by owner key. */
export function latestPerOwner(entries: readonly AnnotatedRelease[]): AnnotatedRelease[] {
  const only = entries[0]
  if (entries.length === 1 && only !== undefined) {
    // The common case at scale; verified records carry canonical semver, so nothing to compare.
    return only.yanked || only.conflicted ? [] : [only]
  }
  const byOwner = new Map<string, AnnotatedRelease[]>()
  for (const entry of entries) {
    if (!installable(entry.yanked, entry.conflicted, entry.row.version)) continue
    const list = byOwner.get(entry.owner)
    if (list === undefined) byOwner.set(entry.owner, [entry])
    else list.push(entry)
  }
  const out: AnnotatedRelease[] = []
  for (const owner of [...byOwner.keys()].sort())
    out.push(pickLatest(byOwner.get(owner)!, (e) => e.row.version)!)
  return out
}

/** Groups one id's releases by owner, earliest claimant first. */
export function summariseClaimants(
  entries: readonly VersionEntry[],
  isTrusted: (key: string) => boolean = () => false,
): Claimant[] {
  const groups = new Map<string, VersionEntry[]>()
  for (const entry of entries) {
    const list = groups.get(entry.owner)
    if (list === undefined) groups.set(entry.owner, [entry])
    else list.push(entry)
  }
  const claimants: Claimant[] = []
  for (const [owner, list] of groups) {
    const latest = pickLatest(
      list.filter((e) => installable(e.yanked, e.conflicted, e.version)),
      (e) => e.version,
    )
    const claimant: Claimant = {
      owner,
      publishers: [...new Set(list.map((e) => e.publisher))].sort(),
      versions: new Set(list.map((e) => e.version)).size,
      since: Math.min(...list.map((e) => e.published)),
      trusted: isTrusted(owner),
    }
    if (latest !== undefined) claimant.latest = latest.version
    claimants.push(claimant)
  }
  return claimants.sort((a, b) => a.since - b.since || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0))
}

/** Orders one id's entries by ascending semver, then by publish time, then by record id. */
export function compareEntries(a: VersionEntry, b: VersionEntry): number {
  const va = semver.valid(a.version)
  const vb = semver.valid(b.version)
  if (va !== null && vb !== null) {
    const c = semver.compare(va, vb)
    if (c !== 0) return c
  } else if (va !== vb) {
    return va === null ? -1 : 1
  }
  return a.published - b.published || (a.record < b.record ? -1 : a.record > b.record ? 1 : 0)
}
