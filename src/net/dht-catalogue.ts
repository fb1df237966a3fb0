/**
 * What a node does with the DHT (SPEC 7): it stores the records that enter the network
 * through it under their id key and provides the content CID of every package whose blocks
 * it holds; it looks an id up when neither it nor a connected peer knows it; and it dials
 * the providers of a CID no connected peer serves. DHT work is best effort: a failed put or
 * provide (no peers yet, a timeout) is reported and never fails the operation behind it.
 */
import type { PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import type { IngestOptions, IngestResult } from '../node/ingest.js'
import { idKey, selectIdRecord } from './dht.js'
import type { NetNode } from './libp2p-node.js'

/** Looks for a bundle-imported release's root block this many times (1 s, 2 s, ... 60 s). */
const PROVIDE_RETRIES = 15
const PROVIDE_RETRY_BASE_MS = 1000

/** What the DHT side needs from the node. */
export interface DhtCatalogueHost {
  network: string
  ingest(bytes: Uint8Array, options?: IngestOptions): IngestResult
  getRecord(cid: string): Uint8Array | undefined
  hasBlock(cid: CID): Promise<boolean>
  warn(message: string, details: Record<string, unknown>): void
}

/** See the module comment. */
export class DhtCatalogue {
  #queue: Promise<void> = Promise.resolve()
  readonly #provided = new Set<string>()
  readonly #controller = new AbortController()
  readonly #retries = new Set<NodeJS.Timeout>()

  constructor(
    private readonly libp2p: NetNode,
    private readonly host: DhtCatalogueHost,
  ) {}

  /** Stores record `record` of package `id` under the id's key; queued, never throws. */
  putRecord(id: string, record: string): Promise<void> {
    return this.#enqueue('put a record into the DHT', { id, record }, async (signal) => {
      const bytes = this.host.getRecord(record)
      if (bytes === undefined) return
      for await (const _ of this.libp2p.services.dht.put(idKey(this.host.network, id), bytes, { signal })) {
        // drained: the put completes when its query does
      }
    })
  }

  /**
   * Provides `cid` once its root block is stored here; queued, never throws. With
   * `awaitBlocks` (a bundle import stores a release's record before its blocks), a root not
   * stored yet is looked for again, at growing intervals, for up to ~10 minutes.
   */
  provide(cid: string, options: { awaitBlocks?: boolean } = {}, attempt = 0): Promise<void> {
    if (this.#provided.has(cid)) return Promise.resolve()
    return this.#enqueue('provide content in the DHT', { cid }, async (signal) => {
      const root = CID.parse(cid)
      if (!(await this.host.hasBlock(root))) {
        if (options.awaitBlocks === true && attempt < PROVIDE_RETRIES) this.#retry(cid, attempt)
        return
      }
      await this.libp2p.contentRouting.provide(root, { signal })
      this.#provided.add(cid)
    })
  }

  #retry(cid: string, attempt: number): void {
    const timer = setTimeout(
      () => {
        this.#retries.delete(timer)
        void this.provide(cid, { awaitBlocks: true }, attempt + 1)
      },
      Math.min(PROVIDE_RETRY_BASE_MS * 2 ** attempt, 60_000),
    )
    timer.unref()
    this.#retries.add(timer)
  }

  /**
   * Looks up the latest record of `id` in the DHT and ingests it; returns whether one was
   * stored. Values that fail validation never reach here (the DHT's validator drops them).
   */
  async lookup(id: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const values: Uint8Array[] = []
    try {
      for await (const event of this.libp2p.services.dht.get(idKey(this.host.network, id), options)) {
        if (event.name === 'VALUE') values.push(event.value)
      }
    } catch (err) {
      options.signal?.throwIfAborted()
      if (values.length === 0) this.host.warn('DHT look-up failed', { id, err })
    }
    if (values.length === 0) return false
    try {
      this.host.ingest(values[selectIdRecord(values)]!, { source: 'network' })
      return true
    } catch (err) {
      this.host.warn('the DHT returned a record that was not stored', { id, err })
      return false
    }
  }

  /** Dials the providers of `cid` that are not connected, until `signal` aborts. Never throws. */
  async dialProviders(cid: CID, signal: AbortSignal): Promise<PeerId[]> {
    const dialled: PeerId[] = []
    try {
      for await (const provider of this.libp2p.contentRouting.findProviders(cid, { signal })) {
        if (provider.id.equals(this.libp2p.peerId) || this.libp2p.getConnections(provider.id).length > 0)
          continue
        try {
          await this.libp2p.dial(provider.multiaddrs.length > 0 ? provider.multiaddrs : provider.id, {
            signal,
          })
          dialled.push(provider.id)
        } catch (err) {
          this.host.warn('could not dial a content provider', { peer: provider.id.toString(), err })
        }
      }
    } catch {
      // Aborted, or the query ran out of peers: the fetch itself reports what it lacks.
    }
    return dialled
  }

  /** Stops queued work. */
  stop(): Promise<void> {
    for (const timer of this.#retries) clearTimeout(timer)
    this.#retries.clear()
    this.#controller.abort()
    return this.#queue
  }

  #enqueue(
    what: string,
    details: Record<string, unknown>,
    task: (signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const run = this.#queue.then(async () => {
      if (this.#controller.signal.aborted) return
      try {
        await task(AbortSignal.any([this.#controller.signal, AbortSignal.timeout(30_000)]))
      } catch (err) {
        if (!this.#controller.signal.aborted) this.host.warn(`could not ${what}`, { ...details, err })
      }
    })
    this.#queue = run
    return run
  }
}
