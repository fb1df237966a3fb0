import { describe, expect, it } from 'vitest'
import {
  advanceWants,
  fillResponse,
  type LocalLog,
  type LogHead,
  planWants,
  type SyncRecord,
  summaryDigest,
} from '../../../src/net/sync-plan.js'

const log = (seq: number, cid: string, count = seq, contiguous = seq): LocalLog => ({
  seq,
  cid,
  count,
  contiguous,
})
const head = (seq: number, cid: string, count = seq): LogHead => ({ seq, cid, count })

describe('planWants', () => {
  it('asks nothing when both sides hold the same logs', () => {
    const local = new Map([['p', log(3, 'c3')]])
    expect(planWants(local, new Map([['p', head(3, 'c3')]]))).toEqual([])
  })

  it('asks for a publisher never seen from seq 1 and a shorter log after its head', () => {
    const local = new Map([['a', log(3, 'c3')]])
    const remote = new Map([
      ['a', head(5, 'c5')],
      ['b', head(2, 'x2')],
    ])
    expect(planWants(local, remote)).toEqual([
      { publisher: 'a', from: 4 },
      { publisher: 'b', from: 1 },
    ])
  })

  it('asks from the first gap when this node misses records in the middle', () => {
    const local = new Map([['a', log(5, 'c5', 3, 2)]])
    expect(planWants(local, new Map([['a', head(5, 'c5', 5)]]))).toEqual([{ publisher: 'a', from: 3 }])
  })

  it('asks for a fork at the head and for forks below it', () => {
    expect(planWants(new Map([['a', log(4, 'c4')]]), new Map([['a', head(4, 'other')]]))).toEqual([
      { publisher: 'a', from: 4 },
    ])
    expect(planWants(new Map([['a', log(4, 'c4')]]), new Map([['a', head(4, 'c4', 5)]]))).toEqual([
      { publisher: 'a', from: 1 },
    ])
  })

  it('asks nothing of a peer that knows less', () => {
    expect(planWants(new Map([['a', log(9, 'c9')]]), new Map([['a', head(2, 'c2')]]))).toEqual([])
  })
})

describe('summaryDigest', () => {
  it('is the same for equal summaries in any order and differs otherwise', () => {
    const one = new Map([
      ['a', head(1, 'x')],
      ['b', head(2, 'y')],
    ])
    const two = new Map([
      ['b', head(2, 'y')],
      ['a', head(1, 'x')],
    ])
    expect(summaryDigest(one)).toBe(summaryDigest(two))
    expect(summaryDigest(one)).not.toBe(summaryDigest(new Map([['a', head(1, 'x')]])))
  })
})

describe('fillResponse', () => {
  const logs: Record<string, SyncRecord[]> = {
    a: [1, 2, 3, 4, 5].map((seq) => ({ seq, bytes: new Uint8Array(10) })),
    b: [1, 2].map((seq) => ({ seq, bytes: new Uint8Array(10) })),
  }
  const read = (p: string, from: number, limit: number) =>
    (logs[p] ?? []).filter((r) => r.seq >= from).slice(0, limit)

  it('sends everything asked for when it fits', () => {
    const fill = fillResponse(
      [
        { publisher: 'a', from: 2 },
        { publisher: 'b', from: 1 },
      ],
      read,
      {
        maxRecords: 100,
        maxBytes: 1000,
      },
    )
    expect(fill.records).toHaveLength(6)
    expect(fill.rest).toEqual([])
  })

  it('stops at the record bound and says where to go on', () => {
    const fill = fillResponse(
      [
        { publisher: 'a', from: 1 },
        { publisher: 'b', from: 1 },
      ],
      read,
      {
        maxRecords: 3,
        maxBytes: 1000,
      },
    )
    expect(fill.records).toHaveLength(3)
    expect(fill.rest).toEqual([
      { publisher: 'a', from: 4 },
      { publisher: 'b', from: 1 },
    ])
  })

  it('stops at the byte bound but always sends one record', () => {
    const fill = fillResponse([{ publisher: 'a', from: 1 }], read, { maxRecords: 100, maxBytes: 25 })
    expect(fill.records).toHaveLength(2)
    expect(fill.rest).toEqual([{ publisher: 'a', from: 3 }])
    expect(
      fillResponse([{ publisher: 'a', from: 1 }], read, { maxRecords: 100, maxBytes: 1 }).records,
    ).toHaveLength(1)
  })
})

describe('advanceWants', () => {
  it('moves a want that did not progress past the seq it asked for', () => {
    expect(advanceWants([{ publisher: 'a', from: 4 }], [{ publisher: 'a', from: 4 }])).toEqual([
      { publisher: 'a', from: 5 },
    ])
    expect(advanceWants([{ publisher: 'a', from: 4 }], [{ publisher: 'a', from: 6 }])).toEqual([
      { publisher: 'a', from: 6 },
    ])
  })
})
