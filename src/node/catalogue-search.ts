/**
 * Keeps the MiniSearch index in step with SQLite. The index is loaded (or rebuilt from the
 * store) on the first search only, so commands that never search never pay for it; after
 * that every ingested record refreshes the documents of its package id. On close the index
 * is saved with the store's generation, and a stale or missing file is rebuilt next time.
 */
import {
  documentKey,
  latestSources,
  SearchIndex,
  type SearchOptions,
  type SearchResponse,
} from '../search/index.js'
import { loadIndex, saveIndex } from '../search/persist.js'
import type { Store } from '../store/index.js'

/** The catalogue's search index, lazily loaded. */
export class CatalogueSearch {
  private index: SearchIndex | undefined
  private dirty = false
  /**
   * The ids refreshed since the store last changed, and the generation that was. A batch of
   * records reaches `touched` after its one commit, so a package with several records in
   * the batch is refreshed once; the index depends on nothing else the store holds.
   */
  private refreshedAt = -1
  private readonly refreshed = new Set<string>()

  constructor(
    private readonly store: Store,
    private readonly file: string,
  ) {}

  /** Runs a query, loading or rebuilding the index first if needed. */
  async search(query: string, options: SearchOptions): Promise<SearchResponse> {
    return (await this.ready()).search(query, options)
  }

  /** Refreshes the documents of `id` after a record about it was stored. */
  touched(id: string): void {
    if (this.index === undefined) return // the saved index is now stale and will be rebuilt
    const index = this.index
    // One read transaction for the look-ups: in WAL mode each statement outside one takes
    // and drops a lock with system calls of its own.
    const fresh = this.store.read(() => {
      const generation = this.store.generation()
      if (generation !== this.refreshedAt) {
        this.refreshedAt = generation
        this.refreshed.clear()
      } else if (this.refreshed.has(id)) {
        return undefined
      }
      this.refreshed.add(id)
      return latestSources(this.store.versions(id))
    })
    if (fresh === undefined) return
    const keep = new Set(fresh.map((s) => documentKey(s.id, s.owner)))
    for (const key of index.keysOf(id)) if (!keep.has(key)) index.remove(key)
    for (const source of fresh) index.upsertSource(source)
    this.dirty = true
  }

  /** Saves the index if it changed since it was loaded. */
  async close(): Promise<void> {
    if (this.index !== undefined && this.dirty)
      await saveIndex(this.index, this.file, this.store.generation())
    this.dirty = false
  }

  private async ready(): Promise<SearchIndex> {
    if (this.index !== undefined) return this.index
    const generation = this.store.generation()
    const loaded = await loadIndex(this.file, generation)
    if (loaded !== undefined) {
      this.index = loaded
    } else {
      this.index = SearchIndex.build(latestSources(this.store.allVersions()))
      this.dirty = true
    }
    return this.index
  }
}
