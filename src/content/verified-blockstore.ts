/**
 * A read-only view of a block store that re-hashes every block it returns. blockstore-fs
 * returns whatever bytes are on disk, and Helia only checks blocks that come from the
 * network, so a block damaged on disk (a bad sector, a torn write after a power loss, an
 * edit) would otherwise be handed to the exporter and written into a project as if it were
 * the published content.
 */
import type { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { ContentError, GgenError, NotFoundError } from '../domain/errors.js'
import type { ContentBlockstore } from './blockstore.js'

/** The multihash code of sha2-256, the only hash package DAGs use. */
const SHA2_256 = 0x12

/** Options of a verified read. */
export interface VerifiedReadOptions {
  signal?: AbortSignal
  /** Never ask the network for a missing block (passed on to Helia). */
  offline?: boolean
}

/** Construction options of a `VerifiedBlockstore`. */
export interface VerifiedBlockstoreInit {
  /** Called with a block that failed verification, to remove it from the store. */
  evict?: (cid: CID) => Promise<void>
  /** Called after each block has been read and verified. */
  onBlock?: (cid: CID, bytes: number) => void
  /** Never ask the network for a missing block. @default false */
  offline?: boolean
}

/** See the module comment; `get` is shaped like a Blockstore's so the exporter can use it. */
export class VerifiedBlockstore {
  constructor(
    private readonly inner: Pick<ContentBlockstore, 'get'>,
    private readonly init: VerifiedBlockstoreInit = {},
  ) {}

  /** Yields the block's bytes (in one piece) once they hash to `cid`. */
  async *get(cid: CID, options: VerifiedReadOptions = {}): AsyncGenerator<Uint8Array> {
    if (cid.multihash.code !== SHA2_256) {
      throw new ContentError(
        'ERR_BLOCK_UNSUPPORTED_HASH',
        `block ${cid} uses multihash 0x${cid.multihash.code.toString(16)}; package content must use sha2-256, so this DAG was not made by ggen-market`,
        { cid: cid.toString() },
      )
    }
    const bytes = await this.read(cid, options)
    const digest = await sha256.digest(bytes)
    if (!sameBytes(digest.digest, cid.multihash.digest)) {
      const evicted = await this.evict(cid)
      throw new ContentError(
        'ERR_BLOCK_CORRUPT',
        `block ${cid} in the local content store is damaged: its bytes do not hash to its CID${
          evicted
            ? '; the damaged copy was removed, so run the command again to fetch it from a peer, or import a bundle that contains it'
            : ''
        }`,
        { cid: cid.toString(), evicted },
      )
    }
    this.init.onBlock?.(cid, bytes.byteLength)
    yield bytes
  }

  private async read(cid: CID, options: VerifiedReadOptions): Promise<Uint8Array> {
    const offline = options.offline ?? this.init.offline ?? false
    const chunks: Uint8Array[] = []
    try {
      for await (const chunk of this.inner.get(cid, { signal: options.signal, offline })) chunks.push(chunk)
    } catch (err) {
      // blockstore-fs reports a read cut short by an abort as a missing block.
      options.signal?.throwIfAborted()
      if (isMissingBlock(err)) throw missingBlock(cid, offline || isNoNetwork(err))
      throw err
    }
    return concat(chunks)
  }

  private async evict(cid: CID): Promise<boolean> {
    if (this.init.evict === undefined) return false
    try {
      await this.init.evict(cid)
      return true
    } catch {
      return false
    }
  }
}

/**
 * Returns `err` with the package path it happened under put in front of its message, so
 * a user (and `verify`) can tell which file of the package is affected.
 */
export function atPackagePath(err: unknown, path: string): unknown {
  if (!(err instanceof GgenError) || err.details.path !== undefined) return err
  const where = path === '' ? 'package root' : path
  const details = { ...err.details, path }
  const message = `${where}: ${err.message}`
  if (err instanceof NotFoundError) return new NotFoundError(err.code, message, details)
  if (err instanceof ContentError) return new ContentError(err.code, message, details)
  return err
}

function missingBlock(cid: CID, offline: boolean): NotFoundError {
  const hint = offline
    ? 'and this node is offline; start the daemon so it can fetch it from peers, or import a bundle that contains it'
    : 'and no peer provided it; retry when a peer that has the package is reachable, or import a bundle that contains it'
  return new NotFoundError('ERR_BLOCK_MISSING', `block ${cid} is not in the local content store ${hint}`, {
    cid: cid.toString(),
  })
}

/** The errors blockstore-fs and Helia raise for a block that is not there. */
function isMissingBlock(err: unknown): boolean {
  if (!(err instanceof Error) || err instanceof GgenError) return false
  return (
    err.name === 'NotFoundError' ||
    err.name === 'BlockNotFoundWhileOfflineError' ||
    err.name === 'LoadBlockFailedError' ||
    isNoNetwork(err)
  )
}

/** A light Helia (no block brokers) asked to fetch a block it does not have. */
function isNoNetwork(err: unknown): boolean {
  return (
    err instanceof Error && err.name === 'InvalidConfigurationError' && /block brokers/i.test(err.message)
  )
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0))
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
