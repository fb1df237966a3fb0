/**
 * The simulated network between nodes: who listens where, the profile of every link
 * (latency with jitter, loss, stalls, bandwidth), partitions and crashed nodes. The
 * transport (transport.ts) asks it when to deliver each chunk; every random draw comes from
 * the fabric's one seeded PRNG, so a run repeats.
 *
 * Links carry an ordered byte stream, as TCP does: a lost chunk is not dropped (that would
 * break Noise) but delivered after a retransmission delay, holding back what follows.
 */
import { Prng } from './prng.js'

/** How one link behaves, in each direction. */
export interface LinkProfile {
  /** One-way delay, ms. */
  latencyMs: number
  /** Uniform spread around the latency, ms (20 ± 10: latencyMs 20, jitterMs 10). */
  jitterMs: number
  /** Probability that a chunk is lost and retransmitted. */
  loss: number
  /** Extra delay of a retransmission, ms. */
  retransmitMs: number
  /** Probability that a chunk meets a stall. */
  stall: number
  /** Length of a stall, ms. */
  stallMs: number
  /** Bytes per second per direction; Infinity for no cap. */
  bandwidth: number
}

/** A fast, clean link. */
export const DEFAULT_LINK: LinkProfile = {
  latencyMs: 1,
  jitterMs: 0,
  loss: 0,
  retransmitMs: 200,
  stall: 0,
  stallMs: 500,
  bandwidth: Number.POSITIVE_INFINITY,
}

/** One end of a live connection, as the fabric sees it. */
export interface LinkEnd {
  readonly local: string
  readonly remote: string
  /** Breaks the connection (a reset the far side notices). */
  break(reason: string): void
}

/** Counters of what crossed the fabric. */
export interface FabricStats {
  bytes: number
  chunks: number
  lost: number
  stalls: number
  dialsRefused: number
}

/** The simulated network; see the module comment. */
export class Fabric {
  readonly rng: Prng
  readonly stats: FabricStats = { bytes: 0, chunks: 0, lost: 0, stalls: 0, dialsRefused: 0 }
  readonly #listeners = new Map<string, { node: string; accept: (end: unknown) => void }>()
  readonly #links = new Map<string, LinkProfile>()
  readonly #ends = new Set<LinkEnd>()
  readonly #down = new Set<string>()
  #side: Map<string, number> | undefined
  #onHeal: (() => void)[] = []
  #blackhole = false

  constructor(
    seed: number,
    readonly defaultLink: LinkProfile = DEFAULT_LINK,
  ) {
    this.rng = new Prng(seed)
  }

  /** Sets the profile of the link between `a` and `b` (both directions). */
  setLink(a: string, b: string, profile: Partial<LinkProfile>): void {
    this.#links.set(pairKey(a, b), { ...this.link(a, b), ...profile })
  }

  /** The profile of the link between `a` and `b`. */
  link(a: string, b: string): LinkProfile {
    return this.#links.get(pairKey(a, b)) ?? this.defaultLink
  }

  /** When a chunk of `bytes` sent now from `from` to `to` arrives, ignoring order (ms from now). */
  transitDelay(from: string, to: string, bytes: number): { delay: number; serialise: number } {
    const link = this.link(from, to)
    this.stats.bytes += bytes
    this.stats.chunks++
    let delay = Math.max(0, this.rng.around(link.latencyMs, link.jitterMs))
    if (this.rng.chance(link.loss)) {
      this.stats.lost++
      delay += link.retransmitMs
    }
    if (this.rng.chance(link.stall)) {
      this.stats.stalls++
      delay += link.stallMs
    }
    const serialise = Number.isFinite(link.bandwidth) ? (bytes / link.bandwidth) * 1000 : 0
    return { delay, serialise }
  }

  /** Registers a listener at `address` for node `node`. */
  listen(address: string, node: string, accept: (end: unknown) => void): void {
    if (this.#listeners.has(address)) throw new Error(`sim address ${address} is already in use`)
    this.#listeners.set(address, { node, accept })
  }

  /** Removes the listener at `address`. */
  unlisten(address: string): void {
    this.#listeners.delete(address)
  }

  /** The listener a dial from `from` to `address` reaches, or why none does. */
  route(from: string, address: string): { node: string; accept: (end: unknown) => void } | string {
    const target = this.#listeners.get(address)
    let refusal: string | undefined
    if (target === undefined) refusal = `no sim listener at ${address}`
    else if (this.#down.has(from) || this.#down.has(target.node)) refusal = `${address} is down`
    else if (!this.reachable(from, target.node)) refusal = `${address} is on the other side of a partition`
    if (refusal !== undefined || target === undefined) {
      this.stats.dialsRefused++
      return refusal ?? 'unreachable'
    }
    return target
  }

  /** True when `a` and `b` are on the same side of the current partition. */
  reachable(a: string, b: string): boolean {
    if (this.#side === undefined) return true
    return (this.#side.get(a) ?? -1) === (this.#side.get(b) ?? -1)
  }

  /** True while traffic across the cut is held rather than connections broken. */
  held(a: string, b: string): boolean {
    return this.#blackhole && !this.reachable(a, b)
  }

  /** Calls `fn` once when the current partition heals (held traffic resumes). */
  onHeal(fn: () => void): void {
    this.#onHeal.push(fn)
  }

  /** Tracks a live connection end until `forget`. */
  track(end: LinkEnd): void {
    this.#ends.add(end)
  }

  /** Stops tracking a closed connection end. */
  forget(end: LinkEnd): void {
    this.#ends.delete(end)
  }

  /**
   * Splits the nodes into `groups` (nodes in no group form one more side). With `break`
   * connections across the cut are reset; with `blackhole` their traffic is held until heal.
   * New dials across the cut fail either way.
   */
  partition(groups: readonly (readonly string[])[], mode: 'break' | 'blackhole' = 'break'): void {
    this.#side = new Map()
    groups.forEach((group, i) => {
      for (const node of group) this.#side?.set(node, i)
    })
    this.#blackhole = mode === 'blackhole'
    if (mode === 'break') {
      for (const end of [...this.#ends]) {
        if (!this.reachable(end.local, end.remote)) end.break('partitioned')
      }
    }
  }

  /** Removes the partition; held traffic flows again. */
  heal(): void {
    this.#side = undefined
    this.#blackhole = false
    const waiting = this.#onHeal
    this.#onHeal = []
    for (const fn of waiting) fn()
  }

  /** Marks `node` crashed: its connections are reset without a goodbye, dials to it fail. */
  crash(node: string): void {
    this.#down.add(node)
    for (const end of [...this.#ends]) if (end.local === node || end.remote === node) end.break('crashed')
  }

  /** Marks a crashed node up again (before its restart listens). */
  revive(node: string): void {
    this.#down.delete(node)
  }

  /** Live connection ends. */
  get connections(): number {
    return this.#ends.size
  }
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`
}
