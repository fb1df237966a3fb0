/**
 * The outbox of records published on this node (SPEC 1: "releases published offline are
 * announced when the network returns"). Records signed here are stored with `local = 1,
 * announced = 0`; the announcer hands each to an `AnnounceTarget` (gossipsub, once the
 * network exists), oldest first, and marks it announced only after the target took it.
 * A crash between delivery and marking re-announces one record at worst, which peers
 * drop as a duplicate; a record is never marked without having been delivered.
 */
import type { EventEmitter } from 'node:events'
import type { Store } from '../store/index.js'
import type { WatchEvent } from './api.js'
import type { NodeEvents } from './local-node.js'

/** Where announcements go: true when the record was delivered (published to the topic). */
export interface AnnounceTarget {
  announce(bytes: Uint8Array, cid: string): Promise<boolean>
}

/** What the announcer needs from the node. */
export interface AnnouncerComponents {
  store: Pick<Store, 'unannounced' | 'markAnnounced' | 'recordMeta'>
  /** The node's record events; a `local` record wakes the announcer. */
  events: Pick<EventEmitter<NodeEvents>, 'on' | 'off'>
}

/** Announcer options. */
export interface AnnouncerInit {
  /** Where to announce; none (no network yet) keeps every record queued. */
  target?: AnnounceTarget
  /** Wait this long before retrying after a failed delivery, in ms. @default 30000 */
  retryMs?: number
  /** Records read from the store per round. @default 100 */
  batchSize?: number
  /** Told about failed deliveries. */
  onError?: (err: unknown, cid: string) => void
}

/** Drains the outbox of local records to its target, in log order, exactly once each. */
export class Announcer {
  #target: AnnounceTarget | undefined
  readonly #components: AnnouncerComponents
  readonly #retryMs: number
  readonly #batchSize: number
  readonly #onError: ((err: unknown, cid: string) => void) | undefined
  #running = false
  #draining: Promise<void> | undefined
  #again = false
  #retryTimer: NodeJS.Timeout | undefined
  #delivered = 0

  constructor(components: AnnouncerComponents, init: AnnouncerInit = {}) {
    this.#components = components
    this.#target = init.target
    this.#retryMs = init.retryMs ?? 30_000
    this.#batchSize = init.batchSize ?? 100
    this.#onError = init.onError
  }

  readonly #onEvent = (event: WatchEvent): void => {
    if (event.type === 'record' && event.source === 'local') this.wake()
  }

  /** Starts listening for local records and drains what is queued; idempotent. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#components.events.on('event', this.#onEvent)
    this.wake()
  }

  /** Stops listening and waits for a delivery in flight; idempotent. */
  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#components.events.off('event', this.#onEvent)
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    await this.#draining
  }

  /** Plugs a target in (the network came up) or out; queued records go out at once. */
  setTarget(target: AnnounceTarget | undefined): void {
    this.#target = target
    this.wake()
  }

  /** Records waiting to be announced. */
  pending(): number {
    return this.#components.store.unannounced(Number.MAX_SAFE_INTEGER).length
  }

  /** Records delivered since this announcer was created. */
  get delivered(): number {
    return this.#delivered
  }

  /** Drains the outbox now (or again after the drain in progress); resolves when done. */
  wake(): Promise<void> {
    if (!this.#running || this.#target === undefined) return Promise.resolve()
    if (this.#draining !== undefined) {
      this.#again = true
      return this.#draining
    }
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    this.#draining = this.#drainLoop().finally(() => {
      this.#draining = undefined
    })
    return this.#draining
  }

  async #drainLoop(): Promise<void> {
    do {
      this.#again = false
      if (!(await this.#drain())) {
        this.#scheduleRetry()
        return
      }
    } while (this.#again && this.#running)
  }

  /** Announces every queued record; false when a delivery failed (the rest wait for a retry). */
  async #drain(): Promise<boolean> {
    const { store } = this.#components
    while (this.#running) {
      const target = this.#target
      if (target === undefined) return true
      const batch = this.#inLogOrder(store.unannounced(this.#batchSize))
      if (batch.length === 0) return true
      for (const { cid, bytes } of batch) {
        if (!this.#running) return true
        let ok = false
        try {
          ok = await target.announce(bytes, cid)
        } catch (err) {
          this.#onError?.(err, cid)
        }
        if (!ok) return false
        store.markAnnounced([cid])
        this.#delivered++
      }
    }
    return true
  }

  /** Orders a batch by each publisher's seq (rowid order already is, unless logs interleave). */
  #inLogOrder(batch: { cid: string; bytes: Uint8Array }[]): { cid: string; bytes: Uint8Array }[] {
    const seq = (cid: string) => this.#components.store.recordMeta(cid)?.seq ?? 0
    return batch
      .map((r, i) => ({ r, i, seq: seq(r.cid) }))
      .sort((a, b) => a.seq - b.seq || a.i - b.i)
      .map((x) => x.r)
  }

  #scheduleRetry(): void {
    if (!this.#running) return
    this.#retryTimer = setTimeout(() => void this.wake(), this.#retryMs)
    this.#retryTimer.unref()
  }
}
