/**
 * The catch-up protocol's wire layer (SPEC 7): serves `/ggen-market/<network>/sync/1.0.0`
 * and pulls from peers. It only moves frames; what to ask for and what to send is decided
 * by sync-plan.ts, and every record received goes through the one ingest path.
 * Bounded: records and bytes per response, a deadline per exchange, requests per peer per
 * minute, inbound streams per peer.
 */
import type { Connection, Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import type { BatchItemResult } from '../node/ingest.js'
import { type NetLimits, RateLimiter } from './limits.js'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  type SyncResponse,
} from './sync-codec.js'
import {
  advanceWants,
  fillResponse,
  type LocalLog,
  planWants,
  type SyncRecord,
  summaryDigest,
} from './sync-plan.js'

/** What catch-up needs: libp2p, the read side of the store and the ingest path. */
export interface CatchUpComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
  store: { logs(): Map<string, LocalLog>; page(publisher: string, from: number, limit: number): SyncRecord[] }
  ingestMany(items: { bytes: Uint8Array }[]): BatchItemResult[]
  onError?(err: unknown, peer: string): void
  /**
   * A peer asked with a summary unlike this node's and unlike the one this node last pulled
   * against: it may hold records this node lacks, so the node should pull from it.
   */
  onPeerChanged?(peer: PeerId): void
}

/** The outcome of one pull from a peer. */
export interface PullResult {
  rounds: number
  received: number
  added: number
  rejected: number
  /** Logs this peer could have sent, left to another pull that was fetching them. */
  deferred: number
}

const FRAME_OVERHEAD = 1024 * 1024

/** Digests by summary: the store hands back the same summary object until it changes. */
const digests = new WeakMap<Map<string, LocalLog>, string>()

function digestOf(logs: Map<string, LocalLog>): string {
  let digest = digests.get(logs)
  if (digest === undefined) {
    digest = summaryDigest(logs)
    digests.set(logs, digest)
  }
  return digest
}

/** The most records a requester takes in one response, whatever the responder's own limit. */
export const MAX_RECORDS_PER_RESPONSE = 10_000

/** Serves catch-up requests and pulls what this node lacks from a peer. */
export class CatchUp {
  readonly #c: CatchUpComponents
  readonly #protocol: string
  readonly #limits: NetLimits
  readonly #limiter: RateLimiter
  readonly #stopped = new AbortController()
  /**
   * Publishers whose logs a pull is fetching now. After a heal every peer offers the same
   * news at once; one pull fetches a log and the others leave it, instead of each peer
   * sending the node the same records.
   */
  readonly #fetching = new Set<string>()
  /** Per peer, the digest of its summary when this node last pulled from it. */
  readonly #pulledAt = new Map<string, string>()

  constructor(components: CatchUpComponents, init: { protocol: string; limits: NetLimits }) {
    this.#c = components
    this.#protocol = init.protocol
    this.#limits = init.limits
    const perMinute = init.limits.sync_requests_per_minute
    this.#limiter = new RateLimiter(perMinute / 60, perMinute)
  }

  /** Registers the protocol handler. */
  async start(): Promise<void> {
    await this.#c.libp2p.handle(this.#protocol, (stream, connection) => this.#serve(stream, connection), {
      maxInboundStreams: this.#limits.max_inbound_streams,
      maxOutboundStreams: this.#limits.max_inbound_streams,
    })
  }

  /** Unregisters the handler and cancels exchanges in flight. */
  async stop(): Promise<void> {
    this.#stopped.abort()
    await this.#c.libp2p.unhandle(this.#protocol)
  }

  #deadline(signal?: AbortSignal): AbortSignal {
    const signals = [this.#stopped.signal, AbortSignal.timeout(this.#limits.sync_timeout_ms)]
    return AbortSignal.any(signal === undefined ? signals : [...signals, signal])
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const lp = lpStream(stream, { maxDataLength: FRAME_OVERHEAD })
    const signal = this.#deadline()
    try {
      while (stream.readStatus === 'readable') {
        let frame: Uint8Array
        try {
          frame = (await lp.read({ signal })).subarray()
        } catch (err) {
          if ((err as Error).name === 'UnexpectedEOFError') break
          throw err
        }
        if (!this.#limiter.take(peer)) throw new Error(`peer ${peer} is over its catch-up request rate`)
        await lp.write(encodeResponse(this.#answer(frame, connection.remotePeer)), { signal })
      }
      await stream.close({ signal })
    } catch (err) {
      this.#c.onError?.(err, peer)
      stream.abort(err as Error)
    }
  }

  #answer(frame: Uint8Array, peer: PeerId): SyncResponse {
    const req = decodeRequest(frame)
    if (req.t === 'heads') {
      const logs = this.#c.store.logs()
      if (digestOf(logs) === req.digest) return { t: 'heads', same: true }
      // A peer that asks after it learned something is how news crosses a healed partition
      // within round trips, not sync intervals. A digest already pulled against is old news,
      // which keeps two peers that will never agree (one refuses a record) from ping-pong.
      if (this.#pulledAt.get(peer.toString()) !== req.digest) this.#c.onPeerChanged?.(peer)
      return { t: 'heads', same: false, heads: logs }
    }
    const fill = fillResponse(req.wants, (p, from, limit) => this.#c.store.page(p, from, limit), {
      maxRecords: this.#limits.sync_records_per_response,
      maxBytes: this.#limits.sync_bytes_per_response,
    })
    return { t: 'records', ...fill }
  }

  /** Forgets what this node knew of a peer's summary (it disconnected). */
  forget(peer: PeerId): void {
    this.#pulledAt.delete(peer.toString())
  }

  /** Pulls from `peer` every record it holds that this node lacks. */
  async pull(peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<PullResult> {
    const result: PullResult = { rounds: 0, received: 0, added: 0, rejected: 0, deferred: 0 }
    const signal = this.#deadline(options.signal)
    const stream = await this.#c.libp2p.dialProtocol(peer, this.#protocol, { signal })
    const lp = lpStream(stream, { maxDataLength: this.#limits.sync_bytes_per_response + FRAME_OVERHEAD })
    const exchange = async (bytes: Uint8Array): Promise<SyncResponse> => {
      await lp.write(bytes, { signal })
      result.rounds++
      return decodeResponse((await lp.read({ signal })).subarray(), MAX_RECORDS_PER_RESPONSE)
    }
    const claimed: string[] = []
    try {
      const digest = digestOf(this.#c.store.logs())
      const heads = await exchange(encodeRequest({ t: 'heads', digest }))
      if (heads.t !== 'heads') throw new Error('expected heads')
      this.#pulledAt.set(peer.toString(), heads.same ? digest : summaryDigest(heads.heads))
      // Planned against the store as it is now: other pulls may have filled it meanwhile.
      const planned = heads.same ? [] : planWants(this.#c.store.logs(), heads.heads)
      let wants = planned.filter((w) => !this.#fetching.has(w.publisher))
      result.deferred = planned.length - wants.length
      for (const w of wants) {
        this.#fetching.add(w.publisher)
        claimed.push(w.publisher)
      }
      while (wants.length > 0) {
        const res = await exchange(encodeRequest({ t: 'want', wants }))
        if (res.t !== 'records') throw new Error('expected records')
        result.received += res.records.length
        for (const item of this.#c.ingestMany(res.records.map((bytes) => ({ bytes })))) {
          if (!item.ok) result.rejected++
          else if (item.result.status === 'added') result.added++
        }
        wants = res.records.length === 0 ? [] : advanceWants(wants, res.rest)
      }
      await stream.close({ signal })
      return result
    } catch (err) {
      stream.abort(err as Error)
      throw err
    } finally {
      for (const publisher of claimed) this.#fetching.delete(publisher)
    }
  }
}
