/**
 * GossipSub peer scoring for the records topic. Gossipsub lowers a peer's score for REJECTed
 * messages only when the topic has score parameters (SPEC 7), so they are set here: each
 * invalid message (P4) costs its sender, squared, and a few push it under the graylist
 * threshold, after which gossipsub ignores everything it sends.
 *
 * Releases are rare, so the mesh-delivery penalties (P3, P3b), meant for busy topics, are
 * off: they would punish honest peers of a quiet topic. IP colocation (P6) is off too: a
 * team LAN behind one NAT, and every test on loopback, share an address.
 */
import type { PeerScoreParams, PeerScoreThresholds, TopicScoreParams } from '@libp2p/gossipsub/score'

/** Score thresholds: a peer below `graylistThreshold` is ignored altogether. */
export const SCORE_THRESHOLDS: PeerScoreThresholds = {
  gossipThreshold: -50,
  publishThreshold: -80,
  graylistThreshold: -100,
  acceptPXThreshold: 10,
  opportunisticGraftThreshold: 1,
}

/** Weight of one invalid message, before squaring: 4 invalid messages reach the graylist. */
export const INVALID_MESSAGE_WEIGHT = -10

/** The parameters of the records topic. */
export function recordsTopicScoreParams(): TopicScoreParams {
  return {
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1000,
    timeInMeshCap: 100,
    firstMessageDeliveriesWeight: 1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 50,
    meshMessageDeliveriesWeight: 0,
    meshMessageDeliveriesDecay: 0.5,
    meshMessageDeliveriesCap: 100,
    meshMessageDeliveriesThreshold: 1,
    meshMessageDeliveriesWindow: 10,
    meshMessageDeliveriesActivation: 5000,
    meshFailurePenaltyWeight: 0,
    meshFailurePenaltyDecay: 0.5,
    invalidMessageDeliveriesWeight: INVALID_MESSAGE_WEIGHT,
    // Per 1 s decay interval: an invalid message is mostly forgotten after ~10 minutes.
    invalidMessageDeliveriesDecay: 0.995,
  }
}

/** Peer score parameters with the records topic of `topic` scored. */
export function peerScoreParams(topic: string): Partial<PeerScoreParams> {
  return {
    topics: { [topic]: recordsTopicScoreParams() },
    topicScoreCap: 50,
    IPColocationFactorWeight: 0,
    decayInterval: 1000,
    decayToZero: 0.01,
    retainScore: 3600 * 1000,
  }
}
