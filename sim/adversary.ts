/**
 * What adversarial nodes send: forged records (a bad signature, another owner's id signed by
 * the wrong key), replays of valid old records, oversized messages, valid spam from throwaway
 * keys and junk. They go out as raw gossipsub publishes from the adversary's libp2p node,
 * which never runs its own validator on what it publishes, so honest validators see them.
 */
import * as dagCbor from '@ipld/dag-cbor'
import { generatePublisherKey, type PublisherKey, sign } from '../src/domain/keys.js'
import { signingBytes, signRecord } from '../src/domain/records.js'
import type { ReleaseBody } from '../src/domain/types.js'
import { recordsTopic } from '../src/net/names.js'
import type { SimNode } from './cluster.js'
import type { Prng } from './prng.js'
import { releaseBody, SIM_CONTENT } from './records.js'

/** Publishes `bytes` on the records topic of `sim` without validating or storing them; false if it failed. */
export async function rawPublish(sim: SimNode, bytes: Uint8Array): Promise<boolean> {
  try {
    await sim.net.libp2p.services.pubsub.publish(recordsTopic(sim.node.config.network), bytes)
    return true
  } catch {
    return false
  }
}

/** A release by `sim`'s key whose signature has one byte flipped. */
export function badSignature(sim: SimNode, id: string): Uint8Array {
  const block = signRecord(releaseBody(sim.node, id, '1.0.0'), sim.node.key)
  const sig = Uint8Array.from(block.record.sig)
  sig[0] = (sig[0] as number) ^ 0xff
  return dagCbor.encode({ body: block.record.body, sig })
}

/** The next release of `victim`'s id in `victim`'s name, signed by `forger`'s key instead. */
export function impersonation(victim: SimNode, forger: SimNode, id: string, version: string): Uint8Array {
  const body = withoutUndefined(releaseBody(victim.node, id, version))
  return dagCbor.encode({ body, sig: sign(forger.node.key, signingBytes(body)) })
}

/** A valid release signed by a fresh throwaway key: spam nobody can tell from a real first release. */
export function throwawayRelease(network: string, id: string, key: PublisherKey = generatePublisherKey()) {
  const body: ReleaseBody = {
    type: 'release',
    network,
    publisher: key.did,
    time: Date.now(),
    seq: 1,
    id,
    version: '1.0.0',
    cid: SIM_CONTENT,
    size: 10,
    manifest: {
      id,
      name: `Spam ${id}`,
      version: '1.0.0',
      description: 'throwaway',
      license: 'MIT',
      authors: [],
      keywords: ['spam'],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
  return signRecord(body, key)
}

/** `size` random bytes: junk, or an oversized message when larger than the cap. */
export function junk(rng: Prng, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = rng.int(256)
  return bytes
}

function withoutUndefined<T extends object>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T
}
