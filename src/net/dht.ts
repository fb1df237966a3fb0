/**
 * The DHT of a network (SPEC 7): a Kademlia DHT on the network's own protocol, holding under
 * `/ggen-market-<network>/id/<id>` the latest signed record of each package id, so that a
 * node can learn of an id no connected peer knows, and provider records for the content CIDs
 * of the packages nodes hold. A value is a record: the validator decodes and verifies it and
 * checks it is of this network and of the id its key names; the selector prefers the highest
 * log position. Keys of any other namespace (IPNS, public keys, other networks) are refused.
 */
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { InvalidRecordError } from '../domain/errors.js'
import { checkTime, openRecord } from '../domain/records.js'

/** The key namespace of `network`'s DHT records. */
export function dhtNamespace(network: string): string {
  return `ggen-market-${network}`
}

/** The DHT protocol of `network`: nodes of other networks are not in its routing table. */
export function dhtProtocol(network: string): string {
  return `/ggen-market/${network}/kad/1.0.0`
}

/** The DHT key under which the latest record of package `id` is stored. */
export function idKey(network: string, id: string): Uint8Array {
  return new TextEncoder().encode(`/${dhtNamespace(network)}/id/${id}`)
}

/** Throws unless `value` is a valid record of `network` for the id `key` names. */
export function validateIdRecord(network: string, key: Uint8Array, value: Uint8Array): void {
  const prefix = `/${dhtNamespace(network)}/id/`
  const text = new TextDecoder().decode(key)
  if (!text.startsWith(prefix)) {
    throw new InvalidRecordError(`DHT key ${text} is outside the namespace ${prefix}`, { key: text })
  }
  const block = openRecord(value)
  const { body } = block.record
  checkTime(body)
  if (body.network !== network) {
    throw new InvalidRecordError(`record of network ${body.network} under a key of ${network}`, { key: text })
  }
  const id = text.slice(prefix.length)
  if (body.id !== id) {
    throw new InvalidRecordError(`record of ${body.id} under the key of ${id}`, { key: text })
  }
}

/** The index of the record to keep among valid values: the highest seq, then the latest time. */
export function selectIdRecord(values: Uint8Array[]): number {
  let best = 0
  let bestRank: [number, number] = [-1, -1]
  for (const [index, value] of values.entries()) {
    let rank: [number, number]
    try {
      const { body } = openRecord(value).record
      rank = [body.seq, body.time]
    } catch {
      continue
    }
    if (rank[0] > bestRank[0] || (rank[0] === bestRank[0] && rank[1] > bestRank[1])) {
      best = index
      bestRank = rank
    }
  }
  return best
}

function refuse(key: Uint8Array): never {
  throw new InvalidRecordError(`DHT key ${new TextDecoder().decode(key)} is outside this network's namespace`)
}

/** The DHT service of a node of `network`, in server mode: every node on a team mesh serves. */
export function networkDht(network: string): ReturnType<typeof kadDHT> {
  return kadDHT({
    protocol: dhtProtocol(network),
    clientMode: false,
    // A team mesh lives on a LAN or loopback as often as on the Internet: keep every address.
    peerInfoMapper: passthroughMapper,
    validators: {
      [dhtNamespace(network)]: (key, value) => validateIdRecord(network, key, value),
      // The defaults accept public-key and IPNS records: nothing of this network.
      pk: refuse,
      ipns: refuse,
    },
    selectors: {
      [dhtNamespace(network)]: (_key, values) => selectIdRecord(values),
    },
  })
}

/** The DHT of a node. */
export type NetDht = KadDHT
