import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../../../src/store/store.js'
import { ALICE, BOB, CAROL, Log, tempDir } from './helpers.js'

describe('the catalogue read model', () => {
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

  it('lists versions in semver order, not publish order', () => {
    const alice = new Log(ALICE)
    for (const v of ['1.10.0', '1.2.0', '2.0.0-rc.1', '1.9.9'])
      store.applyRecord(alice.release('io.ggen.a', v))
    expect(store.versions('io.ggen.a').map((v) => v.version)).toEqual([
      '1.2.0',
      '1.9.9',
      '1.10.0',
      '2.0.0-rc.1',
    ])
    expect(store.versions('io.ggen.none')).toEqual([])
  })

  it('applies a yank that arrived before its release', () => {
    const alice = new Log(ALICE)
    const release = alice.release('io.ggen.a', '1.0.0')
    const yank = alice.yank('io.ggen.a', '1.0.0', 'CVE-2030-1')
    store.applyRecord(yank)
    expect(store.versions('io.ggen.a')).toEqual([])

    store.applyRecord(release)
    expect(store.versions('io.ggen.a')[0]).toMatchObject({ yanked: true, yankReason: 'CVE-2030-1' })
  })

  it("does not let one claimant yank another claimant's release", () => {
    store.applyRecord(new Log(ALICE).release('io.ggen.a', '1.0.0'))
    store.applyRecord(new Log(BOB).yank('io.ggen.a', '1.0.0', 'griefing'))
    expect(store.versions('io.ggen.a')[0]).toMatchObject({ publisher: ALICE, yanked: false })
  })

  it("gives the new key ownership of the old key's releases after a rotation, and lets it yank them", () => {
    const alice = new Log(ALICE)
    const bob = new Log(BOB)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0'))
    store.applyRecord(alice.rotation('io.ggen.a', BOB))
    store.applyRecord(bob.release('io.ggen.a', '1.1.0'))
    store.applyRecord(alice.release('io.ggen.other', '1.0.0'))

    expect(store.versions('io.ggen.a').map((v) => [v.version, v.publisher, v.owner])).toEqual([
      ['1.0.0', ALICE, BOB],
      ['1.1.0', BOB, BOB],
    ])
    // A rotation is per id: Alice still owns her other packages.
    expect(store.versions('io.ggen.other')[0]!.owner).toBe(ALICE)
    expect(store.claimants('io.ggen.a')).toEqual([
      expect.objectContaining({ owner: BOB, publishers: [ALICE, BOB].sort(), versions: 2, latest: '1.1.0' }),
    ])

    store.applyRecord(bob.yank('io.ggen.a', '1.0.0'))
    expect(store.versions('io.ggen.a')[0]).toMatchObject({ version: '1.0.0', yanked: true })
  })

  it('follows a chain of rotations to its last key', () => {
    const alice = new Log(ALICE)
    const bob = new Log(BOB)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0'))
    store.applyRecord(alice.rotation('io.ggen.a', BOB))
    store.applyRecord(bob.rotation('io.ggen.a', CAROL))
    store.applyRecord(new Log(CAROL).release('io.ggen.a', '2.0.0'))
    expect(store.versions('io.ggen.a').map((v) => v.owner)).toEqual([CAROL, CAROL])
    expect(store.claimants('io.ggen.a')).toHaveLength(1)
  })

  it('settles a rotation loop on the most recent hand-over, for every key on it', () => {
    const alice = new Log(ALICE)
    const bob = new Log(BOB)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0', { time: 1000 }))
    store.applyRecord(alice.rotation('io.ggen.a', BOB, { time: 2000 }))
    store.applyRecord(bob.release('io.ggen.a', '1.1.0', { time: 3000 }))
    store.applyRecord(bob.rotation('io.ggen.a', ALICE, { time: 4000 })) // handed back
    expect(store.versions('io.ggen.a').map((v) => v.owner)).toEqual([ALICE, ALICE])
  })

  it('marks one owner giving one version two CIDs under two of its keys as conflicted', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0', { content: 'one' }))
    store.applyRecord(alice.rotation('io.ggen.a', BOB))
    store.applyRecord(new Log(BOB).release('io.ggen.a', '1.0.0', { content: 'two' }))
    expect(store.versions('io.ggen.a').map((v) => [v.owner, v.conflicted])).toEqual([
      [BOB, true],
      [BOB, true],
    ])
  })

  it('picks the latest installable version per owner by semver, skipping yanked, conflicted and pre-releases', () => {
    const alice = new Log(ALICE)
    const bob = new Log(BOB)
    // Published out of order: 1.10.0 first, 1.9.0 last; semver, not time, decides.
    store.applyRecord(alice.release('io.ggen.a', '1.10.0'))
    store.applyRecord(alice.release('io.ggen.a', '2.0.0'))
    store.applyRecord(alice.yank('io.ggen.a', '2.0.0'))
    store.applyRecord(alice.release('io.ggen.a', '3.0.0-beta.1'))
    store.applyRecord(alice.release('io.ggen.a', '1.9.0'))
    store.applyRecord(bob.release('io.ggen.a', '0.1.0', { content: 'x' }))
    store.applyRecord(bob.release('io.ggen.a', '0.2.0', { content: 'y' }))
    store.applyRecord(bob.release('io.ggen.a', '0.2.0', { content: 'z' })) // equivocation
    store.applyRecord(alice.release('io.ggen.b', '0.1.0-alpha'))
    store.applyRecord(bob.release('io.ggen.c', '1.0.0'))
    store.applyRecord(bob.yank('io.ggen.c', '1.0.0'))

    const latest = store.latestPerPackage()
    expect(latest.map((e) => [e.id, e.owner, e.version])).toEqual([
      ['io.ggen.a', ALICE, '1.10.0'],
      ['io.ggen.a', BOB, '0.1.0'],
      ['io.ggen.b', ALICE, '0.1.0-alpha'], // only pre-releases left: the highest of them
    ])
    expect(latest[0]!.manifest.version).toBe('1.10.0')
    expect(store.claimants('io.ggen.c')).toEqual([expect.objectContaining({ owner: BOB, versions: 1 })])
    expect(store.claimants('io.ggen.c')[0]!.latest).toBeUndefined()
  })

  it('lists every release of every id with allVersions, ordered by id then semver', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.b', '1.0.0'))
    store.applyRecord(alice.release('io.ggen.a', '2.0.0'))
    store.applyRecord(alice.release('io.ggen.a', '1.0.0'))
    expect(store.allVersions().map((v) => `${v.id}@${v.version}`)).toEqual([
      'io.ggen.a@1.0.0',
      'io.ggen.a@2.0.0',
      'io.ggen.b@1.0.0',
    ])
  })

  it('counts packages, records and publishers, and lists package ids', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.b', '1.0.0'))
    store.applyRecord(alice.release('io.ggen.b', '1.1.0'))
    store.applyRecord(alice.yank('io.ggen.b', '1.0.0'))
    store.applyRecord(new Log(BOB).release('io.ggen.a', '1.0.0'))
    store.applyRecord(new Log(CAROL).rotation('io.ggen.z', BOB)) // a record, not a package
    expect(store.counts()).toEqual({ packages: 2, records: 5, publishers: 3 })
    expect(store.packageIds()).toEqual(['io.ggen.a', 'io.ggen.b'])
  })

  it("serves a publisher's log from a seq, record metadata, and records for export", () => {
    const alice = new Log(ALICE)
    const recs = [
      alice.release('io.ggen.a', '1.0.0', { time: 1000 }),
      alice.release('io.ggen.b', '1.0.0', { time: 2000 }),
      alice.yank('io.ggen.a', '1.0.0', 'x', { time: 3000 }),
    ]
    for (const r of recs) store.applyRecord(r)
    const cids = recs.map((r) => r.cid.toString())

    expect(store.recordsOf(ALICE, 2).map((r) => r.cid)).toEqual(cids.slice(1))
    expect(store.recordsOf(BOB)).toEqual([])
    expect(store.recordMeta(cids[2]!)).toEqual({
      cid: cids[2],
      publisher: ALICE,
      seq: 3,
      type: 'yank',
      id: 'io.ggen.a',
      time: 3000,
    })
    expect(store.allRecordCids()).toEqual(cids)
    expect([...store.iterateRecords({ ids: ['io.ggen.a'] })].map((r) => r.cid)).toEqual([cids[0], cids[2]])
    expect([...store.iterateRecords({ since: 2000 })].map((r) => r.cid)).toEqual(cids.slice(1))
    const [first] = store.iterateRecords()
    expect(Buffer.from(first!.bytes)).toEqual(Buffer.from(recs[0]!.bytes))
  })

  it('reads from one snapshot in store.read, while another connection writes', () => {
    const alice = new Log(ALICE)
    store.applyRecord(alice.release('io.ggen.a', '1.0.0'))
    const other = openStore(store.file)
    try {
      const seen = store.read(() => {
        const before = store.counts().records
        other.applyRecord(alice.release('io.ggen.b', '1.0.0'))
        return [before, store.counts().records, store.versions('io.ggen.b').length]
      })
      expect(seen).toEqual([1, 1, 0])
      expect(store.counts().records).toBe(2)
      // Inside a write transaction it simply runs, and sees that transaction's writes.
      const inBatch = store.batch(() => {
        store.applyRecord(alice.release('io.ggen.c', '1.0.0'))
        return store.read(() => store.packageIds())
      })
      expect(inBatch).toEqual(['io.ggen.a', 'io.ggen.b', 'io.ggen.c'])
    } finally {
      other.close()
    }
  })

  it('pages through more records than one page holds', () => {
    const alice = new Log(ALICE)
    const blocks = Array.from({ length: 600 }, (_, i) => alice.release('io.ggen.a', `1.0.${i}`))
    store.applyRecords(blocks)
    const seen = [...store.iterateRecords()].map((r) => r.cid)
    expect(seen).toEqual(blocks.map((b) => b.cid.toString()))
  })
})
