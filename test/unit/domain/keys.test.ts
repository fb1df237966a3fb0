import { createHash } from 'node:crypto'
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as noble from '@noble/ed25519'
import fc from 'fast-check'
import { base58btc } from 'multiformats/bases/base58'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { KeyError } from '../../../src/domain/errors.js'
import {
  didFromPublicKey,
  formatKey,
  generatePublisherKey,
  isDidKey,
  keyFingerprint,
  keyFromEnv,
  publicKeyFromDid,
  publisherKeyFromSeed,
  readKeyFile,
  sign,
  verify,
  writeKeyFile,
} from '../../../src/domain/keys.js'

noble.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest())

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'))

// RFC 8032 section 7.1, TEST 1 (also RFC 8037 appendix A.1).
const RFC8032_SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
const RFC8032_PUBLIC = hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
const RFC8032_SIG = hex(
  'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
)

function expectKeyError(fn: () => unknown, code: string, message?: string | RegExp): void {
  let caught: unknown
  try {
    fn()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(KeyError)
  expect((caught as KeyError).code).toBe(code)
  if (message !== undefined) expect((caught as KeyError).message).toMatch(message)
}

describe('publisher keys and did:key', () => {
  it('generates a key shown as did:key:z6Mk... that round-trips', () => {
    const key = generatePublisherKey()
    expect(key.did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/)
    expect(key.publicKey).toHaveLength(32)
    expect(key.secretKey).toHaveLength(32)
    expect(publicKeyFromDid(key.did)).toEqual(key.publicKey)
    expect(didFromPublicKey(key.publicKey)).toBe(key.did)
    expect(generatePublisherKey().did).not.toBe(key.did)
  })

  it('matches published did:key vectors (base58 public key -> did)', () => {
    // From the did:key Ed25519 examples (w3c-ccg did-method-key, as used by ACA-Py's tests).
    const vectors = [
      [
        '8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K',
        'did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th',
      ],
      [
        '3Dn1SJNPaCXcvvJvSbsFWP2xaCjMom3can8CQNhWrTRx',
        'did:key:z6Mkgg342Ycpuk263R9d8Aq6MUaxPn1DDeHyGo38EefXmgDL',
      ],
    ] as const
    for (const [publicKeyBase58, did] of vectors) {
      const publicKey = base58btc.baseDecode(publicKeyBase58)
      expect(didFromPublicKey(publicKey)).toBe(did)
      expect(publicKeyFromDid(did)).toEqual(publicKey)
    }
  })

  it('derives the RFC 8032 public key and signature from its seed', () => {
    const key = publisherKeyFromSeed(RFC8032_SEED)
    expect(key.publicKey).toEqual(RFC8032_PUBLIC)
    expect(key.did.startsWith('did:key:z6Mk')).toBe(true)
    expect(sign(key, new Uint8Array())).toEqual(RFC8032_SIG)
    expect(verify(key.did, new Uint8Array(), RFC8032_SIG)).toBe(true)
  })

  it.each([
    ['did:web:example.org', /expected did:key:z6Mk/],
    ['did:key:6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th', /expected did:key:z6Mk/],
    ['did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7t0', /not base58btc/],
    ['did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7', /not a 32-byte ed25519-pub/],
    // A secp256k1 did:key: well formed, but not Ed25519.
    ['did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme', /not a 32-byte ed25519-pub/],
  ])('refuses the malformed did %s with ERR_KEY_INVALID', (did, why) => {
    expectKeyError(() => publicKeyFromDid(did), 'ERR_KEY_INVALID', why)
    expect(isDidKey(did)).toBe(false)
  })

  it('verifies only the right message, key and signature', () => {
    const key = generatePublisherKey()
    const other = generatePublisherKey()
    const msg = new TextEncoder().encode('hello')
    const sig = sign(key, msg)
    expect(sig).toHaveLength(64)
    expect(verify(key.did, msg, sig)).toBe(true)
    expect(verify(key.publicKey, msg, sig)).toBe(true)
    expect(verify(other.did, msg, sig)).toBe(false)
    expect(verify(key.did, new TextEncoder().encode('hellp'), sig)).toBe(false)
    expect(verify(key.did, msg, sig.slice(0, 63))).toBe(false)
    expect(verify('did:key:nonsense', msg, sig)).toBe(false)
    expect(verify(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false)
  })

  it('shows a fingerprint that is the tail of the did', () => {
    const key = generatePublisherKey()
    const fp = keyFingerprint(key.did)
    expect(fp).toHaveLength(8)
    expect(key.did.endsWith(fp)).toBe(true)
    expect(keyFingerprint('did:key:z6MkmjY8GnV5i9YTDtPETC2uUAW6ejw3nk5mXF5yci5ab7th')).toBe('ci5ab7th')
  })
})

describe('node:crypto and @noble/ed25519 agree', () => {
  it('each verifies what the other signed, and both refuse a tampered message', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 2048 }),
        fc.nat(),
        (seed, msg, flip) => {
          const key = publisherKeyFromSeed(seed)
          expect(noble.getPublicKey(seed)).toEqual(key.publicKey)
          const ours = sign(key, msg)
          const theirs = noble.sign(msg, seed)
          expect(theirs).toEqual(ours) // Ed25519 signatures are deterministic
          expect(noble.verify(ours, msg, key.publicKey, { zip215: false })).toBe(true)
          expect(verify(key.did, msg, theirs)).toBe(true)
          const bad = Uint8Array.from(ours)
          bad[flip % 64]! ^= 1
          expect(verify(key.did, msg, bad)).toBe(false)
          expect(noble.verify(bad, msg, key.publicKey)).toBe(false)
        },
      ),
      { numRuns: 40 },
    )
  })
})

describe('key files', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ggen-keys-'))
  })
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a 0600 key file that reads back as the same key', async () => {
    const key = generatePublisherKey()
    const path = join(dir, 'keys', 'publisher.key')
    await writeKeyFile(path, key)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readKeyFile(path)).toEqual(key)
    expect(await readdir(join(dir, 'keys'))).toEqual(['publisher.key']) // no temp file left
    const jwk = JSON.parse(await readFile(path, 'utf8'))
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: key.did })
  })

  it('never overwrites an existing key file', async () => {
    const path = join(dir, 'publisher.key')
    const first = generatePublisherKey()
    await writeKeyFile(path, first)
    const before = await readFile(path, 'utf8')
    await expect(writeKeyFile(path, generatePublisherKey())).rejects.toMatchObject({
      code: 'ERR_KEY_EXISTS',
      message: expect.stringContaining(path),
    })
    expect(await readFile(path, 'utf8')).toBe(before)
    expect(await readdir(dir)).toEqual(['publisher.key'])
  })

  it('refuses a key file others can read, saying how to fix it', async () => {
    const path = join(dir, 'publisher.key')
    await writeKeyFile(path, generatePublisherKey())
    await chmod(path, 0o644)
    await expect(readKeyFile(path)).rejects.toMatchObject({
      code: 'ERR_KEY_PERMISSIONS',
      message: `key file ${path} is readable by others (mode 0644); run: chmod 600 ${path}`,
    })
    await chmod(path, 0o620)
    await expect(readKeyFile(path)).rejects.toMatchObject({
      code: 'ERR_KEY_PERMISSIONS',
      message: `key file ${path} is writable by others (mode 0620); run: chmod 600 ${path}`,
    })
    await chmod(path, 0o600)
    await expect(readKeyFile(path)).resolves.toHaveProperty('did')
  })

  it('says to run init when the key file is missing', async () => {
    const path = join(dir, 'publisher.key')
    await expect(readKeyFile(path)).rejects.toMatchObject({
      code: 'ERR_KEY_MISSING',
      message: expect.stringContaining('ggen-market init'),
    })
  })

  it.each([
    ['not json', 'hello'],
    ['wrong key type', JSON.stringify({ kty: 'EC', crv: 'P-256', d: 'x' })],
    ['short secret', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', d: 'AAAA' })],
    ['empty file', ''],
  ])('refuses malformed key file content (%s) with ERR_KEY_INVALID', async (_what, content) => {
    const path = join(dir, 'publisher.key')
    await writeFile(path, content, { mode: 0o600 })
    await expect(readKeyFile(path)).rejects.toMatchObject({
      code: 'ERR_KEY_INVALID',
      message: expect.stringContaining(path),
    })
  })

  it('refuses a key file whose public key or did does not belong to its secret', async () => {
    const key = generatePublisherKey()
    const other = generatePublisherKey()
    const jwk = JSON.parse(formatKey(key))
    const path = join(dir, 'publisher.key')
    await writeFile(path, JSON.stringify({ ...jwk, kid: other.did }), { mode: 0o600 })
    await expect(readKeyFile(path)).rejects.toMatchObject({ code: 'ERR_KEY_INVALID', message: /"kid"/ })
    expectKeyError(
      () => keyFromEnv(JSON.stringify({ ...jwk, x: Buffer.from(other.publicKey).toString('base64url') })),
      'ERR_KEY_INVALID',
      /"x" is not the public key/,
    )
  })

  it('reads a key from an environment variable in the key file format', () => {
    const key = generatePublisherKey()
    expect(keyFromEnv(`  ${formatKey(key)}  `)).toEqual(key)
    expectKeyError(() => keyFromEnv('garbage'), 'ERR_KEY_INVALID', /GGEN_MARKET_KEY environment variable/)
  })
})
