/**
 * GossipSub peer scoring for the records topic. Gossipsub lowers a peer's score for REJECTed
 * messages only when the topic has score parameters (SPEC 7), so they are set here: each
 * invalid message (P4) costs its sender, squared, and a few push it under the graylist
 * threshold, after which gossipsub ignores everything it sends.
 *
 * Releases are rare, so the mesh-delivery penalties (P3, P3b), meant for busy topics, are
 * off: they would punish honest peers of a quiet topic. IP colocation (P6) is off too: a
 * team LAN behind one NAT, and every test on loopback, share an address.
 *
 * Parameters alone do not keep a forger graylisted: @libp2p/gossipsub 17 throws a peer's
 * penalty away when it reconnects, whatever `retainScore` says (see `keepScoresAcrossReconnects`).
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

/**
 * Weight of one invalid message, before squaring: 3 invalid messages reach the graylist (-180),
 * even from a peer at the most a topic gives (+51: first deliveries at their cap, time in mesh).
 */
export const INVALID_MESSAGE_WEIGHT = -20

/** Score decay interval, ms: one heartbeat. */
export const DECAY_INTERVAL_MS = 1000

/**
 * How long an invalid message counts, ms: its count decays to 1% over an hour, so a graylisted
 * forger stays graylisted for minutes (3 invalid messages take almost 4 minutes to decay back
 * over the threshold, and meanwhile nothing more it sends is read) while an honest peer's rare
 * rejected relay (a rotation that overtook its release, a skewed clock) is forgotten within
 * the hour.
 */
export const INVALID_MESSAGE_MEMORY_MS = 3600 * 1000

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
    invalidMessageDeliveriesDecay: 0.01 ** (DECAY_INTERVAL_MS / INVALID_MESSAGE_MEMORY_MS),
  }
}

/** Weight of the squared count of misbehaviours over the threshold (P7). */
export const BEHAVIOUR_PENALTY_WEIGHT = -10

/** Peer score parameters with the records topic of `topic` scored. */
export function peerScoreParams(topic: string): Partial<PeerScoreParams> {
  return {
    topics: { [topic]: recordsTopicScoreParams() },
    topicScoreCap: 50,
    IPColocationFactorWeight: 0,
    decayInterval: DECAY_INTERVAL_MS,
    decayToZero: 0.01,
    retainScore: 3600 * 1000,
    // P7, behaviour: gossipsub's own misbehaviours (broken IWANT promises, early GRAFTs) and
    // each message a peer sends over its rate (Network adds those). The first six are free,
    // so an honest peer that broke a promise or two under load keeps gossiping; a flood of
    // hundreds sinks far under the graylist, for about as long as the count takes to decay
    // back to six (x0.9 a second: ~20 s after 50 over the rate, ~40 s after 500).
    behaviourPenaltyWeight: BEHAVIOUR_PENALTY_WEIGHT,
    behaviourPenaltyThreshold: 6,
    behaviourPenaltyDecay: 0.9,
  }
}

/** The part of gossipsub's score keeper (`PeerScore`) that `keepScoresAcrossReconnects` mends. */
export interface ScoreKeeper {
  readonly peerStats: Map<string, { connected: boolean; expire: number }>
  readonly scoreCache: Map<string, unknown>
  addPeer(id: string): void
  removePeer(id: string): void
}

/**
 * Makes gossipsub keep a peer's score across a reconnect, as `retainScore` intends and as
 * go-libp2p-pubsub does. @libp2p/gossipsub 17 loses it two ways: `addPeer` replaces the stats
 * it retained for a disconnected peer with fresh ones, so a forger that reconnects (or whose
 * gossip stream dies and comes back, as an oversized message makes it) starts again at zero;
 * and `removePeer` decides whether to retain from the score cached up to a heartbeat earlier,
 * so a peer that disconnects right after its rejections, still cached positive, is forgotten.
 */
export function keepScoresAcrossReconnects(keeper: ScoreKeeper): void {
  const addPeer = keeper.addPeer.bind(keeper)
  const removePeer = keeper.removePeer.bind(keeper)
  keeper.addPeer = (id) => {
    const kept = keeper.peerStats.get(id)
    if (kept === undefined) return addPeer(id)
    kept.connected = true
    kept.expire = 0
  }
  keeper.removePeer = (id) => {
    keeper.scoreCache.delete(id)
    removePeer(id)
  }
}
