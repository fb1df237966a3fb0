/**
 * Reads a bundle stream and loads what checks out, holding one block at a time. The root
 * and its index blocks are read first and must be exactly right (else nothing is stored
 * and a BundleError says why); after that every block is hashed against its CID, records
 * go in batches through the node's one ingest path, and a content block is stored only if
 * it belongs to a listed package whose release the node holds signed (the CID of a
 * package's root is in that record; every other block is reached from a block already
 * accepted, since the file lists parents before children). Whatever fails is named in
 * the report and the good rest is kept.
 */
import type { CID } from 'multiformats/cid'
import { CarReadError, type CarSection } from './car-read.js'
import { checkDag, type DagBlocks, isContentCodec, type LinkReader } from './dag.js'
import { BundleError } from './errors.js'
import { type BundlePackage, blockProblem } from './format.js'
import { openBundle, readIndex } from './read-index.js'
import { type RecordOutcome, Report } from './report.js'
import type { BundleProgressEvent, ImportReport } from './types.js'

/** Records ingested per batch (one SQLite commit each). */
const RECORD_BATCH = 256

/** What an import writes to. */
export interface ImportTarget {
  network: string
  /** Ingests records through the node's ingest path; one outcome per record, in order. */
  ingest(records: readonly CarSection[]): RecordOutcome[]
  /** Whether the node holds a valid release binding `pkg`'s id, version and publisher to its CID. */
  isSigned(pkg: BundlePackage): boolean
  blocks: DagBlocks & { put(cid: CID, bytes: Uint8Array): Promise<void> }
  links: LinkReader
}

/** Options of `readBundle`. */
export interface ReadBundleOptions {
  /** The file's size, for progress. */
  totalBytes?: number
  signal?: AbortSignal
  onProgress?: (event: BundleProgressEvent) => void
}

/** Imports the bundle `source` (read from `file`, named in messages) into `target`. */
export async function readBundle(
  file: string,
  source: AsyncIterable<Uint8Array>,
  target: ImportTarget,
  options: ReadBundleOptions = {},
): Promise<ImportReport> {
  const { signal, onProgress } = options
  const reader = await openBundle(file, source)
  const { root, records, packages } = await readIndex(file, reader)
  if (root.network !== target.network) {
    throw new BundleError(
      'ERR_BUNDLE_NETWORK',
      file,
      `this bundle is for network "${root.network}", this node is on "${target.network}"; nothing was imported`,
      { network: root.network },
    )
  }

  const report = new Report(file, root)
  const seenRecords = new Set<string>()
  const expected = new Set<string>()
  let batch: CarSection[] = []
  let contentStarted = false
  let blocksRead = 1 + root.recordLists.length + root.packageLists.length
  let reported = 0

  const flush = (): void => {
    if (batch.length === 0) return
    const outcomes = target.ingest(batch)
    for (const [i, outcome] of outcomes.entries()) report.record(batch[i]!.cid, outcome)
    batch = []
  }
  const startContent = (): void => {
    if (contentStarted) return
    contentStarted = true
    flush()
    for (const pkg of packages) {
      if (target.isSigned(pkg)) expected.add(pkg.cid.toString())
      else report.unsigned(pkg)
    }
  }

  for (;;) {
    signal?.throwIfAborted()
    let section: CarSection | undefined
    try {
      section = await reader.next()
    } catch (err) {
      if (!(err instanceof CarReadError)) throw err
      const kind = err.kind === 'truncated' ? 'file-truncated' : 'file-malformed'
      report.problem({ kind, reason: `${err.message}; reading stopped there, what came before was kept` })
      break
    }
    if (section === undefined) break
    blocksRead++
    if (onProgress !== undefined && reader.position - reported >= 1024 * 1024) {
      reported = reader.position
      onProgress({
        type: 'bundle:read',
        blocks: blocksRead,
        bytes: reader.position,
        totalBytes: options.totalBytes ?? 0,
      })
    }
    const { cid, bytes } = section
    const key = cid.toString()
    const isRecord = records.has(key)
    const bad = blockProblem(cid, bytes)
    if (bad !== undefined) {
      report.problem({ kind: 'block-invalid', cid: key, reason: `block ${key} ${bad}; it was not stored` })
      if (isRecord && !seenRecords.has(key)) {
        seenRecords.add(key)
        report.records.rejected++
      }
      continue
    }
    if (isRecord) {
      if (seenRecords.has(key)) continue
      seenRecords.add(key)
      batch.push(section)
      if (batch.length >= RECORD_BATCH) flush()
      continue
    }
    startContent()
    if (!expected.has(key) || !isContentCodec(cid.code)) {
      report.problem({
        kind: 'block-unexpected',
        cid: key,
        reason: `block ${key} is neither a listed record nor part of a listed package's content (after its parent); it was not stored`,
      })
      continue
    }
    let children: CID[]
    try {
      children = await target.links(cid, bytes)
    } catch (err) {
      report.problem({
        kind: 'block-invalid',
        cid: key,
        reason: `block ${key} does not decode (${(err as Error).message}); it was not stored`,
      })
      continue
    }
    if (await target.blocks.has(cid)) report.blocks++
    else {
      await target.blocks.put(cid, bytes)
      report.blocks++
      report.blocksAdded++
    }
    for (const child of children) expected.add(child.toString())
  }
  startContent()
  onProgress?.({
    type: 'bundle:read',
    blocks: blocksRead,
    bytes: reader.position,
    totalBytes: reader.position,
  })
  report.bytes = reader.position

  for (const [key, cid] of records) {
    if (!seenRecords.has(key)) {
      report.problem({
        kind: 'record-missing',
        cid: cid.toString(),
        reason: `record ${key} is listed in the bundle's index but not in the file`,
      })
    }
  }
  await checkPackages(packages, target, report, options)
  return report.done()
}

/** Walks each listed, signed package in the store: complete, or named with a missing block. */
async function checkPackages(
  packages: readonly BundlePackage[],
  target: ImportTarget,
  report: Report,
  options: ReadBundleOptions,
): Promise<void> {
  const results = new Map<string, CID[]>()
  for (const [i, pkg] of packages.entries()) {
    options.onProgress?.({ type: 'bundle:check', packages: i, totalPackages: packages.length })
    if (report.isUnsigned(pkg)) {
      report.packages.incomplete++
      continue
    }
    const key = pkg.cid.toString()
    let missing = results.get(key)
    if (missing === undefined) {
      missing = (
        await checkDag(target.blocks, target.links, pkg.cid, { signal: options.signal, maxMissing: 1 })
      ).missing
      results.set(key, missing)
    }
    if (missing.length === 0) {
      report.packages.complete++
      continue
    }
    report.packages.incomplete++
    report.problem({
      kind: 'package-incomplete',
      cid: key,
      id: pkg.id,
      version: pkg.version,
      publisher: pkg.publisher,
      reason: `${pkg.id}@${pkg.version} is incomplete: block ${missing[0]} of its content is neither in the bundle nor in the store; its record was kept, install will fail until the content arrives`,
    })
  }
  options.onProgress?.({ type: 'bundle:check', packages: packages.length, totalPackages: packages.length })
}
