/**
 * The DHT's validator and selector: only records of this network, for the id their key
 * names, properly signed, are accepted; the highest log position wins.
 */
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { generatePublisherKey, type PublisherKey } from '../../../src/domain/keys.js'
import { signRecord } from '../../../src/domain/records.js'
import type { ReleaseBody } from '../../../src/domain/types.js'
import { idKey, selectIdRecord, validateIdRecord } from '../../../src/net/dht.js'

const CONTENT = CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq')

function release(key: PublisherKey, id: string, seq: number, network = 'ggen'): Uint8Array {
  const body: ReleaseBody = {
    type: 'release',
    network,
    publisher: key.did,
    time: 1_700_000_000_000 + seq,
    seq,
    ...(seq > 1 ? { prev: CID.create(1, 0x71, CONTENT.multihash) } : {}),
    id,
    version: `1.0.${seq}`,
    cid: CONTENT,
    size: 1,
    manifest: {
      id,
      name: id,
      version: `1.0.${seq}`,
      description: 'd',
      license: 'MIT',
      authors: [],
      keywords: [],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
  return signRecord(body, key).bytes
}

const text = (s: string) => new TextEncoder().encode(s)

describe('DHT record validator', () => {
  const key = generatePublisherKey()

  it('accepts a signed record of the network under its own id key', () => {
    expect(() => validateIdRecord('ggen', idKey('ggen', 'a.pack'), release(key, 'a.pack', 1))).not.toThrow()
  })

  it('refuses keys outside the namespace, other networks and other ids', () => {
    const value = release(key, 'a.pack', 1)
    expect(() => validateIdRecord('ggen', text('/ipns/a.pack'), value)).toThrow(/outside the namespace/)
    expect(() => validateIdRecord('ggen', idKey('other', 'a.pack'), value)).toThrow(/outside the namespace/)
    expect(() => validateIdRecord('ggen', idKey('ggen', 'b.pack'), value)).toThrow(/under the key of b.pack/)
    const foreign = release(key, 'a.pack', 1, 'other')
    expect(() => validateIdRecord('ggen', idKey('ggen', 'a.pack'), foreign)).toThrow(/network other/)
  })

  it('refuses a record whose signature does not match', () => {
    const value = release(key, 'a.pack', 1)
    value[value.length - 1]! ^= 1
    expect(() => validateIdRecord('ggen', idKey('ggen', 'a.pack'), value)).toThrow()
  })

  it('selects the record with the highest seq, skipping garbage', () => {
    const values = [
      release(key, 'a.pack', 2),
      text('garbage'),
      release(key, 'a.pack', 5),
      release(key, 'a.pack', 3),
    ]
    expect(selectIdRecord(values)).toBe(2)
  })
})
