import fc from 'fast-check'
import semver from 'semver'
import { describe, expect, it } from 'vitest'
import { ResolveError } from '../../../src/domain/errors.js'
import { resolve } from '../../../src/resolve/resolve.js'
import { catalogueOf, release } from './fixtures.js'

const versionArb = fc
  .tuple(
    fc.nat(3),
    fc.nat(3),
    fc.nat(3),
    fc.option(fc.constantFrom('alpha.1', 'beta.2', 'rc.1'), { nil: undefined }),
  )
  .map(([major, minor, patch, pre]) => `${major}.${minor}.${patch}${pre === undefined ? '' : `-${pre}`}`)

const releaseArb = fc.record({ version: versionArb, yanked: fc.boolean(), conflicted: fc.boolean() })

const packageArb = fc.uniqueArray(releaseArb, { minLength: 1, maxLength: 8, selector: (r) => r.version })

const rangeArb = fc.constantFrom('*', '^1', '~2.1', '>=1.2.0 <3', '0.x', '<=1.3.3', '^2.0.0-alpha.1')

describe('resolve, property', () => {
  it('picks exactly semver.maxSatisfying of the non-yanked, non-conflicted versions', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(packageArb, rangeArb), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (packages, includePrerelease) => {
          const ids = packages.map((_, i) => `pkg-${i}`)
          const entries = packages.flatMap(([releases], i) =>
            releases.map((r) => release(ids[i]!, r.version, { yanked: r.yanked, conflicted: r.conflicted })),
          )
          const expected = packages.map(([releases, range]) =>
            semver.maxSatisfying(
              releases.filter((r) => !r.yanked && !r.conflicted).map((r) => r.version),
              range,
              { includePrerelease },
            ),
          )
          const requests = packages.map(([, range], i) => ({ id: ids[i]!, range }))
          const run = () => resolve(requests, catalogueOf(entries), { trusted: new Set(), includePrerelease })

          if (expected.some((v) => v === null)) {
            expect(run).toThrow(ResolveError)
            return
          }
          const result = run()
          expect(result.packages.map((p) => p.version)).toEqual(expected)
          expect(result.order).toEqual(ids)
        },
      ),
      { numRuns: 300 },
    )
  })
})
