/**
 * The one composition of a libp2p node for ggen-market (SPEC 2, 7): TCP, Noise, Yamux,
 * identify, ping, the network's DHT (dht.ts) and GossipSub with the records topic scored;
 * mDNS on a LAN, bootstrap peers on a WAN, and a pre-shared key for a private mesh. Everything marketplace-specific
 * (validation, catch-up, content) is attached by `Network` over the node this returns.
 */
import { hash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { bootstrap } from '@libp2p/bootstrap'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import { type Identify, identify } from '@libp2p/identify'
import type { Libp2p, PeerDiscovery, PeerInfo, PrivateKey } from '@libp2p/interface'
import { mdns } from '@libp2p/mdns'
import { type Ping, ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { type NetDht, networkDht } from './dht.js'
import type { NetLimits } from './limits.js'
import { recordsTopic } from './names.js'
import {
  keepScoresAcrossReconnects,
  peerScoreParams,
  SCORE_THRESHOLDS,
  type ScoreKeeper,
} from './score-params.js'
import { yamux } from './yamux.js'

/** GossipSub with the score lookup its implementation has (not on the interface type). */
export type ScoredGossipSub = GossipSub & { getScore(peerId: string): number }

/** The services of a ggen-market libp2p node. */
export interface NetServices extends Record<string, unknown> {
  identify: Identify
  ping: Ping
  pubsub: ScoredGossipSub
  dht: NetDht
}

/** A ggen-market libp2p node. */
export type NetNode = Libp2p<NetServices>

/** What a node is built from. */
export interface NetNodeInit {
  /** The peer identity (HOME/keys/peer.key). */
  privateKey: PrivateKey
  /** The network name: it names the topic. */
  network: string
  /** Multiaddrs to listen on. */
  listen: string[]
  /** Multiaddrs dialled at start. @default [] */
  bootstrap?: string[]
  /** Discover peers on the LAN. @default true */
  mdns?: boolean
  /**
   * Told of every peer mDNS finds. libp2p only adds discovered peers to its peer store; it
   * dials none of them, so the caller dials LAN peers here.
   */
  onLanPeer?(peer: PeerInfo): void
  /** The contents of a pre-shared key file (`/key/swarm/psk/1.0.0/`): a private mesh. */
  psk?: Uint8Array
  limits: NetLimits
  /** Transports in place of TCP (the simulator's in-memory links). @default [tcp()] */
  transports?: Libp2pOptions['transports']
}

/** Builds and starts a libp2p node. */
export async function createNetNode(init: NetNodeInit): Promise<NetNode> {
  const topic = recordsTopic(init.network)
  const discovery: NonNullable<Libp2pOptions['peerDiscovery']> = []
  if (init.bootstrap !== undefined && init.bootstrap.length > 0) {
    discovery.push(bootstrap({ list: init.bootstrap, timeout: 100 }))
  }
  if (init.mdns ?? true) discovery.push(lanDiscovery(init.network, init.onLanPeer))
  const node = await createLibp2p({
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: init.transports ?? [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(init.psk === undefined ? {} : { connectionProtector: preSharedKey({ psk: init.psk }) }),
    peerDiscovery: discovery,
    connectionManager: { maxConnections: init.limits.max_connections },
    // Loopback and LAN peers are the normal case of a team mesh and of tests.
    connectionGater: { denyDialMultiaddr: () => false },
    services: {
      identify: identify(),
      ping: ping(),
      dht: networkDht(init.network),
      pubsub: scoredGossipsub({
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        // Records are signed by their publisher; the gossip envelope needs no signature of its
        // own, and a content-derived id makes one record one message whoever relays it.
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (msg) => hash('sha256', msg.data, 'buffer'),
        maxInboundDataLength: init.limits.max_message_bytes,
        allowedTopics: [topic],
        scoreParams: peerScoreParams(topic),
        scoreThresholds: SCORE_THRESHOLDS,
      }) as unknown as NonNullable<Libp2pOptions<NetServices>['services']>['pubsub'],
    },
  })
  return node as unknown as NetNode
}

/** mDNS under the network's own service tag, reporting each peer it finds to `onPeer`. */
function lanDiscovery(
  network: string,
  onPeer: ((peer: PeerInfo) => void) | undefined,
): NonNullable<Libp2pOptions['peerDiscovery']>[number] {
  const factory = mdns({ serviceTag: `ggen-market-${network}` })
  return (components: Parameters<typeof factory>[0]): PeerDiscovery => {
    const discovery = factory(components)
    if (onPeer !== undefined) discovery.addEventListener('peer', (evt) => onPeer(evt.detail))
    return discovery
  }
}

/** GossipSub whose scores survive a peer's reconnect (see `keepScoresAcrossReconnects`). */
function scoredGossipsub(init: Parameters<typeof gossipsub>[0]): ReturnType<typeof gossipsub> {
  const create = gossipsub(init)
  return (components) => {
    const pubsub = create(components)
    keepScoresAcrossReconnects((pubsub as unknown as { score: ScoreKeeper }).score)
    return pubsub
  }
}

/** How long the side with the greater PeerId waits before dialing a LAN peer it found. */
const LAN_DIAL_BACKOFF_MS = 1500

/**
 * Dials a peer mDNS found, unless connected already or at `maxConnections`. Both sides find
 * each other at once; the side with the greater PeerId waits a moment, so that usually one
 * connection, not two, joins them. A failed dial (another network's node, one outside a
 * private mesh, sharing the LAN) is a warning, not an error.
 */
export function dialLanPeer(
  libp2p: NetNode,
  peer: PeerInfo,
  maxConnections: number,
  warn: (message: string, details: Record<string, unknown>) => void,
): void {
  const delay = peer.id.toString() < libp2p.peerId.toString() ? LAN_DIAL_BACKOFF_MS : 0
  setTimeout(() => {
    if (libp2p.status !== 'started' || libp2p.getConnections(peer.id).length > 0) return
    if (libp2p.getConnections().length >= maxConnections) return
    libp2p.dial(peer.id).catch((err: Error) => {
      warn('could not dial a LAN peer', { peer: peer.id.toString(), err: err.message })
    })
  }, delay).unref()
}
