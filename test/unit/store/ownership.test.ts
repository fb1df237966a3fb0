import { describe, expect, it } from 'vitest'
import { annotate, ownerResolver, type ReleaseRow, type RotationEdge } from '../../../src/store/ownership.js'

const edge = (
  from: string,
  to: string,
  seq: number,
  time: number,
  record = `r-${from}-${to}-${seq}`,
): RotationEdge => ({
  from,
  to,
  seq,
  time,
  record,
})

const row = (publisher: string, version: string, cid: string): ReleaseRow => ({
  id: 'x',
  version,
  publisher,
  cid,
  record: `rec-${publisher}-${version}-${cid}`,
  published: 1,
  size: 1,
  manifest: '{}',
  conflicted: 0,
})

describe('ownerResolver', () => {
  it('maps every key to itself when there are no rotations', () => {
    expect(ownerResolver([])('A')).toBe('A')
  })

  it('follows a chain, from any key on it', () => {
    const owner = ownerResolver([edge('A', 'B', 2, 10), edge('B', 'C', 5, 20)])
    expect(['A', 'B', 'C', 'D'].map(owner)).toEqual(['C', 'C', 'C', 'D'])
  })

  it("follows a key's latest rotation in its own log when it signed several", () => {
    // seq decides, not the claimed time
    const owner = ownerResolver([edge('A', 'B', 3, 99), edge('A', 'C', 4, 1)])
    expect(owner('A')).toBe('C')
  })

  it('ends a loop on the target of its most recent rotation, the same for every key on it', () => {
    const loop = [edge('A', 'B', 2, 100), edge('B', 'C', 2, 300), edge('C', 'A', 2, 200)]
    for (const order of [loop, [...loop].reverse()]) {
      const owner = ownerResolver(order)
      expect(['A', 'B', 'C'].map(owner)).toEqual(['C', 'C', 'C'])
    }
    // A key leading into the loop gets the loop's owner too.
    expect(ownerResolver([...loop, edge('Z', 'A', 1, 1)])('Z')).toBe('C')
    // A key handing an id to itself owns it.
    expect(ownerResolver([edge('A', 'A', 1, 1)])('A')).toBe('A')
  })
})

describe('annotate', () => {
  it('keeps one owner per version: two CIDs under one owner conflict, across owners they do not', () => {
    const rows = [row('A', '1.0.0', 'c1'), row('B', '1.0.0', 'c2'), row('D', '1.0.0', 'c3')]
    const annotated = annotate(rows, [], [edge('A', 'B', 2, 1)])
    expect(annotated.map((a) => [a.row.publisher, a.owner, a.conflicted])).toEqual([
      ['A', 'B', true],
      ['B', 'B', true],
      ['D', 'D', false],
    ])
  })

  it('uses the most recent yank of a version for its reason', () => {
    const yanks = [
      { version: '1.0.0', publisher: 'A', reason: 'old', time: 1, record: 'y1' },
      { version: '1.0.0', publisher: 'A', reason: 'new', time: 2, record: 'y2' },
      { version: '2.0.0', publisher: 'A', reason: 'other version', time: 3, record: 'y3' },
    ]
    const [a] = annotate([row('A', '1.0.0', 'c1')], yanks, [])
    expect(a).toMatchObject({ yanked: true, yankReason: 'new' })
  })
})
