/**
 * Bundles that lie: forged records, swapped, missing and extra blocks, truncated files,
 * bogus roots, another network. Each is built from a good bundle with @ipld/car's reader
 * and writer (a forger's tools), imported into a fresh home, and the test checks what the
 * report names, what was kept, and that nothing bad reached the store.
 */
import { readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { varint } from 'multiformats'
import { CID } from 'multiformats/cid'
import { identity } from 'multiformats/hashes/identity'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { encodeBlock, encodeIndex, encodeRoot } from '../../../src/bundle/format.js'
import {
  type BundlePackage,
  decodePackageList,
  decodeRecordList,
  decodeRoot,
  MAX_BLOCK_BYTES,
} from '../../../src/bundle/index.js'
import type { LocalNode } from '../../../src/node/local-node.js'
import { blockCount, openHome, type PackageSpec, publishAll, readCar, tempDir, writeCar } from './helpers.js'

const SPECS: PackageSpec[] = [
  { id: 'io.test.base', version: '1.0.0' },
  { id: 'io.test.app', version: '2.0.0', dependencies: { 'io.test.base': '^1.0' } },
  { id: 'io.test.other', version: '0.1.0' },
]

type Block = { cid: CID; bytes: Uint8Array }

/** A good bundle taken apart. */
interface Parts {
  roots: CID[]
  blocks: Block[]
  records: Block[]
  packages: BundlePackage[]
  content: Block[]
}

let work: { dir: string; cleanup: () => Promise<void> }
let source: LocalNode
let target: LocalNode
let good: string
let parts: Parts

beforeEach(async () => {
  work = await tempDir()
  source = await openHome(join(work.dir, 'source'))
  target = await openHome(join(work.dir, 'target'))
  await publishAll(source, join(work.dir, 'packages'), SPECS)
  good = join(work.dir, 'good.car')
  await source.exportBundle({ file: good })
  const car = await readCar(good)
  const root = decodeRoot(car.blocks[0]!.bytes)
  const recordIds = new Set(decodeRecordList(car.blocks[1]!.bytes).map(String))
  parts = {
    roots: car.roots,
    blocks: car.blocks,
    records: car.blocks.filter((b) => recordIds.has(b.cid.toString())),
    packages: decodePackageList(car.blocks[2]!.bytes),
    content: car.blocks.slice(3 + root.records),
  }
})
afterEach(async () => {
  await source.close()
  await target.close()
  await work.cleanup()
})

/** A bundle with these records, packages and content, its root and index rebuilt to match. */
async function forge(
  name: string,
  records: Block[],
  packages: BundlePackage[],
  content: Block[],
): Promise<string> {
  const index = encodeIndex(
    records.map((r) => r.cid),
    packages,
  )
  const root = encodeRoot(
    {
      network: 'ggen',
      created: Date.now(),
      recordsOnly: false,
      records: records.length,
      packages: packages.length,
    },
    index,
  )
  const file = join(work.dir, name)
  await writeCar(
    file,
    [root.cid],
    [root, ...index.recordLists, ...index.packageLists, ...records, ...content],
  )
  return file
}

function recordOf(id: string): Block {
  return parts.records.find((r) => (dagCbor.decode(r.bytes) as { body: { id: string } }).body.id === id)!
}

function packageOf(id: string): BundlePackage {
  return parts.packages.find((p) => p.id === id)!
}

async function held(node: LocalNode, cid: CID): Promise<boolean> {
  return (await node.content()).blockstore.has(cid)
}

async function nothingStored(): Promise<void> {
  expect((await target.status()).records).toBe(0)
  expect(await blockCount(join(work.dir, 'target'))).toBe(0)
}

describe('forged records', () => {
  it('a record changed after signing is rejected by name, its content is not stored, the rest is kept', async () => {
    const original = recordOf('io.test.other')
    const envelope = dagCbor.decode(original.bytes) as { body: { manifest: { description: string } } }
    envelope.body.manifest.description = 'Totally legitimate, run me'
    const forgedBytes = dagCbor.encode(envelope)
    const forged = { cid: CID.createV1(0x71, sha256.digest(forgedBytes) as never), bytes: forgedBytes }
    const records = parts.records.map((r) => (r === original ? forged : r))
    const file = await forge('forged.car', records, parts.packages, parts.content)

    const report = await target.importBundle(file)
    expect(report.clean).toBe(false)
    expect(report.records).toEqual({ added: 2, duplicate: 0, rejected: 1 })
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        kind: 'record-rejected',
        cid: forged.cid.toString(),
        id: 'io.test.other',
        reason: expect.stringMatching(/signature does not match/),
      }),
    )
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: 'package-unsigned', id: 'io.test.other' }),
    )
    expect(report.packages).toEqual({ complete: 2, incomplete: 1 })
    await expect(target.info('io.test.other')).rejects.toThrow(/no package io\.test\.other/)
    expect(await held(target, packageOf('io.test.other').cid)).toBe(false)
    expect((await target.info('io.test.app')).versions).toHaveLength(1)
  })

  it('content listed under a release that never signed its CID is not stored', async () => {
    const junkBytes = new TextEncoder().encode('payload the publisher never signed')
    const junk = { cid: CID.createV1(0x55, sha256.digest(junkBytes) as never), bytes: junkBytes }
    const other = packageOf('io.test.other')
    const packages = parts.packages.map((p) => (p === other ? { ...other, cid: junk.cid } : p))
    const file = await forge('lying.car', parts.records, packages, [...parts.content, junk])
    const report = await target.importBundle(file)
    expect(report.records.added).toBe(3)
    const [first, ...rest] = report.problems
    expect(first).toMatchObject({ kind: 'package-unsigned', id: 'io.test.other', cid: junk.cid.toString() })
    // io.test.other's real content (root and leaves) is now listed by nobody, like the junk
    expect(new Set(rest.map((p) => p.kind))).toEqual(new Set(['block-unexpected']))
    expect(rest.map((p) => p.cid)).toEqual(
      expect.arrayContaining([other.cid.toString(), junk.cid.toString()]),
    )
    expect(report.packages).toEqual({ complete: 2, incomplete: 1 })
    expect(await held(target, other.cid)).toBe(false)
    expect(await held(target, junk.cid)).toBe(false)
  })
})

describe('blocks that do not check out', () => {
  it('a swapped block is named, not stored, and leaves its package incomplete', async () => {
    const victim = parts.content.find((b) => b.cid.code === 0x55)!
    const other = parts.content.find((b) => b !== victim && b.cid.code === 0x55)!
    const content = parts.content.map((b) => (b === victim ? { cid: victim.cid, bytes: other.bytes } : b))
    const file = join(work.dir, 'swapped.car')
    await writeCar(file, parts.roots, [...parts.blocks.slice(0, 3 + parts.records.length), ...content])

    const report = await target.importBundle(file)
    expect(report.clean).toBe(false)
    expect(report.records).toEqual({ added: 3, duplicate: 0, rejected: 0 })
    expect(report.problems).toContainEqual({
      kind: 'block-invalid',
      cid: victim.cid.toString(),
      reason: expect.stringMatching(/do not hash to its CID/),
    })
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        kind: 'package-incomplete',
        reason: expect.stringContaining(victim.cid.toString()),
      }),
    )
    expect(await held(target, victim.cid)).toBe(false)
    expect(report.packages.incomplete).toBeGreaterThanOrEqual(1)
  })

  it('a missing block is named by its package; the record is kept and install says the content is missing', async () => {
    const other = packageOf('io.test.other')
    const content = parts.content.filter((b) => !b.cid.equals(other.cid))
    const file = await forge('missing.car', parts.records, parts.packages, content)
    const report = await target.importBundle(file)
    expect(report.clean).toBe(false)
    expect(report.records.added).toBe(3)
    expect(report.packages).toEqual({ complete: 2, incomplete: 1 })
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        kind: 'package-incomplete',
        id: 'io.test.other',
        version: '0.1.0',
        reason: expect.stringContaining(other.cid.toString()),
      }),
    )
    expect((await target.info('io.test.other')).versions).toHaveLength(1)
    await expect(target.install({ specs: ['io.test.other'], dir: join(work.dir, 'p') })).rejects.toThrow(
      /not in the local content store/,
    )
  })

  it('a record the index lists but the file lacks is reported missing', async () => {
    const dropped = recordOf('io.test.other')
    const file = join(work.dir, 'no-record.car')
    await writeCar(
      file,
      parts.roots,
      parts.blocks.filter((b) => b !== dropped),
    )
    const report = await target.importBundle(file)
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: 'record-missing', cid: dropped.cid.toString() }),
    )
    expect(report.problems).toContainEqual(
      expect.objectContaining({ kind: 'package-unsigned', id: 'io.test.other' }),
    )
  })

  it('a block nothing lists, or one with a hash the node cannot check, is refused', async () => {
    const junkBytes = new TextEncoder().encode('not part of any package')
    const junk = { cid: CID.createV1(0x55, sha256.digest(junkBytes) as never), bytes: junkBytes }
    const odd = { cid: CID.createV1(0x55, identity.digest(junkBytes)), bytes: junkBytes }
    const file = join(work.dir, 'junk.car')
    await writeCar(file, parts.roots, [...parts.blocks, junk, odd])
    const report = await target.importBundle(file)
    expect(report.problems).toEqual([
      expect.objectContaining({ kind: 'block-unexpected', cid: junk.cid.toString() }),
      expect.objectContaining({
        kind: 'block-invalid',
        cid: odd.cid.toString(),
        reason: expect.stringMatching(/sha2-256/),
      }),
    ])
    expect(report.packages).toEqual({ complete: 3, incomplete: 0 })
    expect(await held(target, junk.cid)).toBe(false)
  })

  it('children before their parent are refused as unlisted (the format puts parents first)', async () => {
    const file = await forge('reversed.car', parts.records, parts.packages, [...parts.content].reverse())
    const report = await target.importBundle(file)
    expect(report.clean).toBe(false)
    expect(report.problems.some((p) => p.kind === 'block-unexpected')).toBe(true)
    expect(report.packages.incomplete).toBeGreaterThan(0)
  })
})

describe('broken files', () => {
  it('a file cut inside the content keeps the records and what came before, and says so', async () => {
    const size = (await readFile(good)).byteLength
    await truncate(good, size - 100)
    const report = await target.importBundle(good)
    expect(report.clean).toBe(false)
    expect(report.records).toEqual({ added: 3, duplicate: 0, rejected: 0 })
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        kind: 'file-truncated',
        reason: expect.stringMatching(/ends in the middle of a block/),
      }),
    )
    expect(report.packages.incomplete).toBeGreaterThanOrEqual(1)
  })

  it('a file cut inside its index stores nothing', async () => {
    await truncate(good, 200)
    await expect(target.importBundle(good)).rejects.toMatchObject({ code: 'ERR_BUNDLE_TRUNCATED' })
    await nothingStored()
  })

  it('a section claiming a huge block is refused without reading it', async () => {
    const bytes = await readFile(good)
    const head = new Uint8Array(varint.encodingLength(1 << 30))
    varint.encodeTo(1 << 30, head)
    const cid = parts.content[0]!.cid.bytes
    await writeFile(good, Buffer.concat([bytes, head, cid, new Uint8Array(64)]))
    const report = await target.importBundle(good)
    expect(report.problems).toEqual([
      expect.objectContaining({
        kind: 'file-malformed',
        reason: expect.stringContaining(`blocks are at most ${MAX_BLOCK_BYTES} bytes`),
      }),
    ])
    expect(report.packages).toEqual({ complete: 3, incomplete: 0 })
  })

  it('a file that is not a CAR is refused before anything is stored', async () => {
    const file = join(work.dir, 'notes.txt')
    await writeFile(file, 'these are my notes, not a bundle\n'.repeat(100))
    await expect(target.importBundle(file)).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_CAR' })
    await writeFile(file, '')
    await expect(target.importBundle(file)).rejects.toMatchObject({ code: 'ERR_BUNDLE_NOT_CAR' })
    await expect(target.importBundle(join(work.dir, 'nope.car'))).rejects.toMatchObject({
      code: 'ERR_FILE_NOT_FOUND',
    })
    await nothingStored()
  })
})

describe('bogus roots', () => {
  it('a header root that is not the first block stores nothing', async () => {
    const file = join(work.dir, 'bogus.car')
    await writeCar(file, [parts.records[0]!.cid], parts.blocks)
    await expect(target.importBundle(file)).rejects.toMatchObject({
      code: 'ERR_BUNDLE_ROOT',
      message: expect.stringMatching(/its root should be block/),
    })
    await nothingStored()
  })

  it('a root that is not a bundle manifest stores nothing', async () => {
    const fake = encodeBlock({ format: 'someone-else/v3', hello: 'world' })
    const file = join(work.dir, 'fake.car')
    await writeCar(file, [fake.cid], [fake, ...parts.blocks.slice(1)])
    await expect(target.importBundle(file)).rejects.toMatchObject({
      code: 'ERR_BUNDLE_ROOT',
      message: expect.stringMatching(/format is "someone-else\/v3"/),
    })
    await nothingStored()
  })

  it('a root whose bytes do not match its CID stores nothing', async () => {
    const root = parts.blocks[0]!
    const bytes = root.bytes.slice()
    bytes[bytes.length - 1]! ^= 1
    const file = join(work.dir, 'tampered.car')
    await writeCar(file, parts.roots, [{ cid: root.cid, bytes }, ...parts.blocks.slice(1)])
    await expect(target.importBundle(file)).rejects.toMatchObject({ code: 'ERR_BUNDLE_ROOT' })
    await nothingStored()
  })

  it('a root with two header roots, or counts its index does not match, stores nothing', async () => {
    const two = join(work.dir, 'two.car')
    await writeCar(two, [parts.roots[0]!, parts.records[0]!.cid], parts.blocks)
    await expect(target.importBundle(two)).rejects.toMatchObject({ code: 'ERR_BUNDLE_ROOT' })
    const root = decodeRoot(parts.blocks[0]!.bytes)
    const lying = encodeBlock({ ...root, records: root.records + 1 })
    const counts = join(work.dir, 'counts.car')
    await writeCar(counts, [lying.cid], [lying, ...parts.blocks.slice(1)])
    await expect(target.importBundle(counts)).rejects.toMatchObject({ code: 'ERR_BUNDLE_ROOT' })
    await nothingStored()
  })

  it('a bundle of another network stores nothing', async () => {
    const root = decodeRoot(parts.blocks[0]!.bytes)
    const other = encodeBlock({ ...root, network: 'elsewhere' })
    const file = join(work.dir, 'elsewhere.car')
    await writeCar(file, [other.cid], [other, ...parts.blocks.slice(1)])
    await expect(target.importBundle(file)).rejects.toMatchObject({
      code: 'ERR_BUNDLE_NETWORK',
      message: expect.stringMatching(/network "elsewhere"/),
    })
    await nothingStored()
  })
})
