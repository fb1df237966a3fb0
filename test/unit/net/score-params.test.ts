/**
 * The records topic's scoring, on gossipsub's own score keeper: three rejected messages put a
 * peer under the graylist threshold, it stays there for minutes, and neither a reconnect nor
 * a disconnect right after its rejections wipes the penalty.
 */

import { createPeerScoreParams, PeerScore } from '@libp2p/gossipsub/score'
import type { ComponentLogger, Logger } from '@libp2p/interface'
import { describe, expect, it } from 'vitest'
import {
  DECAY_INTERVAL_MS,
  keepScoresAcrossReconnects,
  peerScoreParams,
  SCORE_THRESHOLDS,
} from '../../../src/net/score-params.js'

const TOPIC = '/ggen-market/test/records/1.0.0'
const GRAYLIST = SCORE_THRESHOLDS.graylistThreshold
/** gossipsub's RejectReason.Reject: what a validator's REJECT becomes. */
const REJECT = 'reject' as Parameters<PeerScore['rejectMessage']>[3]

const silent: ComponentLogger = {
  forComponent: () =>
    Object.assign(() => {}, { error() {}, trace() {}, enabled: false }) as unknown as Logger,
}

/** A score keeper as a node has it; `mended` applies keepScoresAcrossReconnects. */
function keeper(mended = true): PeerScore {
  const score = new PeerScore(createPeerScoreParams(peerScoreParams(TOPIC)), null, silent, {
    scoreCacheValidityMs: DECAY_INTERVAL_MS,
  })
  if (mended) keepScoresAcrossReconnects(score)
  return score
}

let messages = 0
function reject(score: PeerScore, peer: string, count: number): void {
  for (let i = 0; i < count; i++) score.rejectMessage(peer, `forged-${messages++}`, TOPIC, REJECT)
}

describe('records topic scoring', () => {
  it('graylists a peer after three rejected messages, not two', () => {
    const score = keeper()
    score.addPeer('forger')
    reject(score, 'forger', 2)
    expect(score.score('forger')).toBe(-80)
    score.scoreCache.clear()
    reject(score, 'forger', 1)
    expect(score.score('forger')).toBeLessThan(GRAYLIST)
  })

  it('graylists a peer that forwarded many first deliveries after three rejections', () => {
    const score = keeper()
    score.addPeer('relay')
    for (let i = 0; i < 100; i++) score.deliverMessage('relay', `honest-${i}`, TOPIC)
    expect(score.score('relay')).toBe(50)
    score.scoreCache.clear()
    reject(score, 'relay', 3)
    expect(score.score('relay')).toBeLessThan(GRAYLIST)
  })

  it('keeps a graylisted peer graylisted for minutes, and forgives an honest slip within the hour', () => {
    const score = keeper()
    score.addPeer('forger')
    score.addPeer('honest')
    reject(score, 'forger', 3)
    reject(score, 'honest', 1)
    for (let second = 0; second < 200; second++) score.refreshScores()
    score.scoreCache.clear()
    expect(score.score('forger')).toBeLessThan(GRAYLIST)
    for (let second = 200; second < 3600; second++) score.refreshScores()
    score.scoreCache.clear()
    expect(score.score('honest')).toBeGreaterThan(-0.01)
  })

  it('keeps the penalty of a peer that reconnects', () => {
    // gossipsub alone starts a reconnecting peer afresh: the penalty is gone
    const plain = keeper(false)
    plain.addPeer('forger')
    reject(plain, 'forger', 5)
    plain.removePeer('forger')
    plain.addPeer('forger')
    plain.scoreCache.clear() // a heartbeat later
    expect(plain.score('forger')).toBe(0)

    const score = keeper()
    score.addPeer('forger')
    reject(score, 'forger', 5)
    expect(score.score('forger')).toBe(-500)
    score.removePeer('forger')
    expect(score.score('forger')).toBe(-500)
    score.addPeer('forger')
    score.scoreCache.clear()
    expect(score.score('forger')).toBe(-500)
    reject(score, 'forger', 1)
    score.scoreCache.clear()
    expect(score.score('forger')).toBe(-720)
  })

  it('keeps the penalty of a peer that disconnects within a heartbeat of its rejections', () => {
    const score = keeper()
    score.addPeer('forger')
    for (let i = 0; i < 20; i++) score.deliverMessage('forger', `honest-${i}`, TOPIC)
    // cached positive for a heartbeat, as it was when its forgeries arrived
    expect(score.score('forger')).toBe(20)
    reject(score, 'forger', 5)
    score.removePeer('forger')
    score.addPeer('forger')
    score.scoreCache.clear()
    expect(score.score('forger')).toBeLessThan(GRAYLIST)
  })

  it('still forgets a peer with a positive score when it leaves', () => {
    const score = keeper()
    score.addPeer('honest')
    score.deliverMessage('honest', 'honest-0', TOPIC)
    score.removePeer('honest')
    expect(score.peerStats.has('honest')).toBe(false)
  })
})
