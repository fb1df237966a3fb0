/** The bundle format on its own: root and index blocks, chunking, and block checks. */
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { describe, expect, it } from 'vitest'
import {
  BUNDLE_FORMAT,
  blockProblem,
  decodePackageList,
  decodeRecordList,
  decodeRoot,
  encodeBlock,
  encodeIndex,
  encodeRoot,
  PACKAGES_PER_LIST,
  RECORDS_PER_LIST,
} from '../../../src/bundle/format.js'

const recordId = (n: number): CID => encodeBlock({ n }).cid
const contentCid = (n: number): CID => CID.createV1(0x70, sha256.digest(new Uint8Array([n, n >> 8])) as never)

describe('root and index', () => {
  it('round-trips, splitting long lists into linked index blocks', () => {
    const records = Array.from({ length: RECORDS_PER_LIST + 5 }, (_, i) => recordId(i))
    const packages = Array.from({ length: PACKAGES_PER_LIST + 1 }, (_, i) => ({
      id: `io.test.p${i}`,
      version: '1.0.0',
      publisher: 'did:key:z6MkTest',
      cid: contentCid(i),
    }))
    const index = encodeIndex(records, packages)
    expect(index.recordLists).toHaveLength(2)
    expect(index.packageLists).toHaveLength(2)
    const root = encodeRoot(
      {
        network: 'ggen',
        created: 1_700_000_000_000,
        recordsOnly: false,
        records: records.length,
        packages: packages.length,
      },
      index,
    )
    const decoded = decodeRoot(root.bytes)
    expect(decoded).toMatchObject({ format: BUNDLE_FORMAT, network: 'ggen', records: records.length })
    expect(decoded.recordLists.map(String)).toEqual(index.recordLists.map((b) => b.cid.toString()))
    expect(root.bytes.byteLength).toBeLessThan(1024)
    const listed = index.recordLists.flatMap((b) => decodeRecordList(b.bytes))
    expect(listed.map(String)).toEqual(records.map(String))
    const pkgs = index.packageLists.flatMap((b) => decodePackageList(b.bytes))
    expect(pkgs.at(-1)).toEqual(packages.at(-1))
  })

  it('refuses a root of another format, with counts its links do not match, or with extra keys', () => {
    const index = encodeIndex([recordId(1)], [])
    const root = dagCbor.decode(
      encodeRoot({ network: 'ggen', created: 1, recordsOnly: true, records: 1, packages: 0 }, index).bytes,
    ) as Record<string, unknown>
    expect(() => decodeRoot(dagCbor.encode({ ...root, format: 'car-of-cats/v1' }))).toThrow(
      /format is "car-of-cats\/v1"/,
    )
    expect(() => decodeRoot(dagCbor.encode({ ...root, records: 9000 }))).toThrow(
      /counts 9000 records but links 1/,
    )
    expect(() => decodeRoot(dagCbor.encode({ ...root, evil: true }))).toThrow(/evil|unrecognized/i)
    expect(() => decodeRoot(dagCbor.encode({ ...root, created: -1 }))).toThrow(/created/)
    expect(() => decodeRoot(new Uint8Array([0xff, 0x00]))).toThrow(/not dag-cbor/)
  })

  it('refuses index entries that are not what they claim', () => {
    const raw = CID.createV1(0x55, sha256.digest(new Uint8Array([1])) as never)
    expect(() => decodeRecordList(dagCbor.encode({ records: [raw] }))).toThrow(/records\.0/)
    expect(() =>
      decodePackageList(
        dagCbor.encode({
          packages: [{ id: '../etc', version: '1.0.0', publisher: 'k', cid: contentCid(1) }],
        }),
      ),
    ).toThrow(/packages\.0\.id/)
  })
})

describe('blockProblem', () => {
  const bytes = new TextEncoder().encode('hello')
  it('accepts bytes that hash to the CID', () => {
    expect(blockProblem(CID.createV1(0x55, sha256.digest(bytes) as never), bytes)).toBeUndefined()
  })
  it('names a mismatch and a hash other than sha2-256', () => {
    const cid = CID.createV1(0x55, sha256.digest(bytes) as never)
    expect(blockProblem(cid, new TextEncoder().encode('hellO'))).toMatch(/do not hash to its CID/)
    expect(blockProblem(CID.createV1(0x55, identity.digest(bytes)), bytes)).toMatch(
      /multihash 0x0; bundles use sha2-256/,
    )
  })
})
