/**
 * The late-joiner and partition-and-heal scenarios at small sizes: their checks pass, and
 * the figures they report agree with what the nodes hold.
 */
import { describe, expect, it } from 'vitest'
import { churn } from '../../sim/scenarios/churn.js'
import { DEFAULT_PARAMS } from '../../sim/scenarios/common.js'
import { lateJoiner } from '../../sim/scenarios/late-joiner.js'
import { partitionHeal } from '../../sim/scenarios/partition.js'

describe('late joiner', () => {
  it('a node joining 8 nodes through one of them catches up on a 300-record catalogue', async () => {
    const report = await lateJoiner({
      ...DEFAULT_PARAMS,
      nodes: 8,
      seed: 11,
      topology: 'regular:3',
      records: 300,
    })
    expect(report.problems).toEqual([])
    expect(report.figures).toMatchObject({
      catalogue: 300,
      held: 300,
      lost: 0,
      unexpected: 0,
      joinerPeers: 1,
    })
    expect(report.figures.recordsPerSecond).toBeGreaterThan(0)
  })
})

describe('partition and heal', () => {
  it('10 nodes split in two, 60 publishes on both sides: nothing crosses, after heal nothing is lost', async () => {
    const report = await partitionHeal({
      ...DEFAULT_PARAMS,
      nodes: 10,
      seed: 12,
      topology: 'regular:4',
      records: 60,
    })
    expect(report.problems).toEqual([])
    expect(report.figures).toMatchObject({
      acknowledged: 60,
      leakedDuringPartition: 0,
      lost: 0,
      unexpected: 0,
    })
  })
})

describe('churn', () => {
  it('8 nodes crashing and restarting during 40 publishes all end with every record', async () => {
    const report = await churn({ ...DEFAULT_PARAMS, nodes: 8, seed: 13, topology: 'regular:4', records: 40 })
    expect(report.problems).toEqual([])
    expect(report.figures).toMatchObject({ acknowledged: 40, lost: 0, unexpected: 0 })
    expect(report.figures.crashes).toBeGreaterThan(0)
  })
})
