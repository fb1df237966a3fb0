/**
 * The seeding policy (SPEC 7): with `seed = "all"` (a mirror, a CI cache), or `"trusted"`
 * for releases of trusted publishers, a node fetches the content of every release as it
 * arrives, one package at a time, so that it can serve it. The bytes fetched for seeding
 * are counted (kept in the store's meta table across restarts) against
 * `storage_quota_bytes`: a release that would go over it is not fetched, and the first time
 * that happens the node says so. Installs are not counted.
 */
import { CID } from 'multiformats/cid'
import type { FetchSummary, FetchTarget } from './fetch-content.js'

/** Which releases are seeded. */
export type SeedPolicy = 'none' | 'trusted' | 'all'

/** A release that arrived. */
export interface SeedCandidate {
  id: string
  version: string
  cid: string
  publisher: string
  /** Bytes of its files: the estimate checked against the quota. */
  size: number
}

/** What seeding needs. */
export interface SeederInit {
  policy: SeedPolicy
  quotaBytes: number
  isTrusted(publisher: string): boolean
  fetch(target: FetchTarget, signal: AbortSignal): Promise<FetchSummary>
  /** The bytes seeded so far, and where to keep the new total. */
  usedBytes: { load(): number; save(bytes: number): void }
  warn(message: string, details: Record<string, unknown>): void
}

/** Counts of what seeding did. */
export interface SeedStats {
  /** Packages whose content was fetched (or already held) for seeding. */
  seeded: number
  /** Blocks fetched for seeding. */
  blocks: number
  /** Bytes fetched for seeding, over the node's life. */
  bytes: number
  /** Releases not fetched because of the quota. */
  overQuota: number
  /** Fetches that failed. */
  failed: number
}

/** See the module comment. */
export class Seeder {
  readonly stats: SeedStats
  #queue: Promise<void> = Promise.resolve()
  readonly #controller = new AbortController()
  #toldQuota = false

  constructor(private readonly init: SeederInit) {
    this.stats = { seeded: 0, blocks: 0, bytes: init.usedBytes.load(), overQuota: 0, failed: 0 }
  }

  /** Whether `release` is seeded under the policy. */
  wants(release: SeedCandidate): boolean {
    if (this.init.policy === 'all') return true
    return this.init.policy === 'trusted' && this.init.isTrusted(release.publisher)
  }

  /** Queues the fetch of `release` if the policy wants it; resolves when it is done. Never throws. */
  offer(release: SeedCandidate): Promise<void> {
    if (!this.wants(release)) return Promise.resolve()
    const run = this.#queue.then(() => this.#seed(release))
    this.#queue = run
    return run
  }

  async #seed(release: SeedCandidate): Promise<void> {
    if (this.#controller.signal.aborted) return
    const { quotaBytes } = this.init
    if (this.stats.bytes + release.size > quotaBytes) {
      this.stats.overQuota++
      if (!this.#toldQuota) {
        this.#toldQuota = true
        this.init.warn('seeding stopped at the storage quota; raise storage_quota_bytes to seed more', {
          id: release.id,
          version: release.version,
          usedBytes: this.stats.bytes,
          quotaBytes,
        })
      }
      return
    }
    try {
      const target = { id: release.id, version: release.version, cid: CID.parse(release.cid) }
      const summary = await this.init.fetch(target, this.#controller.signal)
      this.stats.seeded++
      this.stats.blocks += summary.fetched
      this.stats.bytes += summary.bytes
      this.init.usedBytes.save(this.stats.bytes)
    } catch (err) {
      this.stats.failed++
      if (!this.#controller.signal.aborted)
        this.init.warn('could not seed a release', { id: release.id, version: release.version, err })
    }
  }

  /** Cancels the fetch under way and what is queued. */
  stop(): Promise<void> {
    this.#controller.abort()
    return this.#queue
  }
}
