/**
 * The bundle format (v1), pure: a CAR v1 file whose header names one root, a dag-cbor
 * manifest block. The root states what the bundle holds; the lists of record ids and of
 * packages live in index blocks it links to (a few thousand entries each), so the root
 * stays small however big the catalogue. Blocks follow in the order an importer can
 * stream them: root, record index blocks, package index blocks, the signed records, then
 * each package's content blocks in depth-first DAG order (a parent before its children).
 *
 * Every block is addressed by a sha2-256 CIDv1: records and index blocks are dag-cbor,
 * package content is UnixFS (dag-pb and raw). Nothing in the root is trusted on its own:
 * records are verified by their signatures, content by the CIDs the records sign.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { equals } from 'multiformats/bytes'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { z } from 'zod'
import { PACKAGE_ID_RE } from '../domain/types.js'

/** The `format` value of a v1 bundle root. */
export const BUNDLE_FORMAT = 'ggen-market/bundle/v1'

/** Multicodec codes of the blocks a bundle may hold. */
export const CODEC = { dagCbor: 0x71, dagPb: 0x70, raw: 0x55 } as const

/** The only multihash bundles use. */
export const SHA2_256 = 0x12

/** The largest block a bundle may hold (Bitswap's limit); a longer section is refused unread. */
export const MAX_BLOCK_BYTES = 2 * 1024 * 1024

/** Record ids per index block: ~150 KiB of CIDs. */
export const RECORDS_PER_LIST = 4096

/** Packages per index block: ~300 KiB. */
export const PACKAGES_PER_LIST = 2048

/** One package whose whole content DAG the bundle carries. */
export interface BundlePackage {
  id: string
  version: string
  /** The key that signed the release. */
  publisher: string
  /** The UnixFS root of the package directory, as the release signs it. */
  cid: CID
}

/** The root block: what the bundle holds. */
export interface BundleRoot {
  format: typeof BUNDLE_FORMAT
  network: string
  /** When the bundle was made, ms since the epoch. */
  created: number
  /** The `--since` the export was given, ms since the epoch. */
  since?: number
  /** True when the bundle carries metadata only. */
  recordsOnly: boolean
  /** How many record ids the record index blocks list. */
  records: number
  /** How many packages the package index blocks list. */
  packages: number
  /** Index blocks listing record ids, in order. */
  recordLists: CID[]
  /** Index blocks listing packages, in order. */
  packageLists: CID[]
}

/** A dag-cbor block with its CID. */
export interface EncodedBlock {
  cid: CID
  bytes: Uint8Array
}

/** Encodes `value` as a dag-cbor block addressed by sha2-256. */
export function encodeBlock(value: unknown): EncodedBlock {
  const bytes = dagCbor.encode(value)
  const digest = sha256.digest(bytes)
  if (digest instanceof Promise) throw new Error('sha2-256 must be synchronous on Node')
  return { cid: CID.createV1(CODEC.dagCbor, digest), bytes }
}

/** The index blocks listing `records` and `packages`, in the order they go into the file. */
export function encodeIndex(
  records: readonly CID[],
  packages: readonly BundlePackage[],
): { recordLists: EncodedBlock[]; packageLists: EncodedBlock[] } {
  return {
    recordLists: chunk(records, RECORDS_PER_LIST).map((list) => encodeBlock({ records: list })),
    packageLists: chunk(packages, PACKAGES_PER_LIST).map((list) => encodeBlock({ packages: list })),
  }
}

/** The root block of a bundle whose index blocks are `index`. */
export function encodeRoot(
  fields: Pick<BundleRoot, 'network' | 'created' | 'since' | 'recordsOnly' | 'records' | 'packages'>,
  index: { recordLists: EncodedBlock[]; packageLists: EncodedBlock[] },
): EncodedBlock {
  const root: BundleRoot = {
    format: BUNDLE_FORMAT,
    network: fields.network,
    created: fields.created,
    ...(fields.since === undefined ? {} : { since: fields.since }),
    recordsOnly: fields.recordsOnly,
    records: fields.records,
    packages: fields.packages,
    recordLists: index.recordLists.map((b) => b.cid),
    packageLists: index.packageLists.map((b) => b.cid),
  }
  return encodeBlock(root)
}

const cid = z.custom<CID>((v) => CID.asCID(v) !== null, { message: 'must be a CID' })
const dagCborCid = z.custom<CID>(
  (v) => {
    const c = CID.asCID(v)
    return c !== null && c.version === 1 && c.code === CODEC.dagCbor && c.multihash.code === SHA2_256
  },
  { message: 'must be a dag-cbor sha2-256 CID' },
)
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)
/** ms since the epoch that a JS Date can hold. */
const time = z.number().int().min(0).max(8.64e15)

const rootSchema = z.strictObject({
  format: z.literal(BUNDLE_FORMAT),
  network: z.string().min(1).max(256),
  created: time,
  since: time.optional(),
  recordsOnly: z.boolean(),
  records: count,
  packages: count,
  recordLists: z.array(dagCborCid),
  packageLists: z.array(dagCborCid),
})

const recordListSchema = z.strictObject({ records: z.array(dagCborCid).max(RECORDS_PER_LIST) })

const packageListSchema = z.strictObject({
  packages: z
    .array(
      z.strictObject({
        id: z.string().regex(PACKAGE_ID_RE),
        version: z.string().min(1).max(256),
        publisher: z.string().min(1).max(256),
        cid,
      }),
    )
    .max(PACKAGES_PER_LIST),
})

/** Decodes and checks a root block; the error names what is wrong. */
export function decodeRoot(bytes: Uint8Array): BundleRoot {
  const value = decodeCbor(bytes)
  if (typeof value === 'object' && value !== null && 'format' in value && value.format !== BUNDLE_FORMAT) {
    throw new Error(`its format is ${JSON.stringify(value.format)}, not ${BUNDLE_FORMAT}`)
  }
  const root = parse(rootSchema, value)
  if (root.recordLists.length !== Math.ceil(root.records / RECORDS_PER_LIST)) {
    throw new Error(`it counts ${root.records} records but links ${root.recordLists.length} record lists`)
  }
  if (root.packageLists.length !== Math.ceil(root.packages / PACKAGES_PER_LIST)) {
    throw new Error(`it counts ${root.packages} packages but links ${root.packageLists.length} package lists`)
  }
  return root as BundleRoot
}

/** Decodes and checks a record index block. */
export function decodeRecordList(bytes: Uint8Array): CID[] {
  return parse(recordListSchema, decodeCbor(bytes)).records
}

/** Decodes and checks a package index block. */
export function decodePackageList(bytes: Uint8Array): BundlePackage[] {
  return parse(packageListSchema, decodeCbor(bytes)).packages
}

function decodeCbor(bytes: Uint8Array): unknown {
  try {
    return dagCbor.decode(bytes)
  } catch (err) {
    throw new Error(`it is not dag-cbor (${err instanceof Error ? err.message : String(err)})`)
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value)
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const where = issue.path.length === 0 ? 'the block' : issue.path.map(String).join('.')
  throw new Error(`${where}: ${issue.message}`)
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/**
 * Why `bytes` cannot be the block `cid`, or undefined when they hash to it. Only sha2-256
 * is accepted: it is what ggen-market writes, and a hash the node cannot check is refused.
 */
export function blockProblem(cid: CID, bytes: Uint8Array): string | undefined {
  if (cid.multihash.code !== SHA2_256) {
    return `uses multihash 0x${cid.multihash.code.toString(16)}; bundles use sha2-256 only`
  }
  const digest = sha256.digest(bytes)
  if (digest instanceof Promise) throw new Error('sha2-256 must be synchronous on Node')
  if (!equals(digest.digest, cid.multihash.digest)) return 'its bytes do not hash to its CID'
  return undefined
}
