/**
 * The records topic's validator on gossipsub (SPEC 7): every message goes through
 * `validateGossip` (size cap, the sender's rate, the one ingest path) before gossipsub
 * forwards or drops it, and each decision is counted. A message over its sender's rate is
 * IGNOREd (a REJECT would stick to the message id and punish every honest relayer of the same
 * record), so the flood costs its sender through gossipsub's behaviour penalty instead (P7,
 * see score-params.ts), which counts against that peer alone: a sustained flood keeps it
 * graylisted, so it is throttled.
 */
import type { IngestResult } from '../node/ingest.js'
import { type GossipDecision, validateGossip } from './gossip-validator.js'
import type { NetNode } from './libp2p-node.js'
import { type NetLimits, RateLimiter } from './limits.js'

/** gossipsub's score keeper, as far as the flood penalty uses it (not on its public type). */
interface BehaviourPenalties {
  addPenalty(peer: string, penalty: number, label: string): void
}

/** Counts of gossip decisions, by reason. */
export type GossipStats = Record<GossipDecision['reason'], number>

/** What the validator needs. */
export interface RecordsTopicInit {
  pubsub: NetNode['services']['pubsub']
  topic: string
  limits: NetLimits
  ingest(bytes: Uint8Array): IngestResult
  warn(message: string, details: Record<string, unknown>): void
}

/** Sets the topic's validator; returns the counters it keeps. Call before subscribing. */
export function validateRecordsTopic(init: RecordsTopicInit): GossipStats {
  const stats: GossipStats = {
    added: 0,
    duplicate: 0,
    oversized: 0,
    'rate-limited': 0,
    invalid: 0,
    'local-failure': 0,
  }
  const limiter = new RateLimiter(init.limits.messages_per_second, init.limits.message_burst)
  const score = (init.pubsub as unknown as { score?: BehaviourPenalties }).score
  init.pubsub.topicValidators.set(init.topic, (peer, msg) => {
    const sender = peer.toString()
    const decision = validateGossip(
      { maxMessageBytes: init.limits.max_message_bytes, allow: (p) => limiter.take(p), ingest: init.ingest },
      sender,
      msg.data,
    )
    stats[decision.reason]++
    if (decision.reason === 'rate-limited') score?.addPenalty(sender, 1, 'flood')
    if (decision.verdict === 'reject') {
      init.warn('rejected a gossip message', { peer: sender, reason: decision.reason, err: decision.error })
    }
    return decision.verdict as never
  })
  return stats
}
