/**
 * Builds record blocks for store tests: real dag-cbor envelopes with real CIDs and a dummy
 * signature (the store never checks signatures; records reach it verified).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import * as Digest from 'multiformats/hashes/digest'
import type {
  Manifest,
  RecordBlock,
  RecordBody,
  ReleaseBody,
  RotationBody,
  YankBody,
} from '../../../src/domain/types.js'

/** Three distinct publisher keys. */
export const ALICE = 'did:key:z6MkAliceAliceAliceAliceAliceAliceAliceAlice'
export const BOB = 'did:key:z6MkBobBobBobBobBobBobBobBobBobBobBobBobBob'
export const CAROL = 'did:key:z6MkCarolCarolCarolCarolCarolCarolCarolCaro'

const T0 = 1_700_000_000_000

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest()
}

/** A stand-in UnixFS root CID for some package content. */
export function contentCid(label: string): CID {
  return CID.create(1, 0x70, Digest.create(0x12, sha256(new TextEncoder().encode(label))))
}

/** A minimal valid manifest. */
export function manifest(id: string, version: string, extra: Partial<Manifest> = {}): Manifest {
  return {
    id,
    name: id,
    version,
    description: `the ${id} package`,
    license: 'MIT',
    authors: [],
    keywords: [],
    categories: [],
    dependencies: {},
    extra: {},
    ...extra,
  }
}

/** Encodes a body into a signed-looking envelope block, as the network would carry it. */
export function block<B extends RecordBody>(body: B): RecordBlock<B> {
  const record = { body, sig: new Uint8Array(64).fill(7) }
  const bytes = dagCbor.encode(record)
  const cid = CID.create(1, dagCbor.code, Digest.create(0x12, sha256(bytes)))
  return { cid, bytes, record }
}

type Position = { seq?: number; time?: number }

/** A publisher's log: hands out seq and prev the way a real publisher would. */
export class Log {
  seq = 0
  prev: CID | undefined
  readonly publisher: string

  constructor(publisher: string) {
    this.publisher = publisher
  }

  #header(at: Position): Pick<RecordBody, 'network' | 'publisher' | 'time' | 'seq' | 'prev'> {
    const seq = at.seq ?? this.seq + 1
    const header = { network: 'ggen', publisher: this.publisher, seq, time: at.time ?? T0 + seq * 1000 }
    return this.prev === undefined || seq === 1 ? header : { ...header, prev: this.prev }
  }

  #push<B extends RecordBody>(body: B): RecordBlock<B> {
    const b = block(body)
    if (body.seq > this.seq) {
      this.seq = body.seq
      this.prev = b.cid
    }
    return b
  }

  /** A release of `id@version`; `content` labels the content CID (same label, same CID). */
  release(
    id: string,
    version: string,
    options: Position & { content?: string; size?: number; manifest?: Partial<Manifest> } = {},
  ): RecordBlock<ReleaseBody> {
    return this.#push<ReleaseBody>({
      ...this.#header(options),
      type: 'release',
      id,
      version,
      cid: contentCid(options.content ?? `${id}@${version}`),
      size: options.size ?? 1234,
      manifest: manifest(id, version, options.manifest),
    })
  }

  /** A yank of `id@version`. */
  yank(id: string, version: string, reason = 'broken', at: Position = {}): RecordBlock<YankBody> {
    return this.#push<YankBody>({ ...this.#header(at), type: 'yank', id, version, reason })
  }

  /** A rotation handing `id` to `to`. */
  rotation(id: string, to: string, at: Position = {}): RecordBlock<RotationBody> {
    return this.#push<RotationBody>({ ...this.#header(at), type: 'rotation', id, to })
  }
}

/** A fresh temp dir and its removal, for afterEach. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-store-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
