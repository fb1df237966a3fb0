/**
 * Writes a bundle (see format.ts) from what a node holds, in two passes so the root can
 * come first: the first finds which releases' content is wholly present (only complete
 * packages are listed, so an import can hold the bundle to its word), the second writes
 * root, index, records and content blocks. Which records go in is the caller's choice
 * (node/bundle.ts): this module only knows blocks.
 */
import type { CID } from 'multiformats/cid'
import { CarFileWriter } from './car-write.js'
import { checkDag, type DagBlocks, dagBlocks, type LinkReader } from './dag.js'
import { type BundlePackage, encodeIndex, encodeRoot } from './format.js'
import type { BundleProgressEvent, SkippedPackage } from './types.js'

/** What to put in a bundle. */
export interface ExportPlan {
  network: string
  /** @default Date.now() */
  created?: number
  since?: number
  recordsOnly: boolean
  /** Record ids, in the order an importer should ingest them. */
  records: readonly CID[]
  /** Releases whose content should go in (ignored when `recordsOnly`). */
  packages: readonly BundlePackage[]
}

/** Where the blocks come from. */
export interface ExportSource {
  /** A record's envelope bytes. */
  record(cid: CID): Uint8Array | undefined
  blocks: DagBlocks
  links: LinkReader
}

/** Options of `writeBundle`. */
export interface WriteBundleOptions {
  signal?: AbortSignal
  onProgress?: (event: BundleProgressEvent) => void
}

/** What `writeBundle` wrote. */
export interface WrittenBundle {
  records: number
  blocks: number
  bytes: number
  packages: BundlePackage[]
  skipped: SkippedPackage[]
}

/** Writes the bundle `plan` describes to `file`, atomically; see the module comment. */
export async function writeBundle(
  file: string,
  plan: ExportPlan,
  source: ExportSource,
  options: WriteBundleOptions = {},
): Promise<WrittenBundle> {
  const { signal, onProgress } = options
  const { packages, skipped, contentBlocks } = plan.recordsOnly
    ? { packages: [], skipped: [], contentBlocks: 0 }
    : await completePackages(plan.packages, source, signal)

  const index = encodeIndex(plan.records, packages)
  const root = encodeRoot(
    {
      network: plan.network,
      created: plan.created ?? Date.now(),
      since: plan.since,
      recordsOnly: plan.recordsOnly,
      records: plan.records.length,
      packages: packages.length,
    },
    index,
  )
  const head = [root, ...index.recordLists, ...index.packageLists]
  // An estimate: blocks shared between packages are counted once per package here.
  const totalBlocks = head.length + plan.records.length + contentBlocks

  const out = await CarFileWriter.create(file, root.cid)
  let blocks = 0
  let reported = 0
  const put = async (cid: CID, bytes: Uint8Array): Promise<void> => {
    await out.put(cid, bytes)
    blocks++
    if (onProgress !== undefined && (blocks % 256 === 0 || out.bytes - reported >= 1024 * 1024)) {
      reported = out.bytes
      onProgress({ type: 'bundle:write', blocks, totalBlocks, bytes: out.bytes })
    }
  }
  try {
    for (const block of head) await put(block.cid, block.bytes)
    for (const cid of plan.records) {
      signal?.throwIfAborted()
      const bytes = source.record(cid)
      if (bytes === undefined) throw new Error(`record ${cid} disappeared from the store during the export`)
      await put(cid, bytes)
    }
    const written = new Set<string>()
    for (const pkg of packages) {
      for await (const block of dagBlocks(source.blocks, source.links, pkg.cid, written, { signal })) {
        await put(block.cid, block.bytes)
      }
    }
    const bytes = await out.commit()
    onProgress?.({ type: 'bundle:write', blocks, totalBlocks: blocks, bytes })
    return { records: plan.records.length, blocks, bytes, packages, skipped }
  } catch (err) {
    await out.abort()
    throw err
  }
}

/** The packages whose content DAG is wholly present, and those left out with the reason. */
async function completePackages(
  candidates: readonly BundlePackage[],
  source: ExportSource,
  signal: AbortSignal | undefined,
): Promise<{ packages: BundlePackage[]; skipped: SkippedPackage[]; contentBlocks: number }> {
  const packages: BundlePackage[] = []
  const skipped: SkippedPackage[] = []
  const checked = new Map<string, { present: number; missing: CID[] }>()
  let contentBlocks = 0
  for (const pkg of candidates) {
    const key = pkg.cid.toString()
    let check = checked.get(key)
    if (check === undefined) {
      check = await checkDag(source.blocks, source.links, pkg.cid, { signal, maxMissing: 1 })
      checked.set(key, check)
      if (check.missing.length === 0) contentBlocks += check.present
    }
    if (check.missing.length === 0) {
      packages.push(pkg)
      continue
    }
    skipped.push({
      id: pkg.id,
      version: pkg.version,
      publisher: pkg.publisher,
      cid: key,
      reason: `its content is not all in this node's store (block ${check.missing[0]} is missing); install it, or run a daemon with seed = "all", before exporting`,
    })
  }
  return { packages, skipped, contentBlocks }
}
