/**
 * install: resolve `ID[@RANGE]` requests (or the pins of ggen.lock) to signed releases,
 * extract each package from verified blocks, then swap the packages into
 * `DIR/.ggen/packages/ID/` and write ggen.lock. Every package is extracted into a staging
 * directory first, so a missing or corrupt block fails the install before anything the
 * project had is touched. With a network, a package is extracted while its blocks are
 * fetched: the extraction reads each block as the fetch hands it over (a `BlockFeed`).
 */
import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import type { ContentStore } from '../content/index.js'
import { BlockFeed, extractPackage } from '../content/index.js'
import type { VersionEntry } from '../domain/catalogue.js'
import { ConflictError, NotFoundError, UsageError } from '../domain/errors.js'
import { type LockEntry, mergeLock, readLockfile, resolve, writeLockfile } from '../resolve/index.js'
import type { Store } from '../store/index.js'
import type { InstalledPackage, InstallRequest, InstallResult, OperationOptions } from './api.js'
import { parseSpec } from './spec.js'

/** Options of a content fetch: those of the install, and where each block goes once stored. */
export interface ContentFetchOptions extends OperationOptions {
  /** Called with every block of the package and its bytes once it is stored. */
  onBlock?: (cid: CID, bytes: Uint8Array) => void
}

/**
 * Makes every block of a package local (the network, when running); the package is
 * extracted meanwhile from what it passes to `onBlock` (a fetcher that never calls it
 * still works: the extraction then waits for the fetch to end and reads the store).
 */
export type ContentFetcher = (
  target: { id: string; version: string; cid: CID },
  options: ContentFetchOptions,
) => Promise<unknown>

/** Looks up package `id` on the network (the DHT) and stores its record; true when found. */
export type RecordLookup = (id: string, options: { signal?: AbortSignal | undefined }) => Promise<boolean>

/** What install needs from the node. */
export interface InstallContext {
  store: Store
  content: ContentStore
  /** Without one, missing blocks are read through the content store as they are met. */
  fetch?: ContentFetcher | undefined
  /** Asked about requested ids this node holds no record of, before resolving. */
  lookup?: RecordLookup | undefined
}

/** The directory a package is installed into. */
export function packageDir(projectDir: string, id: string): string {
  return join(projectDir, '.ggen', 'packages', id)
}

/** Installs; see the module comment. */
export async function installPackages(
  ctx: InstallContext,
  request: InstallRequest,
  options: OperationOptions = {},
): Promise<InstallResult> {
  const lock = await readLockfile(request.dir)
  if (ctx.lookup !== undefined) {
    for (const spec of request.specs) {
      const { id } = parseSpec(spec)
      if (ctx.store.versions(id).length === 0) await ctx.lookup(id, { signal: options.signal })
    }
  }
  const chosen =
    request.specs.length === 0
      ? pinnedReleases(ctx.store, request.dir, lock?.packs)
      : resolveSpecs(ctx, request, lock?.packs)

  const staging = join(request.dir, '.ggen', `.staging-${randomBytes(6).toString('hex')}`)
  await mkdir(staging, { recursive: true })
  try {
    for (const [index, entry] of chosen.entries()) {
      options.signal?.throwIfAborted()
      options.onProgress?.({
        type: 'install:package',
        id: entry.id,
        version: entry.version,
        index,
        total: chosen.length,
      })
      const cid = CID.parse(entry.cid)
      const dest = join(staging, entry.id)
      if (ctx.fetch === undefined) await extractPackage(ctx.content, cid, dest, options)
      else
        await fetchAndExtract(
          ctx.fetch,
          ctx.content,
          { id: entry.id, version: entry.version, cid },
          dest,
          options,
        )
    }
    const packagesDir = join(request.dir, '.ggen', 'packages')
    await mkdir(packagesDir, { recursive: true })
    for (const entry of chosen) {
      const target = packageDir(request.dir, entry.id)
      await rename(target, join(staging, `.old-${entry.id}`)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
      await rename(join(staging, entry.id), target)
    }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }

  const entries: LockEntry[] = chosen.map((e) => ({
    id: e.id,
    version: e.version,
    cid: e.cid,
    publisher: e.publisher,
    record: e.record,
  }))
  const lockfile = await writeLockfile(request.dir, mergeLock(lock, entries))
  const installed: InstalledPackage[] = chosen.map((e) => ({
    id: e.id,
    version: e.version,
    cid: e.cid,
    publisher: e.publisher,
    path: packageDir(request.dir, e.id),
  }))
  return { installed, lockfile }
}

/**
 * Runs the fetch and the extraction of one package together. Whichever fails first stops
 * the other; the fetch's error wins (it names the package and the peers asked).
 */
async function fetchAndExtract(
  fetch: ContentFetcher,
  content: ContentStore,
  target: { id: string; version: string; cid: CID },
  dest: string,
  options: OperationOptions,
): Promise<void> {
  const feed = new BlockFeed(content.blockstore)
  const stop = new AbortController()
  const signal = options.signal === undefined ? stop.signal : AbortSignal.any([options.signal, stop.signal])
  let fetchError: { error: unknown } | undefined
  const fetching = fetch(target, { ...options, signal, onBlock: (cid, bytes) => feed.offer(cid, bytes) })
    .catch((error: unknown) => {
      fetchError = { error }
      stop.abort(error)
    })
    .finally(() => feed.end())
  try {
    await extractPackage({ blockstore: feed, evict: (cid) => content.evict(cid) }, target.cid, dest, {
      ...options,
      signal,
    })
  } catch (err) {
    stop.abort(err)
    await fetching
    options.signal?.throwIfAborted()
    throw fetchError?.error ?? err
  }
  await fetching
  if (fetchError !== undefined) throw fetchError.error
}

function resolveSpecs(
  ctx: InstallContext,
  request: InstallRequest,
  pins: LockEntry[] | undefined,
): VersionEntry[] {
  const requests = request.specs.map((spec) => {
    const { id, range } = parseSpec(spec)
    return { id, range: range ?? '*', publisher: request.publisher }
  })
  const locked = new Map((pins ?? []).map((p) => [p.id, p]))
  const trusted = new Set(ctx.store.trustList().map((t) => t.key))
  return resolve(requests, ctx.store, { trusted, locked }).packages
}

/** `install` with no ids: exactly the releases ggen.lock pins, checked against their records. */
function pinnedReleases(store: Store, dir: string, pins: LockEntry[] | undefined): VersionEntry[] {
  if (pins === undefined) {
    throw new UsageError(`no ggen.lock in ${dir}; name what to install, e.g. \`ggen-market install ID\``)
  }
  return pins.map((pin) => {
    const entry = store.versions(pin.id).find((v) => v.record === pin.record)
    if (entry === undefined) {
      throw new NotFoundError(
        'ERR_LOCKED_RECORD_MISSING',
        `ggen.lock pins ${pin.id}@${pin.version} (record ${pin.record}), which this node does not hold; import a bundle that has it or start the daemon to fetch it from the network`,
        { id: pin.id, version: pin.version, record: pin.record },
      )
    }
    if (entry.cid !== pin.cid || entry.version !== pin.version || entry.publisher !== pin.publisher) {
      throw new ConflictError(
        'ERR_LOCK_MISMATCH',
        `ggen.lock says ${pin.id}@${pin.version} is ${pin.cid} by ${pin.publisher}, but its signed record ${pin.record} says ${entry.id}@${entry.version} is ${entry.cid} by ${entry.publisher}; the lockfile was edited or corrupted: restore it, or run \`ggen-market install ${pin.id}@${pin.version}\` to pin it again`,
        { id: pin.id, record: pin.record, expected: entry.cid, found: pin.cid },
      )
    }
    return entry
  })
}
