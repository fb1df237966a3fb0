import * as dagCbor from '@ipld/dag-cbor'
import fc from 'fast-check'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { InvalidRecordError } from '../../../src/domain/errors.js'
import { generatePublisherKey, type PublisherKey, sign } from '../../../src/domain/keys.js'
import { publisherKeyBytes } from '../../../src/domain/record-schema.js'
import {
  checkTime,
  decodeRecord,
  FUTURE_SKEW_MS,
  MAX_RECORD_BYTES,
  openRecord,
  recordIdOf,
  signingBytes,
  signRecord,
  verifyRecord,
} from '../../../src/domain/records.js'
import type { Manifest, ReleaseBody, RotationBody, YankBody } from '../../../src/domain/types.js'

const CONTENT = CID.parse('bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi')
const TIME = 1_760_000_000_000
const alice = generatePublisherKey()
const bob = generatePublisherKey()

function manifest(over: Partial<Manifest> = {}): Manifest {
  return {
    id: 'io.ggen.rust.cli-subcommand',
    name: 'Rust CLI Subcommand',
    version: '0.1.0',
    description: 'Generate clap subcommands for Rust CLI applications',
    license: 'MIT',
    authors: ['Ada <ada@example.org>'],
    keywords: ['rust', 'cli'],
    categories: ['templates'],
    repository: 'https://example.org/ada/rust-cli',
    dependencies: { 'io.ggen.macros.std': '^0.1' },
    extra: { templates: { patterns: ['*.tmpl'] }, rdf: { base: 'http://example.org/', weight: 1.5 } },
    ...over,
  }
}

function release(key: PublisherKey = alice, over: Partial<ReleaseBody> = {}): ReleaseBody {
  return {
    type: 'release',
    network: 'ggen',
    publisher: key.did,
    time: TIME,
    seq: 1,
    id: 'io.ggen.rust.cli-subcommand',
    version: '0.1.0',
    cid: CONTENT,
    size: 4096,
    manifest: manifest(),
    ...over,
  }
}

function yank(key: PublisherKey = alice, over: Partial<YankBody> = {}): YankBody {
  return {
    type: 'yank',
    network: 'ggen',
    publisher: key.did,
    time: TIME,
    seq: 1,
    id: 'a.b',
    version: '1.0.0',
    reason: 'broken',
    ...over,
  }
}

function rotation(key: PublisherKey = alice, over: Partial<RotationBody> = {}): RotationBody {
  return {
    type: 'rotation',
    network: 'ggen',
    publisher: key.did,
    time: TIME,
    seq: 1,
    id: 'a.b',
    to: bob.did,
    ...over,
  }
}

/** Encodes an envelope as-is (no schema check), with a real signature by `key`. */
function rawEnvelope(body: Record<string, unknown>, key: PublisherKey = alice): Uint8Array {
  const sig = sign(key, signingBytes(body as never))
  return dagCbor.encode({ body, sig })
}

function reasonOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidRecordError)
    return (err as Error).message
  }
  throw new Error('expected an InvalidRecordError, nothing was thrown')
}

describe('signing and opening records', () => {
  it.each([
    ['release', () => release()],
    ['yank', () => yank()],
    ['rotation', () => rotation()],
  ])('round-trips a %s record', (_kind, body) => {
    const block = signRecord(body(), alice)
    expect(block.cid.toString()).toMatch(/^bafyrei/)
    expect(block.cid.equals(recordIdOf(block.bytes))).toBe(true)
    const opened = openRecord(block.bytes, block.cid)
    expect(opened.record).toEqual(block.record)
    expect(opened.record.body).toEqual(body())
    expect(opened.record.sig).toHaveLength(64)
  })

  it('encodes the same body to the same bytes and id, whatever the key order', () => {
    const a = signRecord(release(), alice)
    const reordered = Object.fromEntries(Object.entries(release()).reverse()) as unknown as ReleaseBody
    const b = signRecord(reordered, alice)
    expect(b.bytes).toEqual(a.bytes)
    expect(b.cid.equals(a.cid)).toBe(true)
    expect(signRecord(release(alice, { time: TIME + 1 }), alice).cid.equals(a.cid)).toBe(false)
  })

  it('leaves absent optional fields out of the encoding', () => {
    const body = release(alice, { prev: undefined, manifest: manifest({ homepage: undefined }) })
    const block = signRecord(body, alice)
    expect('prev' in block.record.body).toBe(false)
    expect('homepage' in (block.record.body as ReleaseBody).manifest).toBe(false)
    verifyRecord(decodeRecord(block.bytes))
  })

  it('links a later record to the previous one with prev', () => {
    const first = signRecord(release(), alice)
    const second = signRecord(yank(alice, { seq: 2, prev: first.cid }), alice)
    const opened = openRecord(second.bytes)
    expect(opened.record.body.prev?.equals(first.cid)).toBe(true)
  })

  it('refuses to sign for a key other than the one the body names', () => {
    expect(reasonOf(() => signRecord(release(bob), alice))).toMatch(
      /body.publisher .* is not the signing key/,
    )
  })

  it('rejects a record signed by another key than the one it names', () => {
    const bytes = rawEnvelope(release(alice) as never, bob)
    const block = decodeRecord(bytes)
    expect(reasonOf(() => verifyRecord(block))).toBe(
      `invalid record: signature does not match publisher ${alice.did}`,
    )
  })

  it('verifies a block assembled by hand, from its record rather than its bytes', () => {
    const block = signRecord(yank(), alice)
    const record = dagCbor.decode(block.bytes) as typeof block.record
    verifyRecord({ cid: block.cid, bytes: block.bytes, record })
    const forged = { ...record, body: { ...record.body, reason: 'fine' } }
    expect(reasonOf(() => verifyRecord({ cid: block.cid, bytes: block.bytes, record: forged }))).toMatch(
      /signature does not match/,
    )
  })

  it('rejects bytes whose id is not the expected one', () => {
    const a = signRecord(release(), alice)
    const b = signRecord(yank(), alice)
    expect(reasonOf(() => decodeRecord(a.bytes, b.cid))).toContain(`expected ${b.cid}`)
  })

  it('fails to decode or verify when any single byte of the record changes', () => {
    const block = signRecord(release(), alice)
    fc.assert(
      fc.property(fc.nat(block.bytes.length - 1), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const bytes = Uint8Array.from(block.bytes)
        bytes[pos]! ^= mask
        expect(() => openRecord(bytes)).toThrow(InvalidRecordError)
      }),
      { numRuns: 600 },
    )
  })
})

describe('record schema', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['unknown body key', { ...yank(), extra: 1 }, /body\.extra unknown field/],
    [
      'unknown manifest key',
      { ...release(), manifest: { ...manifest(), tags: [] } },
      /body\.manifest\.tags unknown field/,
    ],
    ['wrong type of seq', { ...yank(), seq: '1' }, /body\.seq must be a safe integer/],
    ['fractional time', { ...yank(), time: 1.5 }, /body\.time must be a safe integer/],
    ['negative size', { ...release(), size: -1 }, /body\.size must not be negative/],
    ['missing reason', (({ reason, ...rest }) => rest)(yank()), /body\.reason is required/],
    ['prev missing at seq 2', { ...yank(), seq: 2 }, /body\.prev is required when seq > 1/],
    [
      'prev present at seq 1',
      { ...yank(), prev: recordIdOf(new Uint8Array([1])) },
      /body\.prev must be absent/,
    ],
    ['prev not a record id', { ...yank(), seq: 2, prev: CONTENT }, /body\.prev must be a record id/],
    ['seq 0', { ...yank(), seq: 0 }, /body\.seq must be 1 or more/],
    ['empty network', { ...yank(), network: '' }, /body\.network must not be empty/],
    ['long network', { ...yank(), network: 'n'.repeat(65) }, /body\.network must be at most 64/],
    ['bad id', { ...yank(), id: 'Not_An_Id' }, /body\.id must match/],
    ['bad version', { ...yank(), version: 'v1.0.0' }, /body\.version must be a semver/],
    [
      'publisher not a did:key',
      { ...yank(), publisher: 'did:web:example.org' },
      /body\.publisher must be an Ed25519 did:key/,
    ],
    ['unknown type', { ...yank(), type: 'delete' }, /body\.type must be "release", "yank" or "rotation"/],
    ['cid not a CID', { ...release(), cid: 'bafy...' }, /body\.cid must be a CID/],
    [
      'manifest id differs',
      { ...release(), manifest: manifest({ id: 'other' }) },
      /body\.manifest\.id must equal/,
    ],
    [
      'manifest version differs',
      { ...release(), manifest: manifest({ version: '0.2.0' }) },
      /body\.manifest\.version must equal/,
    ],
    [
      'bad dependency range',
      { ...release(), manifest: manifest({ dependencies: { 'a.b': 'latest!' } }) },
      /dependencies\.a\.b must be a semver range/,
    ],
    ['long yank reason', { ...yank(), reason: 'x'.repeat(1025) }, /body\.reason must be at most 1024/],
    ['rotation to itself', { ...rotation(), to: alice.did }, /body\.to must be a different key/],
    ['rotation to a non-key', { ...rotation(), to: 'bob' }, /body\.to must be an Ed25519 did:key/],
  ]

  it.each(cases)('rejects %s, naming the field', (_what, body, message) => {
    expect(reasonOf(() => decodeRecord(rawEnvelope(body)))).toMatch(message)
  })

  it('knows the key of every well-formed did:key, past the size of its cache, and none of a malformed one', () => {
    const keys = Array.from({ length: 1100 }, () => generatePublisherKey())
    for (const key of [...keys, ...keys.slice(0, 10)]) {
      expect(Buffer.from(publisherKeyBytes(key.did)!)).toEqual(Buffer.from(key.publicKey))
    }
    expect(publisherKeyBytes(`${alice.did.slice(0, -1)}0`)).toBeUndefined() // 0 is not base58
    expect(publisherKeyBytes('did:key:z6Mk')).toBeUndefined()
  })

  it('rejects an unknown envelope key and a signature of the wrong length', () => {
    const sig = sign(alice, signingBytes(yank()))
    expect(reasonOf(() => decodeRecord(dagCbor.encode({ body: yank(), sig, note: 'hi' })))).toMatch(
      /note unknown field/,
    )
    expect(reasonOf(() => decodeRecord(dagCbor.encode({ body: yank(), sig: sig.slice(1) })))).toMatch(
      /sig must be a 64-byte/,
    )
    expect(reasonOf(() => decodeRecord(dagCbor.encode([yank(), sig])))).toMatch(/\(envelope\) must be a map/)
    expect(reasonOf(() => decodeRecord(new Uint8Array([0xff, 0x00])))).toMatch(/not valid dag-cbor/)
  })

  it('accepts a record of exactly 64 KiB and rejects one byte more', () => {
    const sized = (n: number) => release(alice, { manifest: manifest({ description: 'd'.repeat(n) }) })
    const sizeOf = (n: number) => dagCbor.encode({ body: sized(n), sig: new Uint8Array(64) }).length
    let n = MAX_RECORD_BYTES - sizeOf(0)
    while (sizeOf(n) > MAX_RECORD_BYTES) n--
    expect(sizeOf(n)).toBe(MAX_RECORD_BYTES)
    expect(signRecord(sized(n), alice).bytes).toHaveLength(MAX_RECORD_BYTES)
    expect(reasonOf(() => signRecord(sized(n + 1), alice))).toBe(
      `invalid record: record is ${MAX_RECORD_BYTES + 1} bytes, over the 65536-byte limit`,
    )
  })

  it('rejects encodings that are not canonical dag-cbor', () => {
    const block = signRecord(yank(), alice)
    const { body, sig } = block.record
    // The same map with its two keys in the wrong order: "body" before "sig".
    const parts = [
      new Uint8Array([0xa2]),
      dagCbor.encode('body'),
      dagCbor.encode(body),
      dagCbor.encode('sig'),
      dagCbor.encode(sig),
    ]
    const unsorted = Uint8Array.from(parts.flatMap((p) => [...p]))
    expect(dagCbor.decode(unsorted)).toEqual(block.record)
    expect(reasonOf(() => decodeRecord(unsorted))).toMatch(/not in canonical dag-cbor form/)
    // Trailing bytes after the envelope.
    expect(() => decodeRecord(Uint8Array.from([...block.bytes, 0]))).toThrow(InvalidRecordError)
  })
})

describe('checkTime', () => {
  it('accepts times up to the allowed skew into the future and rejects later ones', () => {
    const now = TIME
    expect(() => checkTime(yank(alice, { time: now + FUTURE_SKEW_MS }), now)).not.toThrow()
    expect(reasonOf(() => checkTime(yank(alice, { time: now + FUTURE_SKEW_MS + 1 }), now))).toMatch(
      /time .* is in the future/,
    )
  })
})
