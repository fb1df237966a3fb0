/**
 * Package DAGs seen block by block, as a bundle carries them: which blocks a DAG has, and
 * all of them in depth-first pre-order (every parent before its children), which is the
 * order an importer needs to know a block belongs to a package before storing it.
 * Package content is UnixFS: dag-pb nodes with links, and raw leaves without.
 */
import type { BlockCodec } from 'multiformats'
import { createUnsafe } from 'multiformats/block'
import type { CID } from 'multiformats/cid'
import { CODEC } from './format.js'

/** The local blocks a walk reads: never the network. */
export interface DagBlocks {
  has(cid: CID): Promise<boolean>
  /** The block's verified bytes; throws when it is missing or damaged. */
  get(cid: CID): Promise<Uint8Array>
}

/** The CIDs a block links to; throws when the bytes do not decode as its codec. */
export type LinkReader = (cid: CID, bytes: Uint8Array) => Promise<CID[]>

/** A codec loader such as Helia's `getCodec`. */
export type CodecLoader = (code: number) => BlockCodec<number, unknown> | Promise<BlockCodec<number, unknown>>

/** True for the codecs package content may use. */
export function isContentCodec(code: number): boolean {
  return code === CODEC.dagPb || code === CODEC.raw
}

/** A `LinkReader` for UnixFS blocks, decoding dag-pb with the codec `getCodec` loads. */
export function unixfsLinks(getCodec: CodecLoader): LinkReader {
  return async (cid, bytes) => {
    if (cid.code === CODEC.raw) return []
    if (cid.code !== CODEC.dagPb) {
      throw new Error(`codec 0x${cid.code.toString(16)} is not UnixFS (dag-pb or raw)`)
    }
    const codec = await getCodec(cid.code)
    const block = createUnsafe({ cid, bytes, value: codec.decode(bytes) })
    return [...block.links()].map(([, link]) => link)
  }
}

/** What `checkDag` found. */
export interface DagCheck {
  /** Blocks of the DAG present locally (each counted once). */
  present: number
  /** Blocks known to be missing: a missing node hides its subtree, so this is a lower bound. */
  missing: CID[]
}

/**
 * Which blocks of the DAG `root` are present: raw leaves are only looked up, nodes with
 * links are read and decoded. Stops after `maxMissing` missing blocks.
 */
export async function checkDag(
  blocks: DagBlocks,
  links: LinkReader,
  root: CID,
  options: { signal?: AbortSignal; maxMissing?: number } = {},
): Promise<DagCheck> {
  const maxMissing = options.maxMissing ?? 16
  const seen = new Set<string>()
  const stack = [root]
  const result: DagCheck = { present: 0, missing: [] }
  while (stack.length > 0 && result.missing.length < maxMissing) {
    options.signal?.throwIfAborted()
    const cid = stack.pop()!
    const key = cid.toString()
    if (seen.has(key)) continue
    seen.add(key)
    if (!isContentCodec(cid.code) || !(await blocks.has(cid))) {
      result.missing.push(cid)
      continue
    }
    result.present++
    if (cid.code === CODEC.raw) continue
    const children = await links(cid, await blocks.get(cid))
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
  return result
}

/**
 * Every block of the DAG `root` in depth-first pre-order, read through `blocks`. CIDs in
 * `skip` are left out with their subtrees (they were written already), and every block
 * yielded is added to it.
 */
export async function* dagBlocks(
  blocks: DagBlocks,
  links: LinkReader,
  root: CID,
  skip: Set<string>,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<{ cid: CID; bytes: Uint8Array }> {
  const stack = [root]
  while (stack.length > 0) {
    options.signal?.throwIfAborted()
    const cid = stack.pop()!
    const key = cid.toString()
    if (skip.has(key)) continue
    const bytes = await blocks.get(cid)
    skip.add(key)
    yield { cid, bytes }
    const children = await links(cid, bytes)
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!)
  }
}
