/**
 * Raw Ed25519 (RFC 8032) over node:crypto, the implementation every node uses to sign and
 * check records. node:crypto (OpenSSL) was chosen over @noble/ed25519 by measurement:
 * test/bench/ed25519.bench.ts shows it about 14x faster at verifying, which is the ingest
 * hot path (figures in that file's header). Keys here are bare bytes: a
 * 32-byte seed (the RFC 8032 secret key) and a 32-byte public key.
 */
import { createPrivateKey, createPublicKey, type KeyObject, randomBytes, sign, verify } from 'node:crypto'

/** Bytes of an Ed25519 public key, a secret seed, and a signature. */
export const PUBLIC_KEY_BYTES = 32
export const SEED_BYTES = 32
export const SIGNATURE_BYTES = 64

// DER headers that turn raw key bytes into the SPKI / PKCS#8 forms OpenSSL imports
// (RFC 8410): the raw key is the last 32 bytes of each.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

/**
 * Public KeyObjects by key bytes. Importing a key costs about a third of a verify, and a
 * node sees the same few publishers again and again; the cap bounds memory when a peer
 * sends records from many throwaway keys.
 */
const KEY_CACHE_MAX = 1024
const keyCache = new Map<string, KeyObject>()

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1')
  const hit = keyCache.get(id)
  if (hit !== undefined) {
    // Re-insert to keep the Map's order least-recently-used first.
    keyCache.delete(id)
    keyCache.set(id, hit)
    return hit
  }
  const key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value as string)
  keyCache.set(id, key)
  return key
}

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== SEED_BYTES)
    throw new RangeError(`an Ed25519 seed is ${SEED_BYTES} bytes, got ${seed.length}`)
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
}

/** A fresh random 32-byte secret seed. */
export function randomSeed(): Uint8Array {
  return new Uint8Array(randomBytes(SEED_BYTES))
}

/** The 32-byte public key of a seed. */
export function publicKeyOf(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' })
  return new Uint8Array(spki.subarray(SPKI_PREFIX.length))
}

/** Signs `msg` with the key of `seed`; returns the 64-byte signature. */
export function signBytes(seed: Uint8Array, msg: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, msg, privateKeyObject(seed)))
}

/**
 * True when `sig` is a valid signature of `msg` by `publicKey`. Malformed input (wrong
 * lengths, bytes that are not a curve point) is simply not valid: it returns false.
 */
export function verifyBytes(publicKey: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || sig.length !== SIGNATURE_BYTES) return false
  try {
    return verify(null, msg, publicKeyObject(publicKey), sig)
  } catch {
    return false
  }
}
