/**
 * Version choice for one id of one owner: the highest version that satisfies every range
 * placed on it, skipping yanked and conflicted versions, keeping the lockfile's pin while it
 * still fits; and, when nothing fits, an error that says why and what exists.
 */
import semver from 'semver'
import type { VersionEntry } from '../domain/catalogue.js'
import { ResolveError } from '../domain/errors.js'
import type { Claimant } from './owners.js'

/** The `by` of a range the user asked for, as opposed to one from a package's manifest. */
export const REQUESTED_BY = 'your request'

/** How many versions an error lists before it elides the older ones. */
const LISTED_VERSIONS = 20

/** A range placed on an id, and what placed it: {@link REQUESTED_BY} or `id@version`. */
export interface Requirement {
  range: string
  by: string
}

/** One version of one claimant, merged over the entries (keys) that carry it. */
export interface Candidate {
  version: string
  /** The release that would be installed. */
  entry: VersionEntry
  entries: VersionEntry[]
  yanked: boolean
  /**
   * The owner signed two different contents for this version: flagged by the store for one
   * key, or seen here across a rotated key and its successor.
   */
  conflicted: boolean
}

/** The lockfile's pin for an id. */
export interface Pin {
  version: string
  cid: string
}

/** Everything the choice of one id depends on. */
export interface VersionQuery {
  id: string
  candidates: readonly Candidate[]
  requirements: readonly Requirement[]
  pin?: Pin
  /** Do not go above this version unless nothing at or below it fits (see resolve.ts). */
  ceiling?: string
  includePrerelease: boolean
}

/** The chosen version; `locked` when it is the lockfile's pin. */
export interface Choice {
  candidate: Candidate
  locked: boolean
}

/** The versions a claimant holds, highest first; entries with invalid versions are ignored. */
export function candidatesOf(claimant: Claimant): Candidate[] {
  const byVersion = new Map<string, VersionEntry[]>()
  for (const entry of claimant.entries) {
    const version = semver.valid(entry.version)
    if (version === null) continue
    byVersion.set(version, [...(byVersion.get(version) ?? []), entry])
  }
  return [...byVersion]
    .map(([version, entries]) => {
      const sorted = [...entries].sort((a, b) => preference(a, b, claimant.owner))
      const cids = new Set(entries.map((e) => e.cid))
      return {
        version,
        entry: sorted[0]!,
        entries: sorted,
        yanked: entries.some((e) => e.yanked),
        conflicted: cids.size > 1 || entries.some((e) => e.conflicted),
      }
    })
    .sort((a, b) => semver.rcompare(a.version, b.version))
}

/** Chooses the version of `query.id` to install, or throws a ResolveError explaining why none fits. */
export function chooseVersion(query: VersionQuery): Choice {
  const { candidates, requirements, pin, ceiling } = query
  const fits = candidates.filter((c) => requirements.every((r) => satisfies(c.version, r.range, query)))
  const pinned = pin === undefined ? undefined : fits.find((c) => c.version === pin.version)
  if (pinned !== undefined && pin !== undefined) {
    if (pinned.conflicted) throw conflictedError(query.id, pinned, true)
    if (!pinned.entries.some((e) => e.cid === pin.cid)) throw lockMismatchError(query.id, pin, pinned)
  }

  const usable = fits.filter((c) => isUsable(c, pin))
  const bounded = ceiling === undefined ? usable : usable.filter((c) => semver.lte(c.version, ceiling))
  const pool = bounded.length > 0 ? bounded : usable
  if (pinned !== undefined && pin !== undefined && pool.includes(pinned)) {
    // The locked content installs, even if another key of the same owner carries this version too.
    const entry = pinned.entries.find((e) => e.cid === pin.cid)!
    return { candidate: { ...pinned, entry }, locked: true }
  }
  const [best] = pool
  if (best !== undefined) return { candidate: best, locked: false }
  throw explainNoChoice(query, fits)
}

/** Like cargo: a yank keeps new resolutions away from a version but does not break a lockfile. */
function isUsable(candidate: Candidate, pin: Pin | undefined): boolean {
  return !candidate.conflicted && (!candidate.yanked || candidate.version === pin?.version)
}

/** Whether `version` satisfies `range` under the query's prerelease policy. */
export function satisfies(version: string, range: string, opts: { includePrerelease: boolean }): boolean {
  return semver.satisfies(version, range, { includePrerelease: opts.includePrerelease })
}

function explainNoChoice(query: VersionQuery, fits: readonly Candidate[]): ResolveError {
  const { id, candidates, requirements } = query
  const conflicted = fits.find((c) => c.conflicted)
  if (conflicted !== undefined) return conflictedError(id, conflicted, false)

  const usable = candidates.filter((c) => isUsable(c, query.pin))
  const fitsAlone = (r: Requirement) => usable.some((c) => satisfies(c.version, r.range, query))
  const unmet = requirements.find((r) => !fitsAlone(r))
  const available = listVersions(candidates, query.includePrerelease)
  if (unmet !== undefined || requirements.length < 2) {
    const shown = unmet ?? requirements[0]
    const what = shown === undefined ? '' : ` matches ${describe(shown)}`
    const hint =
      shown === undefined || shown.by === REQUESTED_BY
        ? `Ask for a range that one of them satisfies (see \`ggen-market info ${id}\`).`
        : `If the node is behind, let it catch up (\`ggen-market daemon\`); else ask for another version of ${shown.by.replace(/@[^@]*$/, '')}.`
    return new ResolveError(
      'ERR_NO_MATCH',
      `no installable version of ${id}${what}; available: ${available}.\n${hint}`,
      { id, requirements, versions: versionFacts(candidates) },
    )
  }

  const pair = findDisjointPair(requirements, usable, query)
  const clash = pair ?? requirements
  const named = clash.map(describe)
  const last = named.pop()
  return new ResolveError(
    'ERR_INCOMPATIBLE',
    `${id} is required as ${named.join(', ')} and ${last}, and no version satisfies ${pair === undefined ? 'all of them' : 'both'}; ` +
      `available: ${available}.\nUpgrade or downgrade one of the dependents so that their ranges for ${id} overlap.`,
    { id, requirements: clash, versions: versionFacts(candidates) },
  )
}

function findDisjointPair(
  requirements: readonly Requirement[],
  usable: readonly Candidate[],
  opts: { includePrerelease: boolean },
): Requirement[] | undefined {
  for (let i = 0; i < requirements.length; i++) {
    for (let j = i + 1; j < requirements.length; j++) {
      const a = requirements[i]!
      const b = requirements[j]!
      const common = usable.some(
        (c) => satisfies(c.version, a.range, opts) && satisfies(c.version, b.range, opts),
      )
      if (!common) return [a, b]
    }
  }
  return undefined
}

function conflictedError(id: string, candidate: Candidate, locked: boolean): ResolveError {
  const cids = [...new Set(candidate.entries.map((e) => e.cid))]
  const signer = candidate.entry.publisher
  const seen = cids.length > 1 ? `: ${cids.join(' and ')}` : ''
  return new ResolveError(
    'ERR_CONFLICTED',
    `${id}@${candidate.version}${locked ? ', pinned by ggen.lock,' : ''} is conflicted: its publisher ${signer} ` +
      `signed two different contents for that version${seen}. It is never installed, since nobody can tell which ` +
      `one was meant. Ask for another version (\`ggen-market install ${id}@VERSION\`) and report it to the publisher.`,
    { id, version: candidate.version, publisher: signer, cids, locked },
  )
}

function lockMismatchError(id: string, pin: Pin, candidate: Candidate): ResolveError {
  const known = [...new Set(candidate.entries.map((e) => e.cid))]
  return new ResolveError(
    'ERR_LOCK_MISMATCH',
    `ggen.lock pins ${id}@${pin.version} to content ${pin.cid}, but this node knows only ${known.join(', ')} ` +
      `for that version from the same publisher. The publisher may have signed two contents; let the node ` +
      `catch up and check \`ggen-market info ${id}\`, or ask for another version with \`ggen-market install ${id}@VERSION\`.`,
    { id, version: pin.version, locked: pin.cid, known },
  )
}

function describe(r: Requirement): string {
  return `${r.range} (by ${r.by})`
}

function listVersions(candidates: readonly Candidate[], includePrerelease: boolean): string {
  if (candidates.length === 0) return 'none'
  const ascending = [...candidates].reverse()
  const shown = ascending.slice(-LISTED_VERSIONS).map((c) => {
    const notes = [
      c.yanked ? 'yanked' : undefined,
      c.conflicted ? 'conflicted' : undefined,
      !includePrerelease && semver.prerelease(c.version) !== null ? 'prerelease' : undefined,
    ].filter((n) => n !== undefined)
    return notes.length > 0 ? `${c.version} (${notes.join(', ')})` : c.version
  })
  const elided = ascending.length - shown.length
  return `${elided > 0 ? `(${elided} older), ` : ''}${shown.join(', ')}`
}

function versionFacts(candidates: readonly Candidate[]) {
  return candidates.map((c) => ({ version: c.version, yanked: c.yanked, conflicted: c.conflicted }))
}

/** Which of several entries for one version installs: the owner's own, then the oldest. */
function preference(a: VersionEntry, b: VersionEntry, owner: string): number {
  const own = Number(b.publisher === owner) - Number(a.publisher === owner)
  if (own !== 0) return own
  if (a.published !== b.published) return a.published - b.published
  return a.record < b.record ? -1 : a.record > b.record ? 1 : 0
}
