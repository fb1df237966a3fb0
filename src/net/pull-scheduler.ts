/**
 * When the node pulls from whom (SPEC 7, catch-up): one pull per peer at a time; a pull
 * asked for while one runs runs once more after it (the peer may have changed meanwhile);
 * records a pull adds are news to the other peers, so each is asked in turn, which shows it
 * this node's new summary and makes it pull back (`CatchUp`'s `onPeerChanged`), hop by hop
 * across the mesh; logs a pull left to another one fetching them are asked again once that
 * is done, in case it failed. The wire and the plan are `CatchUp`'s (sync-protocol.ts).
 */
import type { PeerId } from '@libp2p/interface'
import type { PullResult } from './sync-protocol.js'

/** What the scheduler drives: a pull, the connected peers, and where warnings go. */
export interface PullSchedulerComponents {
  /** One pull from `peer`; undefined when catch-up is not running. */
  pull(peer: PeerId): Promise<PullResult> | undefined
  peers(): PeerId[]
  warn(message: string, details: Record<string, unknown>): void
}

/** See the module comment. */
export class PullScheduler {
  readonly #c: PullSchedulerComponents
  readonly #running = new Map<string, Promise<PullResult | undefined>>()
  readonly #again = new Set<string>()
  #stopped = false
  /** What pulls did: pulls that completed, records received, records new here. */
  readonly stats = { pulls: 0, received: 0, added: 0 }

  constructor(components: PullSchedulerComponents) {
    this.#c = components
  }

  /** Pulls what `peer` has and this node lacks; see the module comment. Never throws. */
  pull(peer: PeerId): Promise<PullResult | undefined> {
    const key = peer.toString()
    const running = this.#running.get(key)
    if (running !== undefined) {
      this.#again.add(key)
      return running
    }
    const started = this.#stopped ? undefined : this.#c.pull(peer)
    if (started === undefined) return Promise.resolve(undefined)
    const pull = started
      .then((result) => {
        this.stats.pulls++
        this.stats.received += result.received
        this.stats.added += result.added
        if (result.rejected > 0) this.#c.warn('catch-up received invalid records', { peer: key, ...result })
        if (result.added > 0) this.#tellPeers(key)
        return result
      })
      .catch((err) => {
        this.#c.warn('catch-up failed', { peer: key, err })
        return undefined
      })
      .finally(() => {
        this.#running.delete(key)
        if (this.#again.delete(key)) void this.pull(peer)
      })
    void pull.then(async (result) => {
      if (result === undefined || result.deferred === 0) return
      await Promise.allSettled(this.#running.values())
      void this.pull(peer)
    })
    this.#running.set(key, pull)
    return pull
  }

  /** Pulls from every connected peer (the periodic reconciliation). */
  pullAll(): void {
    for (const peer of this.#c.peers()) void this.pull(peer)
  }

  /** Starts no more pulls and waits for those running. */
  async stop(): Promise<void> {
    this.#stopped = true
    this.#again.clear()
    await Promise.allSettled(this.#running.values())
  }

  /** Asks every connected peer but `source`, so that each sees this node's new summary. */
  #tellPeers(source: string): void {
    for (const peer of this.#c.peers()) if (peer.toString() !== source) void this.pull(peer)
  }
}
