/**
 * The names a network is known by on the wire. Every name carries the network name (SPEC 7,
 * `--network`), so that nodes of two networks sharing a LAN never exchange records.
 */

/** The GossipSub topic carrying release, yank and rotation records of `network`. */
export function recordsTopic(network: string): string {
  return `/ggen-market/${network}/records/1`
}

/** The catch-up (anti-entropy) request-response protocol of `network`. */
export function syncProtocol(network: string): string {
  return `/ggen-market/${network}/sync/1.0.0`
}
