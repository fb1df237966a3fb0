/**
 * Network limits (SPEC 7): connections, inbound streams, gossip message size and rate, and
 * the bounds of catch-up. Defaults are sane for a team mesh or a public node; every one can
 * be overridden in config.toml's `[net]` table.
 */
import { z } from 'zod'
import { MAX_RECORD_BYTES } from '../domain/records.js'

/** The `[net]` table of config.toml. */
export const netLimitsSchema = z
  .object({
    /** Open connections the node keeps at most. @default 100 */
    max_connections: z.number().int().positive().default(100),
    /** Concurrent inbound streams per protocol a peer may open (sync). @default 4 */
    max_inbound_streams: z.number().int().positive().default(4),
    /** Largest gossip message; a record is at most 64 KiB (SPEC 4). @default 65536 */
    max_message_bytes: z.number().int().positive().default(MAX_RECORD_BYTES),
    /** Gossip messages per peer per second, sustained. @default 50 */
    messages_per_second: z.number().positive().default(50),
    /** Gossip messages a peer may send in one burst above the sustained rate. @default 500 */
    message_burst: z.number().int().positive().default(500),
    /** Records in one catch-up response. @default 500 */
    sync_records_per_response: z.number().int().positive().default(500),
    /** Bytes of records in one catch-up response. @default 4 MiB */
    sync_bytes_per_response: z
      .number()
      .int()
      .positive()
      .default(4 * 1024 * 1024),
    /** Deadline of one catch-up exchange, in ms. @default 30000 */
    sync_timeout_ms: z.number().int().positive().default(30_000),
    /** Catch-up requests a peer may make per minute. @default 120 */
    sync_requests_per_minute: z.number().int().positive().default(120),
    /** How often the node reconciles with each connected peer, in ms. @default 60000 */
    sync_interval_ms: z.number().int().positive().default(60_000),
    /** An install fails when no block of a package arrived for this long, in ms. @default 30000 */
    fetch_timeout_ms: z.number().int().positive().default(30_000),
  })
  .strict()

/** The network limits. */
export type NetLimits = z.infer<typeof netLimitsSchema>

/** The default limits. */
export const DEFAULT_NET_LIMITS: NetLimits = netLimitsSchema.parse({})

/**
 * A token bucket per key: `take(key)` is true while the key has tokens. Keys idle long
 * enough to refill completely are forgotten, so the map stays as small as the set of
 * recently active peers.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string): boolean {
    const now = this.now()
    const bucket = this.#buckets.get(key) ?? { tokens: this.burst, at: now }
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond)
    bucket.at = now
    this.#buckets.set(key, bucket)
    if (this.#buckets.size > 10_000) this.#prune(now)
    if (bucket.tokens < 1) return false
    bucket.tokens -= 1
    return true
  }

  #prune(now: number): void {
    const full = (this.burst / this.perSecond) * 1000
    for (const [key, b] of this.#buckets) if (now - b.at > full) this.#buckets.delete(key)
  }
}
