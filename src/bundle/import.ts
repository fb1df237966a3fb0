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
import { type BundleIndex, openBundle, readIndex } from './read-index.js'
import { type RecordOutcome, Report } from './report.js'
import type { BundleProgressEvent, ImportReport } from './types.js'

/** Records ingested per batch (one SQLite commit each). */
const RECORD_BATCH = 256

/** Content blocks being written at once. */
const PARALLEL_WRITES = 8

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
  const reader = await openBundle(file, source)
  const index = await readIndex(file, reader)
  if (index.root.network !== target.network) {
    throw new BundleError(
      'ERR_BUNDLE_NETWORK',
      file,
      `this bundle is for network "${index.root.network}", this node is on "${target.network}"; nothing was imported`,
      { network: index.root.network },
    )
  }
  const run = new BundleImport(target, index, new Report(file, index.root))
  let blocks = 1 + index.root.recordLists.length + index.root.packageLists.length
  let reported = 0
  const progress = (totalBytes: number): void =>
    options.onProgress?.({ type: 'bundle:read', blocks, bytes: reader.position, totalBytes })
  try {
    for (;;) {
      options.signal?.throwIfAborted()
      run.throwIfWriteFailed()
      let section: CarSection | undefined
      try {
        section = await reader.next()
      } catch (err) {
        if (!(err instanceof CarReadError)) throw err
        run.report.problem({
          kind: err.kind === 'truncated' ? 'file-truncated' : 'file-malformed',
          reason: `${err.message}; reading stopped there, what came before was kept`,
        })
        break
      }
      if (section === undefined) break
      blocks++
      if (reader.position - reported >= 1024 * 1024) {
        reported = reader.position
        progress(options.totalBytes ?? 0)
      }
      await run.accept(section)
    }
  } finally {
    // Nothing may still be writing once the import has returned or thrown.
    await run.drain()
  }
  run.throwIfWriteFailed()
  run.finishRecords()
  progress(reader.position)
  run.report.bytes = reader.position
  await checkPackages(index.packages, target, run.report, options)
  return run.report.done()
}

/** The state of one import between the index and the end of the file. */
class BundleImport {
  private readonly seenRecords = new Set<string>()
  /** Content blocks a listed, signed package reaches through blocks accepted so far. */
  private readonly expected = new Set<string>()
  private readonly writing = new Map<string, Promise<void>>()
  private batch: CarSection[] = []
  private contentStarted = false
  private writeError: unknown

  constructor(
    private readonly target: ImportTarget,
    private readonly index: BundleIndex,
    readonly report: Report,
  ) {}

  /** Takes one section of the file: a record, a content block, or something refused. */
  async accept(section: CarSection): Promise<void> {
    const { cid, bytes } = section
    const key = cid.toString()
    const isRecord = this.index.records.has(key)
    const bad = blockProblem(cid, bytes)
    if (bad !== undefined) {
      this.report.problem({
        kind: 'block-invalid',
        cid: key,
        reason: `block ${key} ${bad}; it was not stored`,
      })
      if (isRecord && !this.seenRecords.has(key)) {
        this.seenRecords.add(key)
        this.report.records.rejected++
      }
      return
    }
    if (isRecord) {
      if (this.seenRecords.has(key)) return
      this.seenRecords.add(key)
      this.batch.push(section)
      if (this.batch.length >= RECORD_BATCH) this.flush()
      return
    }
    this.startContent()
    if (!this.expected.has(key) || !isContentCodec(cid.code)) {
      this.report.problem({
        kind: 'block-unexpected',
        cid: key,
        reason: `block ${key} is neither a listed record nor part of a listed package's content (after its parent); it was not stored`,
      })
      return
    }
    let children: CID[]
    try {
      children = await this.target.links(cid, bytes)
    } catch (err) {
      this.report.problem({
        kind: 'block-invalid',
        cid: key,
        reason: `block ${key} does not decode (${(err as Error).message}); it was not stored`,
      })
      return
    }
    for (const child of children) this.expected.add(child.toString())
    this.report.blocks++
    if (!this.writing.has(key)) await this.write(key, cid, bytes)
  }

  /** Ingests what is still batched, decides which packages are signed, names records never seen. */
  finishRecords(): void {
    this.startContent()
    for (const [key, cid] of this.index.records) {
      if (this.seenRecords.has(key)) continue
      this.report.problem({
        kind: 'record-missing',
        cid: cid.toString(),
        reason: `record ${key} is listed in the bundle's index but not in the file`,
      })
    }
  }

  /** Waits for the writes in flight. */
  async drain(): Promise<void> {
    await Promise.all(this.writing.values())
  }

  /** Rethrows the first failed write (a full disk): the import cannot go on. */
  throwIfWriteFailed(): void {
    if (this.writeError !== undefined) throw this.writeError
  }

  /**
   * Stores a block, overlapping with reading and hashing the next ones, a few at a time.
   * The promise kept never rejects (the failure is kept for throwIfWriteFailed), so none
   * is left unhandled when the import stops early.
   */
  private async write(key: string, cid: CID, bytes: Uint8Array): Promise<void> {
    const write = storeBlock(this.target, cid, bytes)
      .then(
        (added) => {
          if (added) this.report.blocksAdded++
        },
        (err: unknown) => {
          this.writeError ??= err
        },
      )
      .finally(() => this.writing.delete(key))
    this.writing.set(key, write)
    if (this.writing.size >= PARALLEL_WRITES) await Promise.race(this.writing.values())
  }

  private flush(): void {
    if (this.batch.length === 0) return
    const outcomes = this.target.ingest(this.batch)
    for (const [i, outcome] of outcomes.entries()) this.report.record(this.batch[i]!.cid, outcome)
    this.batch = []
  }

  /** Records come first: once content starts they are all in, and say which packages are signed. */
  private startContent(): void {
    if (this.contentStarted) return
    this.contentStarted = true
    this.flush()
    for (const pkg of this.index.packages) {
      if (this.target.isSigned(pkg)) this.expected.add(pkg.cid.toString())
      else this.report.unsigned(pkg)
    }
  }
}

/** Stores one verified block unless the store has it; true when it was new. */
async function storeBlock(target: ImportTarget, cid: CID, bytes: Uint8Array): Promise<boolean> {
  if (await target.blocks.has(cid)) return false
  await target.blocks.put(cid, bytes)
  return true
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
    // Every 32 packages: one notification per package would flood a client of a big import.
    if (i % 32 === 0)
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
