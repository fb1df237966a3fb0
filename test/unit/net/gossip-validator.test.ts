import { describe, expect, it } from 'vitest'
import { InvalidRecordError } from '../../../src/domain/errors.js'
import { validateGossip } from '../../../src/net/gossip-validator.js'
import { RateLimiter } from '../../../src/net/limits.js'
import type { IngestResult } from '../../../src/node/ingest.js'

const result = (status: 'added' | 'duplicate'): IngestResult => ({
  status,
  record: 'bafy',
  kind: 'release',
  id: 'x',
  publisher: 'p',
  forked: false,
  conflicted: false,
})
const deps = (ingest: () => IngestResult, allow = true) => ({
  maxMessageBytes: 100,
  allow: () => allow,
  ingest,
})

describe('validateGossip', () => {
  it('accepts a new record and ignores a known one', () => {
    expect(
      validateGossip(
        deps(() => result('added')),
        'peer',
        new Uint8Array(10),
      ).verdict,
    ).toBe('accept')
    expect(
      validateGossip(
        deps(() => result('duplicate')),
        'peer',
        new Uint8Array(10),
      ).verdict,
    ).toBe('ignore')
  })

  it('rejects an invalid record and an oversized message, and drops a flooding peer message, without storing', () => {
    let ingested = 0
    const bad = () => {
      ingested++
      throw new InvalidRecordError('signature does not match')
    }
    expect(validateGossip(deps(bad), 'peer', new Uint8Array(10))).toMatchObject({
      verdict: 'reject',
      reason: 'invalid',
    })
    expect(validateGossip(deps(bad), 'peer', new Uint8Array(101))).toMatchObject({
      verdict: 'reject',
      reason: 'oversized',
    })
    // IGNOREd, not REJECTed: gossipsub would also penalise the honest peers relaying the same message
    expect(validateGossip(deps(bad, false), 'peer', new Uint8Array(10))).toMatchObject({
      verdict: 'ignore',
      reason: 'rate-limited',
    })
    expect(ingested).toBe(1)
  })

  it('ignores, not rejects, when this node fails', () => {
    const broken = () => {
      throw new Error('disk full')
    }
    expect(validateGossip(deps(broken), 'peer', new Uint8Array(10))).toMatchObject({
      verdict: 'ignore',
      reason: 'local-failure',
    })
  })
})

describe('RateLimiter', () => {
  it('allows a burst, then the sustained rate, per key', () => {
    let now = 0
    const limiter = new RateLimiter(2, 3, () => now)
    expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false])
    expect(limiter.take('b')).toBe(true)
    now = 500
    expect([limiter.take('a'), limiter.take('a')]).toEqual([true, false])
  })
})
