/**
 * A hand-off between a fetch and an extraction of the same package running at the same
 * time (install over the network). The fetch offers every block as it has it, with its
 * bytes; the extraction reads through the feed, so it follows the fetch block by block
 * instead of starting only once the whole DAG is stored and then reading every block back
 * from disk. A read of a block the fetch has not offered yet waits for it (the fetch offers
 * every block, stored before or fetched); one it offered that the feed no longer holds, or
 * any read once the fetch is over, goes to the store.
 *
 * Nothing here vouches for bytes: the extraction wraps the feed in a `VerifiedBlockstore`,
 * which re-hashes every block whatever its source. Memory is bounded: a block offered
 * before anyone reads it is held only while the held blocks total under `maxHeldBytes`
 * (the fetch has stored it, so a block that is not held is read from disk later).
 */
import type { CID } from 'multiformats/cid'
import type { ContentBlockstore } from './blockstore.js'

/** Options of a read through the feed (those of a blockstore `get`). */
export interface FeedReadOptions {
  signal?: AbortSignal
  offline?: boolean
}

/** Construction options of a `BlockFeed`. */
export interface BlockFeedInit {
  /** Bytes of offered blocks held for a later read. @default 32 MiB */
  maxHeldBytes?: number
}

/** See the module comment; `get` is shaped like a blockstore's so an extraction can read it. */
export class BlockFeed {
  readonly #store: Pick<ContentBlockstore, 'get'>
  readonly #maxHeldBytes: number
  readonly #held = new Map<string, Uint8Array>()
  readonly #offered = new Set<string>()
  #heldBytes = 0
  readonly #waiting = new Map<string, Set<(bytes: Uint8Array | undefined) => void>>()
  #ended = false

  constructor(store: Pick<ContentBlockstore, 'get'>, init: BlockFeedInit = {}) {
    this.#store = store
    this.#maxHeldBytes = init.maxHeldBytes ?? 32 * 1024 * 1024
  }

  /** The fetch has block `cid` (stored, or about to be) with these bytes. */
  offer(cid: CID, bytes: Uint8Array): void {
    const key = cid.toString()
    this.#offered.add(key)
    const waiters = this.#waiting.get(key)
    if (waiters !== undefined) {
      this.#waiting.delete(key)
      for (const wake of waiters) wake(bytes)
      return
    }
    if (this.#ended || this.#held.has(key) || this.#heldBytes + bytes.byteLength > this.#maxHeldBytes) return
    this.#held.set(key, bytes)
    this.#heldBytes += bytes.byteLength
  }

  /** The fetch is over (done or failed): reads of blocks not held no longer wait, and go to the store. */
  end(): void {
    this.#ended = true
    for (const waiters of this.#waiting.values()) for (const wake of waiters) wake(undefined)
    this.#waiting.clear()
  }

  /** Yields block `cid`: held, from the store, or once the fetch offers it. */
  async *get(cid: CID, options: FeedReadOptions = {}): AsyncGenerator<Uint8Array> {
    const key = cid.toString()
    const held = this.#held.get(key)
    if (held !== undefined) {
      this.#held.delete(key)
      this.#heldBytes -= held.byteLength
      yield held
      return
    }
    if (!this.#ended && !this.#offered.has(key)) {
      const bytes = await this.#wait(key, options.signal)
      if (bytes !== undefined) {
        yield bytes
        return
      }
    }
    yield* this.#store.get(cid, options)
  }

  /** Resolves with the bytes of `key` when offered, or undefined once the fetch is over. */
  #wait(key: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    signal?.throwIfAborted()
    const waiters = this.#waiting.get(key) ?? new Set()
    this.#waiting.set(key, waiters)
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        waiters.delete(wake)
        if (waiters.size === 0 && this.#waiting.get(key) === waiters) this.#waiting.delete(key)
        reject(signal?.reason)
      }
      const wake = (bytes: Uint8Array | undefined): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve(bytes)
      }
      waiters.add(wake)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
