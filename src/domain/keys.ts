/**
 * Publisher keys (SPEC 4): an Ed25519 key shown as `did:key:z6Mk...`, signing and
 * verifying with it, and the key file that keeps it in the node's home (mode 0600).
 *
 * The key file is a JSON Web Key (RFC 8037, `{"kty":"OKP","crv":"Ed25519","x","d"}`) with
 * the did:key as its `kid`: one line of standard JSON, so it also fits in an environment
 * variable for CI, and other tools can read it.
 */
import { varint } from 'multiformats'
import { base58btc } from 'multiformats/bases/base58'
import { PUBLIC_KEY_BYTES, publicKeyOf, randomSeed, SEED_BYTES, signBytes, verifyBytes } from './ed25519.js'
import { KeyError } from './errors.js'
import { readSecretFile, writeSecretFile } from './secret-file.js'

/** A publisher's signing key. `secretKey` is the 32-byte RFC 8032 seed: keep it secret. */
export interface PublisherKey {
  /** The public key as `did:key:z6Mk...`. */
  did: string
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** The multicodec code of an Ed25519 public key. */
const ED25519_PUB_CODE = 0xed
const MULTICODEC_PREFIX = varint.encodeTo(
  ED25519_PUB_CODE,
  new Uint8Array(varint.encodingLength(ED25519_PUB_CODE)),
)
const DID_KEY_PREFIX = 'did:key:'

/** Creates a new random publisher key. */
export function generatePublisherKey(): PublisherKey {
  return publisherKeyFromSeed(randomSeed())
}

/** The publisher key whose secret seed is `seed` (32 bytes). */
export function publisherKeyFromSeed(seed: Uint8Array): PublisherKey {
  if (seed.length !== SEED_BYTES) {
    throw new KeyError('ERR_KEY_INVALID', `a publisher secret key is ${SEED_BYTES} bytes, got ${seed.length}`)
  }
  const publicKey = publicKeyOf(seed)
  return { did: didFromPublicKey(publicKey), publicKey, secretKey: Uint8Array.from(seed) }
}

/** The `did:key:z6Mk...` form of a 32-byte Ed25519 public key. */
export function didFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new KeyError(
      'ERR_KEY_INVALID',
      `an Ed25519 public key is ${PUBLIC_KEY_BYTES} bytes, got ${publicKey.length}`,
    )
  }
  const bytes = new Uint8Array(MULTICODEC_PREFIX.length + PUBLIC_KEY_BYTES)
  bytes.set(MULTICODEC_PREFIX)
  bytes.set(publicKey, MULTICODEC_PREFIX.length)
  return DID_KEY_PREFIX + base58btc.encode(bytes)
}

/** The 32-byte public key a `did:key` names; throws KeyError ERR_KEY_INVALID if it is not an Ed25519 did:key. */
export function publicKeyFromDid(did: string): Uint8Array {
  const bad = (why: string): KeyError =>
    new KeyError('ERR_KEY_INVALID', `${JSON.stringify(did)} is not an Ed25519 did:key (${why})`, { did })
  if (typeof did !== 'string' || !did.startsWith(`${DID_KEY_PREFIX}z`)) {
    throw bad('expected did:key:z6Mk...')
  }
  let bytes: Uint8Array
  try {
    bytes = base58btc.decode(did.slice(DID_KEY_PREFIX.length))
  } catch {
    throw bad('not base58btc')
  }
  if (
    bytes.length !== MULTICODEC_PREFIX.length + PUBLIC_KEY_BYTES ||
    bytes[0] !== MULTICODEC_PREFIX[0] ||
    bytes[1] !== MULTICODEC_PREFIX[1]
  ) {
    throw bad('not a 32-byte ed25519-pub multicodec key')
  }
  return bytes.slice(MULTICODEC_PREFIX.length)
}

/** True when `value` is a well-formed Ed25519 did:key. */
export function isDidKey(value: unknown): value is string {
  if (typeof value !== 'string') return false
  try {
    publicKeyFromDid(value)
    return true
  } catch {
    return false
  }
}

/**
 * A short form of a did:key for display: the last 8 characters of its base58btc key.
 * Every Ed25519 did:key starts `z6Mk`, so the tail is the part that tells keys apart, and
 * `did.endsWith(fingerprint)` matches a fingerprint back to its key.
 */
export function keyFingerprint(did: string): string {
  return did.slice(-8)
}

/** Signs `msg` with the publisher key; returns the 64-byte signature. */
export function sign(key: PublisherKey, msg: Uint8Array): Uint8Array {
  return signBytes(key.secretKey, msg)
}

/** True when `sig` is `key`'s signature of `msg`; `key` is a did:key or raw public key bytes. A malformed key is false. */
export function verify(key: string | Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  let publicKey: Uint8Array
  if (typeof key === 'string') {
    if (!isDidKey(key)) return false
    publicKey = publicKeyFromDid(key)
  } else {
    publicKey = key
  }
  return verifyBytes(publicKey, msg, sig)
}

/** The key file text: one line of JWK JSON and a newline. */
export function formatKey(key: PublisherKey): string {
  const jwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    kid: key.did,
    x: Buffer.from(key.publicKey).toString('base64url'),
    d: Buffer.from(key.secretKey).toString('base64url'),
  }
  return `${JSON.stringify(jwk)}\n`
}

/**
 * Parses key file text (as `formatKey` writes it) into a publisher key; `source` names
 * the file or variable in errors. Throws KeyError ERR_KEY_INVALID on anything malformed,
 * including an `x` or `kid` that does not belong to the secret key.
 */
export function parseKey(text: string, source: string): PublisherKey {
  const bad = (why: string): KeyError =>
    new KeyError('ERR_KEY_INVALID', `${source} is not a valid publisher key: ${why}`, { source })
  let jwk: unknown
  try {
    jwk = JSON.parse(text)
  } catch {
    throw bad('expected one JSON object {"kty":"OKP","crv":"Ed25519","d":...}')
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw bad('expected a JSON object')
  const { kty, crv, d, x, kid } = jwk as Record<string, unknown>
  if (kty !== 'OKP' || crv !== 'Ed25519') throw bad('expected "kty":"OKP" and "crv":"Ed25519"')
  if (typeof d !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(d)) throw bad('"d" must be 32 bytes in base64url')
  const key = publisherKeyFromSeed(new Uint8Array(Buffer.from(d, 'base64url')))
  if (x !== undefined && x !== Buffer.from(key.publicKey).toString('base64url')) {
    throw bad('"x" is not the public key of "d"')
  }
  if (kid !== undefined && kid !== key.did) throw bad(`"kid" is not ${key.did}, the did:key of "d"`)
  return key
}

/** Parses a publisher key given in an environment variable (e.g. GGEN_MARKET_KEY), same format as the key file. */
export function keyFromEnv(value: string, name = 'GGEN_MARKET_KEY'): PublisherKey {
  return parseKey(value.trim(), `the ${name} environment variable`)
}

/**
 * Writes `key` to a new key file with mode 0600, never replacing an existing file (KeyError
 * ERR_KEY_EXISTS); a crash leaves either no key file or a whole one (see secret-file.ts).
 */
export async function writeKeyFile(path: string, key: PublisherKey): Promise<void> {
  await writeSecretFile(path, formatKey(key))
}

/**
 * Reads a key file. Like ssh, refuses a file that group or others may read or write
 * (KeyError ERR_KEY_PERMISSIONS, with the chmod that fixes it); a missing file is
 * ERR_KEY_MISSING, malformed content ERR_KEY_INVALID.
 */
export async function readKeyFile(path: string): Promise<PublisherKey> {
  const bytes = await readSecretFile(path, 'publisher key')
  return parseKey(bytes.toString('utf8'), `key file ${path}`)
}
