import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InvalidRecordError } from '../../../src/domain/errors.js'
import type { RecordBody } from '../../../src/domain/types.js'
import { openStore, type Store } from '../../../src/store/store.js'
import { ALICE, BOB, block, Log, tempDir } from './helpers.js'

describe('Store.applyRecord', () => {
  let cleanup: () => Promise<void>
  let store: Store

  beforeEach(async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    store = openStore(join(tmp.dir, 'market.db'))
  })
  afterEach(async () => {
    store.close()
    await cleanup()
  })

  it('files a release: the record, the publisher head and the catalogue entry', () => {
    const alice = new Log(ALICE)
    const rel = alice.release('io.ggen.a', '1.0.0', { size: 99 })
    const result = store.applyRecord(rel)

    expect(result).toEqual({
      status: 'added',
      cid: rel.cid.toString(),
      kind: 'release',
      forked: false,
      conflicted: false,
    })
    expect(Buffer.from(store.getRecord(rel.cid.toString())!)).toEqual(Buffer.from(rel.bytes))
    expect(store.publisherHead(ALICE)).toEqual({ seq: 1, cid: rel.cid.toString() })
    const [entry] = store.versions('io.ggen.a')
    expect(entry).toMatchObject({
      id: 'io.ggen.a',
      version: '1.0.0',
      cid: rel.record.body.cid.toString(),
      record: rel.cid.toString(),
      publisher: ALICE,
      owner: ALICE,
      published: rel.record.body.time,
      size: 99,
      yanked: false,
      conflicted: false,
    })
    expect(entry!.manifest).toEqual(rel.record.body.manifest)
    expect(store.generation()).toBe(1)
  })

  it('files a yank and a rotation, and reports their kind', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0'))
    expect(store.applyRecord(alice.yank('io.ggen.a', '1.0.0', 'leaks a token'))).toMatchObject({
      status: 'added',
      kind: 'yank',
    })
    expect(store.applyRecord(alice.rotation('io.ggen.a', BOB))).toMatchObject({
      status: 'added',
      kind: 'rotation',
    })
    const [entry] = store.versions('io.ggen.a')
    expect(entry).toMatchObject({ yanked: true, yankReason: 'leaks a token', owner: BOB })
    expect(store.publisherHead(ALICE)?.seq).toBe(3)
    expect(store.generation()).toBe(3)
  })

  it('treats a record it already has as a duplicate and changes nothing', () => {
    const rel = new Log(ALICE).release('io.ggen.a', '1.0.0')
    store.applyRecord(rel)
    const before = { generation: store.generation(), counts: store.counts(), cids: store.allRecordCids() }

    expect(store.applyRecord(rel)).toEqual({ status: 'duplicate', cid: rel.cid.toString() })
    expect({ generation: store.generation(), counts: store.counts(), cids: store.allRecordCids() }).toEqual(
      before,
    )
  })

  it('keeps both records of a fork, flags the publisher and keeps the highest seq as head', () => {
    const home1 = new Log(ALICE)
    const home2 = new Log(ALICE)
    const a = home1.release('io.ggen.a', '1.0.0')
    const b = home2.release('io.ggen.b', '1.0.0') // seq 1 again, from a second home
    const c = home1.release('io.ggen.a', '1.1.0') // seq 2

    expect(store.applyRecord(a)).toMatchObject({ forked: false })
    expect(store.applyRecord(c)).toMatchObject({ forked: false })
    expect(store.applyRecord(b)).toMatchObject({ status: 'added', forked: true, conflicted: false })

    expect(store.forkedPublishers()).toEqual([ALICE])
    expect(store.recordsOf(ALICE).map((r) => r.seq)).toEqual([1, 1, 2])
    expect(store.publisherHead(ALICE)).toEqual({ seq: 2, cid: c.cid.toString() })
    // A fork invalidates nothing: both releases are in the catalogue.
    expect(store.packageIds()).toEqual(['io.ggen.a', 'io.ggen.b'])
  })

  it('calls a record that fills a gap below the head no fork, and one at a seq already held a fork', () => {
    const home1 = new Log(ALICE)
    const first = home1.release('io.ggen.a', '1.0.0')
    const second = home1.release('io.ggen.a', '1.1.0')
    const rival = new Log(ALICE).release('io.ggen.b', '1.0.0') // seq 1 from a second home

    expect(store.applyRecord(second)).toMatchObject({ status: 'added', forked: false })
    expect(store.applyRecord(first)).toMatchObject({ status: 'added', forked: false })
    expect(store.forkedPublishers()).toEqual([])
    expect(store.applyRecord(rival)).toMatchObject({ status: 'added', forked: true })
    expect(store.forkedPublishers()).toEqual([ALICE])
    expect(store.publisherHead(ALICE)).toEqual({ seq: 2, cid: second.cid.toString() })
  })

  it('keeps a version conflicted when the publisher signs one of its CIDs again', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0', { content: 'good' }))
    store.applyRecord(alice.release('io.ggen.a', '1.0.0', { content: 'evil' }))
    const again = alice.release('io.ggen.a', '1.0.0', { content: 'good' })

    expect(store.applyRecord(again)).toMatchObject({ status: 'added', conflicted: true })
    const versions = store.versions('io.ggen.a')
    expect(versions).toHaveLength(2)
    expect(versions.every((v) => v.conflicted)).toBe(true)
  })

  it('in a batch, leaves no trace of a refused record and commits the others', () => {
    const alice = new Log(ALICE)
    const one = alice.release('io.ggen.a', '1.0.0')
    const two = alice.release('io.ggen.b', '1.0.0')
    const bogus = block({
      ...alice.yank('io.ggen.a', '1.0.0').record.body,
      type: 'bogus',
    } as unknown as RecordBody)

    const refused = store.batch(() => {
      store.applyRecord(one)
      let error: unknown
      try {
        store.applyRecord(bogus)
      } catch (err) {
        error = err
      }
      store.applyRecord(two)
      return error
    })
    expect(refused).toBeInstanceOf(InvalidRecordError)
    expect(store.hasRecord(bogus.cid.toString())).toBe(false)
    expect(store.allRecordCids()).toEqual([one.cid.toString(), two.cid.toString()])
    expect(store.generation()).toBe(2)
  })

  it('rolls a whole batch back when a statement fails in one of its records', () => {
    const alice = new Log(ALICE)
    const good = alice.release('io.ggen.a', '1.0.0')
    const bad = alice.release('io.ggen.b', '1.0.0', { size: -1 })

    expect(() =>
      store.batch(() => {
        store.applyRecord(good)
        store.applyRecord(bad)
      }),
    ).toThrow(/CHECK constraint failed/)
    expect(store.counts()).toEqual({ packages: 0, records: 0, publishers: 0 })
    expect(store.generation()).toBe(0)
  })

  it('marks an equivocation conflicted and keeps both CIDs', () => {
    const alice = new Log(ALICE)
    const first = alice.release('io.ggen.a', '1.0.0', { content: 'good' })
    const second = alice.release('io.ggen.a', '1.0.0', { content: 'evil' })
    expect(store.applyRecord(first)).toMatchObject({ conflicted: false })
    expect(store.applyRecord(second)).toMatchObject({ status: 'added', conflicted: true })

    const versions = store.versions('io.ggen.a')
    expect(versions).toHaveLength(2)
    expect(versions.every((v) => v.conflicted)).toBe(true)
    expect(new Set(versions.map((v) => v.cid)).size).toBe(2)
    expect(store.latestPerPackage()).toEqual([])
  })

  it('does not call the same CID signed twice by one publisher a conflict', () => {
    const alice = new Log(ALICE)
    const first = alice.release('io.ggen.a', '1.0.0', { content: 'same' })
    const again = alice.release('io.ggen.a', '1.0.0', { content: 'same' })
    store.applyRecord(first)
    expect(store.applyRecord(again)).toMatchObject({ status: 'added', conflicted: false })
    const versions = store.versions('io.ggen.a')
    expect(versions).toHaveLength(1)
    expect(versions[0]).toMatchObject({ record: first.cid.toString(), conflicted: false })
  })

  it("stores another publisher's release of the same id as a separate claimant", () => {
    store.applyRecord(new Log(ALICE).release('io.ggen.a', '1.0.0', { content: 'alice' }))
    const later = { content: 'bob', time: Date.UTC(2030, 0, 1) }
    const result = store.applyRecord(new Log(BOB).release('io.ggen.a', '1.0.0', later))
    expect(result).toMatchObject({ status: 'added', conflicted: false })

    const versions = store.versions('io.ggen.a')
    expect(versions.map((v) => [v.owner, v.conflicted])).toEqual([
      [ALICE, false],
      [BOB, false],
    ])
    expect(store.claimants('io.ggen.a').map((c) => c.owner)).toEqual([ALICE, BOB])
  })

  it('writes nothing when a statement fails mid-transaction', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0'))
    const before = {
      generation: store.generation(),
      counts: store.counts(),
      head: store.publisherHead(ALICE),
    }
    // size -1 passes the records insert and the publisher update, then fails the
    // releases CHECK constraint: everything before it must roll back too.
    const bad = alice.release('io.ggen.b', '1.0.0', { size: -1 })

    expect(() => store.applyRecord(bad)).toThrow(/CHECK constraint failed/)
    expect(store.hasRecord(bad.cid.toString())).toBe(false)
    expect(store.packageIds()).toEqual(['io.ggen.a'])
    expect({
      generation: store.generation(),
      counts: store.counts(),
      head: store.publisherHead(ALICE),
    }).toEqual(before)
  })

  it('applies a batch in one transaction and reports each record', () => {
    const alice = new Log(ALICE)
    const one = alice.release('io.ggen.a', '1.0.0')
    const two = alice.release('io.ggen.a', '1.1.0')
    const results = store.applyRecords([one, two, one])
    expect(results.map((r) => r.status)).toEqual(['added', 'added', 'duplicate'])
    expect(store.generation()).toBe(2)
  })

  it('lists local records until they are marked announced; network records never', () => {
    const alice = new Log(ALICE)
    const local1 = alice.release('io.ggen.a', '1.0.0')
    const local2 = alice.release('io.ggen.a', '1.1.0')
    store.applyRecord(local1, { local: true })
    store.applyRecord(new Log(BOB).release('io.ggen.b', '1.0.0'))
    store.applyRecord(local2, { local: true })

    expect(store.unannounced().map((r) => r.cid)).toEqual([local1.cid.toString(), local2.cid.toString()])
    expect(store.unannounced(1).map((r) => r.cid)).toEqual([local1.cid.toString()])
    expect(Buffer.from(store.unannounced(1)[0]!.bytes)).toEqual(Buffer.from(local1.bytes))

    expect(store.markAnnounced([local1.cid.toString(), 'bafy-unknown'])).toBe(1)
    expect(store.unannounced().map((r) => r.cid)).toEqual([local2.cid.toString()])
    expect(store.markAnnounced([local1.cid.toString()])).toBe(0)
    // Announcing is bookkeeping, not a catalogue change.
    expect(store.generation()).toBe(3)
  })
})
