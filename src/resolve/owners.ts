/**
 * Id ownership (SPEC 4): when more than one key has released under one id, nothing is
 * taken over silently. The claimant is picked by an explicit `--publisher`, else by the
 * project's lockfile, else because it is the only one, else by trust; otherwise the user
 * is asked to choose.
 */
import semver from 'semver'
import type { VersionEntry } from '../domain/catalogue.js'
import { ResolveError } from '../domain/errors.js'
import { keyFingerprint } from '../domain/keys.js'

/** A key suffix shorter than this is too likely to match by accident. */
const MIN_SUFFIX_LENGTH = 4

/** One owner of an id with every release it holds (its own, and those of keys that rotated to it). */
export interface Claimant {
  owner: string
  /** Every key that signed one of these releases: the owner and any key it rotated from. */
  publishers: string[]
  entries: VersionEntry[]
}

/** What may settle ownership of one id. */
export interface OwnerHints {
  /** The `--publisher` the user gave for this id: a full `did:key` or a key suffix. */
  publisher?: string
  /** The publisher and record the project's ggen.lock pins for this id. */
  locked?: { publisher: string; record: string }
  /** Keys the user trusts. */
  trusted: ReadonlySet<string>
}

/** Groups the releases of one id by owner, so that a rotated key and its successor count once. */
export function claimantsOf(entries: readonly VersionEntry[]): Claimant[] {
  const byOwner = new Map<string, Claimant>()
  for (const entry of entries) {
    let claimant = byOwner.get(entry.owner)
    if (claimant === undefined) {
      claimant = { owner: entry.owner, publishers: [], entries: [] }
      byOwner.set(entry.owner, claimant)
    }
    claimant.entries.push(entry)
    if (!claimant.publishers.includes(entry.publisher)) claimant.publishers.push(entry.publisher)
  }
  return [...byOwner.values()].sort((a, b) => compareStrings(a.owner, b.owner))
}

/** Picks the claimant of `id` by the rules of SPEC 4, or throws a ResolveError saying how to pick. */
export function chooseOwner(id: string, claimants: readonly Claimant[], hints: OwnerHints): Claimant {
  if (hints.publisher !== undefined) return byPublisher(id, claimants, hints.publisher)

  const locked = hints.locked
  if (locked !== undefined) {
    const pinned =
      claimants.find((c) => c.entries.some((e) => e.record === locked.record)) ??
      claimants.find((c) => keysOf(c).includes(locked.publisher))
    if (pinned !== undefined) return pinned
    // Installing another key's release because the pinned one is not known here yet would be
    // exactly the silent takeover SPEC 4 forbids.
    throw new ResolveError(
      'ERR_LOCKED_PUBLISHER',
      `ggen.lock pins ${id} to ${locked.publisher} (fingerprint ${keyFingerprint(locked.publisher)}), ` +
        `but this node knows no release of ${id} by that key; it knows:\n${describeClaimants(claimants)}\n` +
        'Let the node catch up (start `ggen-market daemon`, or `ggen-market import` a bundle), ' +
        `or choose another publisher explicitly with \`ggen-market install ${id} --publisher KEY\`.`,
      { id, publisher: locked.publisher, claimants: claimantFacts(claimants) },
    )
  }

  const [only] = claimants
  if (claimants.length === 1 && only !== undefined) return only

  const trusted = claimants.filter((c) => keysOf(c).some((key) => hints.trusted.has(key)))
  const [onlyTrusted] = trusted
  if (trusted.length === 1 && onlyTrusted !== undefined) return onlyTrusted

  throw new ResolveError(
    'ERR_AMBIGUOUS_OWNER',
    `${id} is claimed by ${claimants.length} publishers${trusted.length > 1 ? `, and you trust ${trusted.length} of them` : ''}; nothing is taken over silently:\n` +
      `${describeClaimants(claimants)}\n` +
      `Pick one with \`ggen-market install ${id} --publisher KEY\` (the full key or its fingerprint), ` +
      'or trust one with `ggen-market trust add KEY`.',
    { id, claimants: claimantFacts(claimants) },
  )
}

/** One line per claimant: key, fingerprint, how many versions and the latest. */
export function describeClaimants(claimants: readonly Claimant[]): string {
  return claimantFacts(claimants)
    .map((c) => {
      const count = `${c.versions} version${c.versions === 1 ? '' : 's'}`
      const latest = c.latest === undefined ? '' : `, latest ${c.latest}`
      return `  ${c.owner} (fingerprint ${c.fingerprint}): ${count}${latest}`
    })
    .join('\n')
}

function claimantFacts(claimants: readonly Claimant[]) {
  return claimants.map((c) => {
    const versions = [...new Set(c.entries.map((e) => e.version))].filter((v) => semver.valid(v) !== null)
    const latest = versions.sort(semver.rcompare)[0]
    return { owner: c.owner, fingerprint: keyFingerprint(c.owner), versions: versions.length, latest }
  })
}

function byPublisher(id: string, claimants: readonly Claimant[], wanted: string): Claimant {
  const exact = claimants.filter((c) => keysOf(c).includes(wanted))
  const matches =
    exact.length > 0 || wanted.length < MIN_SUFFIX_LENGTH
      ? exact
      : claimants.filter((c) => keysOf(c).some((key) => key.endsWith(wanted)))
  const [match] = matches
  if (matches.length === 1 && match !== undefined) return match
  if (matches.length > 1) {
    throw new ResolveError(
      'ERR_AMBIGUOUS_OWNER',
      `--publisher ${wanted} matches ${matches.length} publishers of ${id}; give more of the key:\n${describeClaimants(matches)}`,
      { id, publisher: wanted, claimants: claimantFacts(matches) },
    )
  }
  throw new ResolveError(
    'ERR_NOT_CLAIMANT',
    `${wanted} has not published ${id}; its publisher${claimants.length === 1 ? ' is' : 's are'}:\n` +
      `${describeClaimants(claimants)}\nGive one of these keys (or its fingerprint) to --publisher.`,
    { id, publisher: wanted, claimants: claimantFacts(claimants) },
  )
}

function keysOf(claimant: Claimant): string[] {
  return [claimant.owner, ...claimant.publishers]
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
