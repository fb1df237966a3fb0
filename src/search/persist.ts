/**
 * The search index on disk: a cache of what SQLite holds, tagged with the store's
 * generation. A file that is missing, stale, from another format or damaged is simply not
 * used; the caller rebuilds from SQLite with `SearchIndex.build`.
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, rm } from 'node:fs/promises'
import { SearchIndex, type SearchIndexJSON } from './index.js'

/**
 * Bumped whenever the index options or tokenisation (terms.ts) change: an index built
 * under other rules would answer wrongly, so it must be rebuilt rather than loaded.
 */
export const INDEX_FORMAT_VERSION = 1

/** The store's generation the index was built from: any value that changes on each write. */
export type Generation = number | string

/** Writes the index atomically (temp file, fsync, rename), tagged with `generation`. */
export async function saveIndex(index: SearchIndex, file: string, generation: Generation): Promise<void> {
  const json = JSON.stringify({ version: INDEX_FORMAT_VERSION, generation, index })
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const handle = await open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(json)
      await handle.datasync()
    } finally {
      await handle.close()
    }
    await rename(tmp, file)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * Loads the index saved for `expectedGeneration`, or returns undefined when the file is
 * missing, unreadable, corrupt, of another format version or of another generation.
 */
export async function loadIndex(
  file: string,
  expectedGeneration: Generation,
): Promise<SearchIndex | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    return undefined
  }
  try {
    const data: unknown = JSON.parse(text)
    if (typeof data !== 'object' || data === null) return undefined
    const { version, generation, index } = data as Record<string, unknown>
    if (version !== INDEX_FORMAT_VERSION || generation !== expectedGeneration) return undefined
    if (typeof index !== 'object' || index === null) return undefined
    return SearchIndex.fromJSON(index as SearchIndexJSON)
  } catch {
    // A damaged cache is not an error the user can act on: rebuilding fixes it.
    return undefined
  }
}
