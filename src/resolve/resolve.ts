/**
 * Dependency resolution over the catalogue: which owner, which version, in which order.
 *
 * The algorithm iterates to a fixed point rather than backtracking, which is plenty for
 * template packages with few, shallow dependencies. Each round:
 *   1. walk breadth-first from the requests, expanding each id through the version chosen
 *      for it in the previous round (an id met for the first time is chosen on the spot from
 *      the ranges collected so far), collecting every range placed on every reached id;
 *   2. settle: choose again for every reached id with all of its ranges.
 * When no choice changes, the graph the walk followed is the graph the choices describe, and
 * every range in it is satisfied. An id's new choice never goes above its previous one
 * unless nothing at or below it fits: this makes the rounds settle instead of ping-ponging
 * between two states, at the price of rarely missing a higher consistent solution. Errors
 * found while choices still move are held back, since the next round may drop the range
 * that caused them; only errors of a settled round are thrown. Cycles are checked on the
 * final graph.
 */
import semver from 'semver'
import type { Catalogue, VersionEntry } from '../domain/catalogue.js'
import { ResolveError, UsageError } from '../domain/errors.js'
import { installOrder } from './graph.js'
import { type Claimant, chooseOwner, claimantsOf } from './owners.js'
import {
  type Candidate,
  type Choice,
  candidatesOf,
  chooseVersion,
  REQUESTED_BY,
  type Requirement,
} from './versions.js'

/** Rounds after which resolution gives up; real graphs settle in two or three. */
const MAX_ROUNDS = 100

/** One package the user asked for. */
export interface Request {
  id: string
  /** A semver range; `*` (the default) means the latest release. */
  range?: string
  /** Which claimant to take when several keys released under this id: a `did:key` or a key suffix. */
  publisher?: string
}

/** What the project's ggen.lock pins for one id. */
export interface LockPin {
  version: string
  cid: string
  publisher: string
  record: string
}

/** Options of {@link resolve}. */
export interface ResolveOptions {
  /** Keys the user trusts; they settle ownership of an id claimed by several keys. */
  trusted: ReadonlySet<string>
  /** Pins from the project's ggen.lock: kept while they satisfy every range. */
  locked?: ReadonlyMap<string, LockPin>
  /**
   * Let ranges such as `*` or `^1` match prereleases.
   * @default false
   */
  includePrerelease?: boolean
}

/** One package to install: the chosen release and why it is there. */
export interface ResolvedPackage extends VersionEntry {
  /** Every range that was placed on this id, with what placed it. */
  requestedBy: Requirement[]
  /** The packages (`id@version`) that depend on this one. */
  dependents: string[]
  /** True when this is the version ggen.lock pinned. */
  locked: boolean
}

/** The outcome of {@link resolve}. */
export interface Resolution {
  /** Sorted by id. */
  packages: ResolvedPackage[]
  /** Ids in an order to install them: dependencies first. */
  order: string[]
}

/** Resolves `requests` and their dependencies against `catalogue`, or throws a ResolveError. */
export function resolve(
  requests: readonly Request[],
  catalogue: Catalogue,
  opts: ResolveOptions,
): Resolution {
  return new Resolver(requests, catalogue, opts).run()
}

interface Round {
  requirements: Map<string, Requirement[]>
  used: Map<string, Choice>
  failures: Map<string, ResolveError>
}

class Resolver {
  private readonly owners = new Map<string, ReturnType<Resolver['lookUp']>>()
  private readonly publishers = new Map<string, string>()
  private readonly includePrerelease: boolean

  constructor(
    private readonly requests: readonly Request[],
    private readonly catalogue: Catalogue,
    private readonly opts: ResolveOptions,
  ) {
    this.includePrerelease = opts.includePrerelease ?? false
    for (const request of requests) {
      const range = rangeOf(request)
      if (semver.validRange(range) === null) {
        const reason = `"${range}" is not a semver range (try ^1.2, ~1.2.3, 1.x or *)`
        throw new UsageError(`${request.id}@${range}: ${reason}`, { id: request.id, range })
      }
      if (request.publisher === undefined) continue
      const earlier = this.publishers.get(request.id)
      if (earlier !== undefined && earlier !== request.publisher) {
        const reason = `${request.id} was asked for with two publishers, ${earlier} and ${request.publisher}`
        throw new UsageError(reason, { id: request.id })
      }
      this.publishers.set(request.id, request.publisher)
    }
  }

  run(): Resolution {
    let previous = new Map<string, Choice>()
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { requirements, used, failures } = this.walk(previous)
      const next = new Map<string, Choice>()
      let changed = false
      for (const id of [...requirements.keys()].sort()) {
        const before = used.get(id)
        try {
          const choice = this.choose(id, requirements.get(id)!, before?.candidate.version)
          next.set(id, choice)
          failures.delete(id)
          if (before?.candidate.entry.record !== choice.candidate.entry.record) changed = true
        } catch (err) {
          if (!(err instanceof ResolveError)) throw err
          failures.set(id, err)
          if (before !== undefined) next.set(id, before)
        }
      }
      if (!changed) {
        const [first] = [...failures.keys()].sort()
        if (first !== undefined) throw failures.get(first)
        return this.result(next, requirements)
      }
      previous = next
    }
    throw new ResolveError(
      'ERR_UNSETTLED',
      `dependency resolution did not settle after ${MAX_ROUNDS} rounds; ` +
        'ask for exact versions (`ggen-market install ID@VERSION`) of the packages involved.',
      { requests: this.requests.map((r) => r.id) },
    )
  }

  /** Step 1 of a round: the graph reached through the previous choices, and its ranges. */
  private walk(previous: ReadonlyMap<string, Choice>): Round {
    const round: Round = { requirements: new Map(), used: new Map(), failures: new Map() }
    const queue: string[] = []
    const place = (id: string, requirement: Requirement) => {
      round.requirements.set(id, [...(round.requirements.get(id) ?? []), requirement])
      queue.push(id)
    }
    for (const request of this.requests) place(request.id, { range: rangeOf(request), by: REQUESTED_BY })

    for (let i = 0; i < queue.length; i++) {
      const id = queue[i]!
      if (round.used.has(id) || round.failures.has(id)) continue
      let choice = previous.get(id)
      if (choice === undefined) {
        try {
          choice = this.choose(id, round.requirements.get(id)!, undefined)
        } catch (err) {
          if (!(err instanceof ResolveError)) throw err
          round.failures.set(id, err)
          continue
        }
      }
      round.used.set(id, choice)
      const { entry } = choice.candidate
      for (const [dep, range] of sortedEntries(entry.manifest.dependencies)) {
        place(dep, { range, by: `${id}@${entry.version}` })
      }
    }
    return round
  }

  private choose(id: string, requirements: readonly Requirement[], ceiling: string | undefined): Choice {
    const { claimant, candidates } = this.ownerOf(id, requirements)
    const pin = this.opts.locked?.get(id)
    const pinApplies =
      pin !== undefined &&
      (claimant.owner === pin.publisher ||
        claimant.publishers.includes(pin.publisher) ||
        claimant.entries.some((e) => e.record === pin.record))
    for (const r of requirements) {
      if (semver.validRange(r.range) === null) {
        throw new ResolveError(
          'ERR_INVALID_RANGE',
          `${r.by} depends on ${id} "${r.range}", which is not a semver range; its publisher must fix the manifest.`,
          { id, range: r.range, by: r.by },
        )
      }
    }
    return chooseVersion({
      id,
      candidates,
      requirements,
      pin: pinApplies ? pin : undefined,
      ceiling,
      includePrerelease: this.includePrerelease,
    })
  }

  /** The claimant of `id` and its versions; cached, since nothing a round changes affects it. */
  private ownerOf(id: string, requirements: readonly Requirement[]) {
    let owner = this.owners.get(id)
    if (owner === undefined) {
      owner = this.lookUp(id)
      this.owners.set(id, owner)
    }
    // Not cached as an error: the message names the dependents of the current round.
    if (owner === 'missing') throw notFound(id, requirements)
    if (owner instanceof Error) throw owner
    return owner
  }

  private lookUp(id: string): { claimant: Claimant; candidates: Candidate[] } | ResolveError | 'missing' {
    const entries = this.catalogue.versions(id).filter((e) => e.id === id)
    if (entries.length === 0) return 'missing'
    const publisher = this.publishers.get(id)
    const pin = this.opts.locked?.get(id)
    try {
      const claimant = chooseOwner(id, claimantsOf(entries), {
        trusted: this.opts.trusted,
        ...(publisher === undefined ? {} : { publisher }),
        ...(pin === undefined ? {} : { locked: pin }),
      })
      return { claimant, candidates: candidatesOf(claimant) }
    } catch (err) {
      if (err instanceof ResolveError) return err
      throw err
    }
  }

  private result(
    choices: ReadonlyMap<string, Choice>,
    requirements: ReadonlyMap<string, Requirement[]>,
  ): Resolution {
    const ids = [...choices.keys()].sort()
    const edges = new Map(
      ids.map((id) => [id, Object.keys(choices.get(id)!.candidate.entry.manifest.dependencies)]),
    )
    const order = installOrder(edges)
    const packages = ids.map((id): ResolvedPackage => {
      const choice = choices.get(id)!
      const placed = requirements.get(id) ?? []
      return {
        ...choice.candidate.entry,
        requestedBy: placed,
        dependents: placed.filter((r) => r.by !== REQUESTED_BY).map((r) => r.by),
        locked: choice.locked,
      }
    })
    return { packages, order }
  }
}

function notFound(id: string, requirements: readonly Requirement[]): ResolveError {
  const by = [...new Set(requirements.map((r) => r.by))].filter((b) => b !== REQUESTED_BY)
  const context = by.length > 0 ? ` (a dependency of ${by.join(', ')})` : ''
  return new ResolveError(
    'ERR_NOT_FOUND',
    `no package ${id} is known to this node${context}. Check the spelling with \`ggen-market search ${id}\`; ` +
      'if it is right, this node has not seen the package yet: run `ggen-market daemon` to catch up with ' +
      'its peers, or `ggen-market import` a bundle that holds it.',
    { id, requiredBy: by },
  )
}

function rangeOf(request: Request): string {
  const range = request.range?.trim()
  return range === undefined || range === '' ? '*' : range
}

function sortedEntries(record: Readonly<Record<string, string>> | undefined): [string, string][] {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
