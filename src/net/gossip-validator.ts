/**
 * The decision of the records topic's validator (SPEC 7), as a pure function of what ingest
 * said: a new valid record is ACCEPTed (and forwarded), one already held is IGNOREd (no
 * penalty: honest peers forward duplicates), anything invalid is REJECTed (the sender's
 * score drops). A failure of this node (a full disk) is not the sender's fault: IGNORE.
 *
 * A message over the sender's rate is IGNOREd too, though the sender is at fault: gossipsub
 * remembers a REJECT against the message id and penalises every peer that relays the same
 * message later, so rejecting a valid record for its rate would sink the score of each honest
 * neighbour that forwards it. The flood costs its sender alone through gossipsub's behaviour
 * penalty (Network adds it), and the valid records it carried come back through catch-up.
 */
import { InvalidRecordError } from '../domain/errors.js'
import type { IngestResult } from '../node/ingest.js'

/** What the validator answers gossipsub; mirrors its TopicValidatorResult values. */
export type GossipVerdict = 'accept' | 'ignore' | 'reject'

/** Why a verdict was given, for logs and counters. */
export interface GossipDecision {
  verdict: GossipVerdict
  reason: 'added' | 'duplicate' | 'oversized' | 'rate-limited' | 'invalid' | 'local-failure'
  /** The record id, when the bytes decoded far enough to have one. */
  record?: string
  error?: unknown
}

/** What the validator needs: the size cap, a rate check and the ingest path. */
export interface GossipValidatorDeps {
  maxMessageBytes: number
  /** False when the peer is over its message rate. */
  allow(peer: string): boolean
  ingest(bytes: Uint8Array): IngestResult
}

/** Decides one message from `peer`; never throws. */
export function validateGossip(deps: GossipValidatorDeps, peer: string, data: Uint8Array): GossipDecision {
  if (data.length > deps.maxMessageBytes) return { verdict: 'reject', reason: 'oversized' }
  if (!deps.allow(peer)) return { verdict: 'ignore', reason: 'rate-limited' }
  try {
    const result = deps.ingest(data)
    return result.status === 'added'
      ? { verdict: 'accept', reason: 'added', record: result.record }
      : { verdict: 'ignore', reason: 'duplicate', record: result.record }
  } catch (error) {
    if (error instanceof InvalidRecordError) return { verdict: 'reject', reason: 'invalid', error }
    return { verdict: 'ignore', reason: 'local-failure', error }
  }
}
