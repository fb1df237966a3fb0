/**
 * The propagation scenario at a small size: one release over 12 nodes on random 4-regular
 * 20 ± 10 ms links reaches every node, and the report carries its figures.
 */
import { describe, expect, it } from 'vitest'
import { coverageCurve, percentile, svgChart, timeToCoverage } from '../../sim/report.js'
import { DEFAULT_PARAMS } from '../../sim/scenarios/common.js'
import { propagation } from '../../sim/scenarios/propagation.js'

describe('propagation scenario', () => {
  it('a release reaches all 12 nodes and the report says when', async () => {
    const params = { ...DEFAULT_PARAMS, nodes: 12, seed: 5, topology: 'regular:4' }
    const report = await propagation(params)
    expect(report.problems).toEqual([])
    expect(report).toMatchObject({ scenario: 'propagation', seed: 5, figures: { reached: 12 } })
    const { t50Ms, t95Ms, t100Ms } = report.figures as { t50Ms: number; t95Ms: number; t100Ms: number }
    expect(t50Ms).toBeLessThanOrEqual(t95Ms)
    expect(t95Ms).toBeLessThanOrEqual(t100Ms)
    // two link latencies at the very least before half the nodes hold it
    expect(t50Ms).toBeGreaterThanOrEqual(10)
    expect(report.figures.bytesForRelease).toBeGreaterThan(0)
    expect(report.coverage?.at(-1)?.[1]).toBe(1)
  })
})

describe('report figures', () => {
  it('times to coverage, percentiles and the chart come from the arrival delays', () => {
    const delays = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]
    expect(timeToCoverage(delays, 10, 0.5)).toBe(40)
    expect(timeToCoverage(delays, 10, 1)).toBe(90)
    expect(timeToCoverage(delays, 20, 1)).toBeNull()
    expect(percentile([3, 1, 2], 50)).toBe(2)
    expect(coverageCurve([5, 0], 4)).toEqual([
      [0, 0.25],
      [5, 0.5],
    ])
    expect(svgChart(coverageCurve(delays, 10), 'a < b')).toContain('a &#60; b')
  })
})
