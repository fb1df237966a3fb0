/**
 * The shared data model: the manifest every package is read into, and the signed records
 * that travel between nodes. Pure types; the code that builds and checks them lives in
 * manifest.ts, records.ts and keys.ts.
 */
import type { CID } from 'multiformats/cid'

/** The default network name (SPEC 7): it names the gossip topic and the sync protocol. */
export const DEFAULT_NETWORK = 'ggen'

/** A package id: SPEC 3's `^[a-z0-9][a-z0-9._-]{0,127}$`. */
export const PACKAGE_ID_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/

/**
 * One package manifest, whichever file it came from (`gpack.toml` or `package.toml`).
 * Field names follow ggen's `gpack.toml`. Values are plain JSON-like data so that the
 * manifest can sit inside a dag-cbor record unchanged.
 */
export interface Manifest {
  id: string
  /** Display title (`name` in gpack.toml); falls back to the id. */
  name: string
  version: string
  description: string
  /** An SPDX license expression. */
  license: string
  authors: string[]
  keywords: string[]
  categories: string[]
  repository?: string
  homepage?: string
  ggen_compat?: string
  /** Marketplace dependencies: id -> semver range. */
  dependencies: Record<string, string>
  /**
   * Every other table and key of the source file, kept as it was (`[templates]`,
   * `[rdf]`, `[queries]`, `[shapes]`, `[preset]`, unknown keys of `[gpack]`, ...).
   */
  extra: Record<string, unknown>
}

/** Which file a manifest was read from. */
export type ManifestSource = 'gpack.toml' | 'package.toml'

/** Fields every record body carries: who signed it and where it sits in their log. */
export interface RecordHeader {
  /** The network the record belongs to; records of another network are refused. */
  network: string
  /** The signing publisher key as `did:key:z6Mk...`. */
  publisher: string
  /** Publish time, milliseconds since the Unix epoch (integer). */
  time: number
  /** Position in the publisher's log: 1, 2, 3, ... */
  seq: number
  /** The record id (envelope CID) of the publisher's previous record; absent when seq is 1. */
  prev?: CID
}

/** A release: (id, version) -> content CID, signed by its publisher. */
export interface ReleaseBody extends RecordHeader {
  type: 'release'
  id: string
  version: string
  /** UnixFS root of the package directory. */
  cid: CID
  /** Total bytes of the package's files. */
  size: number
  manifest: Manifest
}

/** A yank: the publisher withdraws one of its versions from resolution. */
export interface YankBody extends RecordHeader {
  type: 'yank'
  id: string
  version: string
  reason: string
}

/** A key rotation: the old key (the signer) hands an id over to a new key. */
export interface RotationBody extends RecordHeader {
  type: 'rotation'
  id: string
  /** The key that owns the id from now on, as `did:key:z6Mk...`. */
  to: string
}

/** Any signed record body. */
export type RecordBody = ReleaseBody | YankBody | RotationBody

/** The signed envelope; encoded as a dag-cbor block whose CID is the record id. */
export interface SignedRecord<B extends RecordBody = RecordBody> {
  body: B
  /** Ed25519 signature over the domain prefix followed by dag-cbor(body). */
  sig: Uint8Array
}

/** A record together with its id and its encoded envelope bytes. */
export interface RecordBlock<B extends RecordBody = RecordBody> {
  /** The record id: CID (dag-cbor, sha2-256) of the envelope. */
  cid: CID
  /** The encoded envelope, exactly as signed and as sent. */
  bytes: Uint8Array
  record: SignedRecord<B>
}
