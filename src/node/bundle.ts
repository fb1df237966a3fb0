/**
 * export and import (SPEC 6) over a node's stores: which records and packages a bundle
 * gets (all, `--id` with the closure of their dependencies, `--since` a publish time,
 * `--since-bundle` what an earlier bundle lacked), and an import whose every record goes
 * through the one ingest path with source 'bundle'. The file format is bundle/'s.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { BundleError } from '../bundle/errors.js'
import {
  type BundleIndex,
  type BundlePackage,
  type CarSection,
  type DagBlocks,
  type ImportTarget,
  type LinkReader,
  type RecordOutcome,
  readBundle,
  readBundleIndex,
  unixfsLinks,
  writeBundle,
} from '../bundle/index.js'
import type { ContentStore } from '../content/index.js'
import { VerifiedBlockstore } from '../content/verified-blockstore.js'
import type { VersionEntry } from '../domain/catalogue.js'
import { NotFoundError, UsageError } from '../domain/errors.js'
import { PACKAGE_ID_RE } from '../domain/types.js'
import type { Store } from '../store/index.js'
import type { ExportRequest, ExportResult, ImportResult, OperationOptions } from './api.js'
import { type IngestContext, ingestRecords } from './ingest.js'

/** What export and import need from the node. */
export interface BundleContext {
  store: Store
  /** The content store, opened on first use: metadata-only bundles never load Helia. */
  content: () => Promise<ContentStore>
  ingest: IngestContext
  network: string
}

/** Writes the bundle `request` describes; see the module comment. */
export async function exportBundle(
  ctx: BundleContext,
  request: ExportRequest,
  options: OperationOptions = {},
): Promise<ExportResult> {
  const warnings: string[] = []
  let ids: string[] | undefined
  if (request.ids !== undefined && request.ids.length > 0) {
    const closure = dependencyClosure(ctx.store, request.ids)
    ids = closure.ids
    for (const dep of closure.unknown) {
      warnings.push(`dependency ${dep} is not in this node's catalogue, so the bundle cannot carry it`)
    }
  }
  const previous =
    request.sinceBundle === undefined ? undefined : await readPrevious(request.sinceBundle, ctx.network)

  const records: CID[] = []
  const releases: { record: string; id: string }[] = []
  const filter = {
    ...(ids === undefined ? {} : { ids }),
    ...(request.since === undefined ? {} : { since: request.since }),
  }
  for (const r of ctx.store.iterateRecords(filter)) {
    if (previous?.records.has(r.cid)) continue
    records.push(CID.parse(r.cid))
    if (r.type === 'release') releases.push({ record: r.cid, id: r.id })
  }
  const previousContent = new Set(previous?.packages.map((p) => p.cid.toString()))
  const packages = releasePackages(ctx.store, releases).filter((p) => !previousContent.has(p.cid.toString()))

  const written = await writeBundle(
    request.file,
    {
      network: ctx.network,
      ...(request.since === undefined ? {} : { since: request.since }),
      recordsOnly: request.recordsOnly === true,
      records,
      packages,
    },
    {
      record: (cid) => ctx.store.getRecord(cid.toString()),
      blocks: localBlocks(ctx.content),
      links: contentLinks(ctx.content),
    },
    options,
  )
  if (written.skipped.length > 0) {
    warnings.push(
      `${written.skipped.length} release(s) went in without their content, which this node does not hold: ${written.skipped
        .slice(0, 5)
        .map((s) => `${s.id}@${s.version}`)
        .join(', ')}${written.skipped.length > 5 ? ', ...' : ''}; install them first to carry them`,
    )
  }
  return {
    file: request.file,
    records: written.records,
    blocks: written.blocks,
    bytes: written.bytes,
    packages: written.packages.length,
    ...(request.since === undefined ? {} : { since: new Date(request.since).toISOString() }),
    skipped: written.skipped,
    warnings,
  }
}

/** Imports the bundle at `file`; see the module comment. */
export async function importBundle(
  ctx: BundleContext,
  file: string,
  options: OperationOptions = {},
): Promise<ImportResult> {
  const size = await bundleSize(file)
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 })
  try {
    return await readBundle(file, stream, importTarget(ctx), {
      totalBytes: size,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    })
  } finally {
    stream.destroy()
  }
}

/** `ids` and every id they depend on, in any stored version, transitively. */
export function dependencyClosure(
  store: Store,
  ids: readonly string[],
): { ids: string[]; unknown: string[] } {
  for (const id of ids) {
    if (!PACKAGE_ID_RE.test(id)) throw new UsageError(`"${id}" is not a package id`)
    if (store.versions(id).length === 0 && !hasRecordsOf(store, id)) {
      throw new NotFoundError(
        'ERR_NOT_FOUND',
        `no package ${id} on this node, so there is nothing to export`,
        {
          id,
        },
      )
    }
  }
  const seen = new Set<string>(ids)
  const unknown: string[] = []
  const queue = [...seen]
  while (queue.length > 0) {
    const id = queue.shift()!
    for (const version of store.versions(id)) {
      for (const dep of Object.keys(version.manifest.dependencies)) {
        if (seen.has(dep)) continue
        seen.add(dep)
        if (store.versions(dep).length === 0) unknown.push(dep)
        else queue.push(dep)
      }
    }
  }
  return { ids: [...seen].filter((id) => !unknown.includes(id)), unknown }
}

function hasRecordsOf(store: Store, id: string): boolean {
  return !store.iterateRecords({ ids: [id] }).next().done
}

/** The package each release record publishes. */
function releasePackages(store: Store, releases: readonly { record: string; id: string }[]): BundlePackage[] {
  const byId = new Map<string, Map<string, VersionEntry>>()
  const out: BundlePackage[] = []
  for (const { record, id } of releases) {
    let entries = byId.get(id)
    if (entries === undefined) {
      entries = new Map(store.versions(id).map((v) => [v.record, v]))
      byId.set(id, entries)
    }
    const v = entries.get(record)
    if (v !== undefined) out.push({ id, version: v.version, publisher: v.publisher, cid: CID.parse(v.cid) })
  }
  return out
}

/** The blocks of this node's content store, re-hashed on read, never fetched. */
function localBlocks(open: () => Promise<ContentStore>): DagBlocks & {
  put(cid: CID, bytes: Uint8Array): Promise<void>
} {
  let verified: VerifiedBlockstore | undefined
  return {
    has: async (cid) => (await open()).blockstore.has(cid),
    get: async (cid) => {
      const content = await open()
      verified ??= new VerifiedBlockstore(content.blockstore, {
        evict: (c) => content.evict(c),
        offline: true,
      })
      for await (const bytes of verified.get(cid)) return bytes
      throw new Error(`block ${cid} yielded no bytes`)
    },
    put: async (cid, bytes) => {
      await (await open()).blockstore.put(cid, bytes)
    },
  }
}

function contentLinks(open: () => Promise<ContentStore>): LinkReader {
  return unixfsLinks(async (code) => (await open()).helia.getCodec(code))
}

function importTarget(ctx: BundleContext): ImportTarget {
  return {
    network: ctx.network,
    ingest: (records) => ingestBatch(ctx.ingest, records),
    isSigned: (pkg) =>
      ctx.store
        .versions(pkg.id)
        .some(
          (v) => v.version === pkg.version && v.publisher === pkg.publisher && v.cid === pkg.cid.toString(),
        ),
    blocks: localBlocks(ctx.content),
    links: contentLinks(ctx.content),
  }
}

function ingestBatch(ctx: IngestContext, records: readonly CarSection[]): RecordOutcome[] {
  const results = ingestRecords(
    ctx,
    records.map((r) => ({ bytes: r.bytes, expectedCid: r.cid })),
    'bundle',
  )
  return results.map((result, i) => {
    if (result.ok) return { status: result.result.status }
    return { status: 'rejected', reason: result.error.message, ...claimedBy(records[i]!.bytes) }
  })
}

/** The id and publisher a refused record claims, when it decodes that far: to name it in the report. */
function claimedBy(bytes: Uint8Array): { id?: string; publisher?: string } {
  try {
    const body = (dagCbor.decode(bytes) as { body?: { id?: unknown; publisher?: unknown } }).body
    return {
      ...(typeof body?.id === 'string' ? { id: body.id } : {}),
      ...(typeof body?.publisher === 'string' ? { publisher: body.publisher } : {}),
    }
  } catch {
    return {}
  }
}

async function bundleSize(file: string): Promise<number> {
  try {
    const info = await stat(file)
    if (!info.isFile())
      throw new UsageError(`${file} is not a file; give the path of a bundle made by \`ggen-market export\``)
    return info.size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError('ERR_FILE_NOT_FOUND', `no bundle at ${file}; check the path`, { file })
    }
    throw err
  }
}

/** The index of an earlier bundle, for `--since-bundle`. */
async function readPrevious(
  file: string,
  network: string,
): Promise<{ records: Set<string>; packages: BundleIndex['packages'] }> {
  await bundleSize(file)
  const stream = createReadStream(file, { highWaterMark: 1024 * 1024 })
  let index: BundleIndex
  try {
    index = await readBundleIndex(file, stream)
  } finally {
    stream.destroy()
  }
  if (index.root.network !== network) {
    throw new BundleError(
      'ERR_BUNDLE_NETWORK',
      file,
      `this bundle is for network "${index.root.network}", this node is on "${network}"`,
    )
  }
  return { records: new Set(index.records.keys()), packages: index.packages }
}
