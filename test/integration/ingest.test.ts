/**
 * The one ingest path on a real home: what a record from the network or a bundle must pass
 * before it touches SQLite or the index, and what the node shows for what it accepted.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as dagCbor from '@ipld/dag-cbor'
import { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InvalidRecordError } from '../../src/domain/errors.js'
import { generatePublisherKey, type PublisherKey } from '../../src/domain/keys.js'
import { signRecord } from '../../src/domain/records.js'
import type { Manifest, ReleaseBody, RotationBody, YankBody } from '../../src/domain/types.js'
import { initHome } from '../../src/node/init.js'
import { LocalNode } from '../../src/node/local-node.js'
import { EXAMPLES } from '../helpers/cli.js'

let dir: string
let node: LocalNode

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-ingest-'))
  await initHome(join(dir, 'home'))
  node = await LocalNode.open(join(dir, 'home'), {})
})
afterEach(async () => {
  await node.close()
  await rm(dir, { recursive: true, force: true })
})

const CONTENT = CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq')

function manifest(id: string, version: string): Manifest {
  return {
    id,
    name: `Package ${id}`,
    version,
    description: `templates for ${id}`,
    license: 'MIT',
    authors: [],
    keywords: ['remote'],
    categories: [],
    dependencies: {},
    extra: {},
  }
}

function release(key: PublisherKey, id: string, version: string, seq = 1, extra: Partial<ReleaseBody> = {}) {
  const body: ReleaseBody = {
    type: 'release',
    network: 'ggen',
    publisher: key.did,
    time: Date.now(),
    seq,
    id,
    version,
    cid: CONTENT,
    size: 10,
    manifest: manifest(id, version),
    ...extra,
  }
  return signRecord(body, key)
}

function yank(key: PublisherKey, id: string, version: string, seq: number, prev: CID) {
  const body: YankBody = {
    type: 'yank',
    network: 'ggen',
    publisher: key.did,
    time: Date.now(),
    seq,
    prev,
    id,
    version,
    reason: 'broken',
  }
  return signRecord(body, key)
}

describe('ingest', () => {
  it('stores a valid remote release and makes it searchable; a second copy is a duplicate', async () => {
    const alice = generatePublisherKey()
    const block = release(alice, 'io.remote.pack', '1.0.0')
    expect(node.ingest(block.bytes).status).toBe('added')
    expect(node.ingest(block.bytes).status).toBe('duplicate')
    const hits = await node.search({ query: 'remote' })
    expect(hits.results.map((r) => [r.id, r.publisher])).toEqual([['io.remote.pack', alice.did]])
    expect((await node.info('io.remote.pack')).versions).toHaveLength(1)
  })

  it('names a record it already holds as a duplicate, unless the sender claimed another id for it', () => {
    const alice = generatePublisherKey()
    const block = release(alice, 'io.remote.pack', '1.0.0')
    const first = node.ingest(block.bytes)
    expect(node.ingest(block.bytes, { expectedCid: block.cid })).toEqual({ ...first, status: 'duplicate' })
    const other = release(alice, 'io.remote.other', '1.0.0').cid
    expect(() => node.ingest(block.bytes, { expectedCid: other })).toThrow(/expected/)
  })

  it('rejects a tampered record and stores nothing', async () => {
    const alice = generatePublisherKey()
    const block = release(alice, 'io.remote.pack', '1.0.0')
    // change the version inside the signed body, keep the signature
    const envelope = dagCbor.decode<{ body: Record<string, unknown>; sig: Uint8Array }>(block.bytes)
    envelope.body.version = '6.6.6'
    ;(envelope.body.manifest as Manifest).version = '6.6.6'
    expect(() => node.ingest(dagCbor.encode(envelope))).toThrow(/signature/)
    expect((await node.status()).records).toBe(0)
  })

  it('rejects a record whose signature is by another key than it names', async () => {
    const alice = generatePublisherKey()
    const mallory = generatePublisherKey()
    const forged = release(mallory, 'io.remote.pack', '1.0.0')
    const envelope = dagCbor.decode<{ body: Record<string, unknown>; sig: Uint8Array }>(forged.bytes)
    envelope.body.publisher = alice.did
    expect(() => node.ingest(dagCbor.encode(envelope))).toThrow(InvalidRecordError)
    expect((await node.status()).records).toBe(0)
  })

  it('rejects records of another network and records from the far future', async () => {
    const alice = generatePublisherKey()
    expect(() => node.ingest(release(alice, 'io.a', '1.0.0', 1, { network: 'other' }).bytes)).toThrow(
      /network "other"/,
    )
    const future = release(alice, 'io.a', '1.0.0', 1, { time: Date.now() + 24 * 3600_000 })
    expect(() => node.ingest(future.bytes)).toThrow(/future/)
    expect((await node.status()).records).toBe(0)
  })

  it('rejects a prev that is not the same publisher at seq - 1', async () => {
    const alice = generatePublisherKey()
    const bob = generatePublisherKey()
    const first = release(alice, 'io.a', '1.0.0')
    node.ingest(first.bytes)
    const bad = release(bob, 'io.b', '1.0.0', 2, { prev: first.cid })
    expect(() => node.ingest(bad.bytes)).toThrow(/prev/)
  })

  it('rejects a rotation signed by a key that never released the id', async () => {
    const alice = generatePublisherKey()
    const mallory = generatePublisherKey()
    node.ingest(release(alice, 'io.a', '1.0.0').bytes)
    const body: RotationBody = {
      type: 'rotation',
      network: 'ggen',
      publisher: mallory.did,
      time: Date.now(),
      seq: 1,
      id: 'io.a',
      to: generatePublisherKey().did,
    }
    expect(() => node.ingest(signRecord(body, mallory).bytes)).toThrow(/released nothing/)
    expect((await node.status()).records).toBe(1)
  })

  it('keeps both records of an equivocation, marks the version conflicted, and install refuses it', async () => {
    const alice = generatePublisherKey()
    const other = CID.parse('bafybeidrmeyoy57sghwjjmf35sovmz7f67privat5xa3yx6qa3dlzimjwu')
    node.ingest(release(alice, 'io.a', '1.0.0', 1).bytes)
    const head = node.store.publisherHead(alice.did)!
    const equivocation = release(alice, 'io.a', '1.0.0', 2, { cid: other, prev: CID.parse(head.cid) })
    expect(node.ingest(equivocation.bytes)).toMatchObject({ status: 'added', conflicted: true })
    const info = await node.info('io.a')
    expect(info.versions.map((v) => v.conflicted)).toEqual([true, true])
    expect(info.warnings.join('\n')).toContain('conflicted')
    await expect(node.install({ specs: ['io.a'], dir: join(dir, 'project') })).rejects.toMatchObject({
      code: 'ERR_CONFLICTED',
    })
  })

  it('refreshes search once per package in a batch, from the state after the whole batch', async () => {
    const alice = generatePublisherKey()
    await node.search({ query: 'warm' }) // load the index, so that ingest keeps it in step
    const r1 = release(alice, 'io.remote.pack', '1.0.0', 1)
    const r2 = release(alice, 'io.remote.pack', '1.1.0', 2, { prev: r1.cid })
    const shown = async () => (await node.search({ query: 'remote' })).results.map((r) => r.version)

    expect(node.ingestMany([r1, r2].map((b) => ({ bytes: b.bytes }))).every((r) => r.ok)).toBe(true)
    expect(await shown()).toEqual(['1.1.0'])

    // A release and its yank in one batch: the package still shows 1.1.0.
    const r3 = release(alice, 'io.remote.pack', '1.2.0', 3, { prev: r2.cid })
    const y3 = yank(alice, 'io.remote.pack', '1.2.0', 4, r3.cid)
    expect(node.ingestMany([r3, y3].map((b) => ({ bytes: b.bytes }))).every((r) => r.ok)).toBe(true)
    expect(await shown()).toEqual(['1.1.0'])

    // One record on its own, after the batch: a yank of 1.1.0 brings back 1.0.0.
    expect(node.ingest(yank(alice, 'io.remote.pack', '1.1.0', 5, y3.cid).bytes).status).toBe('added')
    expect(await shown()).toEqual(['1.0.0'])
  })

  it('a record published on this node and ingested again from outside is a duplicate', async () => {
    const pkg = join(dir, 'pkg')
    await cp(join(EXAMPLES, 'macros-std'), pkg, { recursive: true })
    const published = await node.publish(pkg)
    const bytes = node.store.getRecord(published.record)!
    expect(node.ingest(bytes).status).toBe('duplicate')
  })
})
