/**
 * The node's network (SPEC 7): a libp2p node (libp2p-node.ts) with the marketplace on top —
 * the records topic and its validator, catch-up with every peer on connection and
 * periodically, Bitswap for content — behind the narrow face the daemon needs: an
 * AnnounceTarget for the outbox, peers, connect, addresses. Start and stop are written out
 * in order; stop is the reverse of start.
 */
import type { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import type { Helia } from '@helia/interface'
import type { PeerInfo as Libp2pPeerInfo, PeerId } from '@libp2p/interface'
import { multiaddr } from '@multiformats/multiaddr'
import { GgenError } from '../domain/errors.js'
import type { PeerInfo, WatchEvent } from '../node/api.js'
import type { BatchItemResult, IngestOptions, IngestResult, RecordSource } from '../node/ingest.js'
import type { ContentFetcher, RecordLookup } from '../node/install.js'
import type { NodeEvents } from '../node/local-node.js'
import type { Store } from '../store/index.js'
import { type AttachedBitswap, attachBitswap } from './bitswap.js'
import { DhtCatalogue } from './dht-catalogue.js'
import { type FetchOptions, type FetchSummary, type FetchTarget, fetchContent } from './fetch-content.js'
import { type GossipDecision, validateGossip } from './gossip-validator.js'
import { createNetNode, type NetNode, type NetNodeInit } from './libp2p-node.js'
import { DEFAULT_NET_LIMITS, type NetLimits, RateLimiter } from './limits.js'
import { recordsTopic, syncProtocol } from './names.js'
import { loadOrCreatePeerKey } from './peer-identity.js'
import { Seeder, type SeedPolicy } from './seeder.js'
import { CatchUp, type PullResult } from './sync-protocol.js'
import { SyncStore } from './sync-store.js'

/** How long the side with the greater PeerId waits before dialing a LAN peer it found. */
const LAN_DIAL_BACKOFF_MS = 1500

/** gossipsub's score keeper, as far as the flood penalty uses it (not on its public type). */
interface BehaviourPenalties {
  addPenalty(peer: string, penalty: number, label: string): void
}

/** The store meta key of the bytes fetched for seeding so far. */
const SEEDED_BYTES_META = 'seeded_bytes'

/** What the network needs from the node (LocalNode). */
export interface NetworkHost {
  config: {
    network: string
    listen: string[]
    bootstrap: string[]
    mdns: boolean
    psk?: string | undefined
    /** @default "none" */
    seed?: SeedPolicy
    /** @default 10 GiB */
    storage_quota_bytes?: number
  }
  layout: { peerKey: string; database: string }
  ingest(bytes: Uint8Array, options?: IngestOptions): IngestResult
  ingestMany(items: readonly { bytes: Uint8Array }[], source?: RecordSource): BatchItemResult[]
  events: Pick<EventEmitter<NodeEvents>, 'emit' | 'on' | 'off'>
  store: Pick<Store, 'getRecord' | 'versions' | 'latestPerPackage' | 'isTrusted' | 'getMeta' | 'setMeta'>
  content(): Promise<{ helia: Helia }>
  /** Lets install fetch a package's blocks through the network first (LocalNode). */
  setContentFetcher?(fetcher: ContentFetcher | undefined): void
  /** Lets install look up an id no peer has told this node about (LocalNode). */
  setRecordLookup?(lookup: RecordLookup | undefined): void
}

/** Network options. */
export interface NetworkInit {
  /** @default DEFAULT_NET_LIMITS */
  limits?: NetLimits
  /** Plug Bitswap into the content store (opens it). @default true */
  content?: boolean
  /** Called when a peer joins the records topic: the moment to drain the outbox. */
  onTopicPeer?(): void
  /** Told about rejected gossip, failed catch-up and the like. */
  onWarning?(message: string, details: Record<string, unknown>): void
  /** Transports in place of TCP: the simulator's in-memory links (sim/transport.ts). */
  transports?: NetNodeInit['transports']
}

/** A running network; see the module comment. */
export class Network {
  readonly #host: NetworkHost
  readonly #limits: NetLimits
  readonly #topic: string
  readonly #warn: (message: string, details: Record<string, unknown>) => void
  readonly #onTopicPeer: () => void
  #catchUp: CatchUp | undefined
  #syncStore: SyncStore | undefined
  #bitswap: AttachedBitswap | undefined
  #dht: DhtCatalogue | undefined
  #seeder: Seeder | undefined
  #timer: NodeJS.Timeout | undefined
  readonly #pulls = new Map<string, Promise<PullResult | undefined>>()
  readonly #pullAgain = new Set<string>()
  /** What catch-up pulls did: pulls that completed, records received, records new here. */
  readonly syncStats = { pulls: 0, received: 0, added: 0 }
  /** Counts of gossip decisions, by reason. */
  readonly gossipStats: Record<GossipDecision['reason'], number> = {
    added: 0,
    duplicate: 0,
    oversized: 0,
    'rate-limited': 0,
    invalid: 0,
    'local-failure': 0,
  }

  private constructor(
    readonly libp2p: NetNode,
    host: NetworkHost,
    init: NetworkInit,
  ) {
    this.#host = host
    this.#limits = init.limits ?? DEFAULT_NET_LIMITS
    this.#topic = recordsTopic(host.config.network)
    this.#warn = init.onWarning ?? (() => {})
    this.#onTopicPeer = init.onTopicPeer ?? (() => {})
  }

  /** Builds the libp2p node and starts every part; a failure stops what started. */
  static async start(host: NetworkHost, init: NetworkInit = {}): Promise<Network> {
    const limits = init.limits ?? DEFAULT_NET_LIMITS
    const { config } = host
    let net: Network | undefined
    const libp2p = await createNetNode({
      privateKey: await loadOrCreatePeerKey(host.layout.peerKey),
      network: config.network,
      listen: config.listen,
      bootstrap: config.bootstrap,
      mdns: config.mdns,
      onLanPeer: (peer) => {
        if (net !== undefined) net.#dialLanPeer(peer)
      },
      ...(config.psk === undefined ? {} : { psk: await readFile(config.psk) }),
      limits,
      ...(init.transports === undefined ? {} : { transports: init.transports }),
    })
    net = new Network(libp2p, host, init)
    try {
      await net.#start(init.content ?? true)
    } catch (err) {
      await net.stop()
      throw err
    }
    return net
  }

  async #start(content: boolean): Promise<void> {
    const { libp2p } = this
    const pubsub = libp2p.services.pubsub
    // 1. Gossip: validate before subscribing, so that no message skips the validator.
    const limiter = new RateLimiter(this.#limits.messages_per_second, this.#limits.message_burst)
    pubsub.topicValidators.set(this.#topic, (peer, msg) => {
      const decision = validateGossip(
        {
          maxMessageBytes: this.#limits.max_message_bytes,
          allow: (p) => limiter.take(p),
          ingest: (bytes) => this.#host.ingest(bytes, { source: 'network' }),
        },
        peer.toString(),
        msg.data,
      )
      this.gossipStats[decision.reason]++
      if (decision.reason === 'rate-limited') this.#penaliseFlood(peer.toString())
      if (decision.verdict === 'reject') {
        this.#warn('rejected a gossip message', {
          peer: peer.toString(),
          reason: decision.reason,
          err: decision.error,
        })
      }
      return decision.verdict as never
    })
    pubsub.addEventListener('subscription-change', this.#onSubscriptionChange)
    pubsub.subscribe(this.#topic)
    // 2. Catch-up: served from a read-only view of the store, written through ingest.
    this.#syncStore = new SyncStore(this.#host.layout.database)
    const store = this.#syncStore
    this.#catchUp = new CatchUp(
      {
        libp2p,
        store,
        ingestMany: (items) => this.#host.ingestMany(items, 'network'),
        onError: (err, peer) => this.#warn('catch-up request failed', { peer, err }),
        onPeerChanged: (peer) => void this.pull(peer),
      },
      { protocol: syncProtocol(this.#host.config.network), limits: this.#limits },
    )
    await this.#catchUp.start()
    libp2p.addEventListener('peer:connect', this.#onConnect)
    libp2p.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#timer = setInterval(() => {
      for (const peer of libp2p.getPeers()) void this.pull(peer)
    }, this.#limits.sync_interval_ms)
    this.#timer.unref()
    // 3. Content: Bitswap over the content store, so installs fetch and this node serves.
    if (content) {
      const helia = (await this.#host.content()).helia
      this.#bitswap = await attachBitswap(helia, libp2p)
      this.#host.setContentFetcher?.((target, options) => this.fetchContent(target, options))
    }
    // 4. DHT: records entering the network here and content held here are advertised.
    this.#dht = new DhtCatalogue(libp2p, {
      network: this.#host.config.network,
      ingest: (bytes, options) => this.#host.ingest(bytes, options),
      getRecord: (cid) => this.#host.store.getRecord(cid),
      hasBlock: async (cid) => content && (await (await this.#host.content()).helia.blockstore.has(cid)),
      warn: this.#warn,
    })
    this.#host.setRecordLookup?.((id, options) => this.lookup(id, options))
    // 5. Seeding: fetch the content of arriving releases as the policy says.
    const policy = this.#host.config.seed ?? 'none'
    if (content && policy !== 'none') this.#seeder = this.#startSeeder(policy)
    this.#host.events.on('event', this.#onRecord)
    if (content) {
      this.#provideHeld()
      this.#host.events.on('imported', this.#provideHeld)
    }
  }

  /**
   * Provides the content of every package whose root block is held (those already provided
   * are skipped). At start, and after a bundle import: its blocks may belong to releases this
   * node learned of before, whose provide found nothing to announce then.
   */
  readonly #provideHeld = (): void => {
    for (const entry of this.#host.store.latestPerPackage()) void this.#dht?.provide(entry.cid)
  }

  #startSeeder(policy: SeedPolicy): Seeder {
    const { store } = this.#host
    return new Seeder({
      policy,
      quotaBytes: this.#host.config.storage_quota_bytes ?? 10 * 1024 ** 3,
      isTrusted: (publisher) => store.isTrusted(publisher),
      fetch: (target, signal) => this.fetchContent(target, { signal }),
      usedBytes: {
        load: () => Number(store.getMeta(SEEDED_BYTES_META) ?? 0),
        save: (bytes) => store.setMeta(SEEDED_BYTES_META, bytes),
      },
      warn: this.#warn,
    })
  }

  /**
   * A message over its sender's rate is IGNOREd (a REJECT would stick to the message id and
   * punish every honest relayer of the same record), so the flood costs its sender through
   * gossipsub's behaviour penalty instead (P7: weight x count squared, decaying), which counts
   * against that peer alone: a sustained flood keeps it graylisted, so it is throttled.
   */
  #penaliseFlood(peer: string): void {
    const pubsub = this.libp2p.services.pubsub as unknown as { score?: BehaviourPenalties }
    pubsub.score?.addPenalty(peer, 1, 'flood')
  }

  /** What seeding did, when a seeding policy is on. */
  get seedStats(): Seeder['stats'] | undefined {
    return this.#seeder?.stats
  }

  readonly #onRecord = (event: WatchEvent): void => {
    if (event.type !== 'record' || this.#dht === undefined) return
    if (event.source !== 'network') void this.#dht.putRecord(event.id, event.record)
    if (event.kind !== 'release') return
    // A release gossip or catch-up brought has no content here yet (install and seeding
    // provide what they fetch): without a seeder there is nothing to do, and catch-up of
    // thousands of records should not look each one's versions up.
    if (event.source === 'network' && this.#seeder === undefined) return
    const entry = this.#host.store.versions(event.id).find((v) => v.record === event.record)
    if (entry === undefined) return
    void this.#dht.provide(entry.cid, { awaitBlocks: event.source === 'bundle' })
    if (event.source !== 'local') void this.#seeder?.offer(entry)
  }

  /** Looks up the latest record of `id` in the DHT and stores it; true when one was stored. */
  async lookup(id: string, options: { signal?: AbortSignal | undefined } = {}): Promise<boolean> {
    return (
      (await this.#dht?.lookup(id, options.signal === undefined ? {} : { signal: options.signal })) ?? false
    )
  }

  /**
   * Makes every block of a package local, fetching the missing ones by Bitswap from
   * connected peers; fails with ERR_CONTENT_UNAVAILABLE after `fetch_timeout_ms` without a block.
   */
  async fetchContent(target: FetchTarget, options: FetchOptions = {}): Promise<FetchSummary> {
    const helia = (await this.#host.content()).helia
    // Peers that are not connected may hold it: dial the DHT's providers while fetching.
    const providers = new AbortController()
    void this.#dht?.dialProviders(target.cid, providers.signal)
    try {
      const summary = await fetchContent(
        {
          blockstore: helia.blockstore,
          getCodec: helia.getCodec,
          peers: () => this.libp2p.getPeers().map((p) => p.toString()),
          timeoutMs: this.#limits.fetch_timeout_ms,
        },
        target,
        options,
      )
      void this.#dht?.provide(target.cid.toString())
      return summary
    } finally {
      providers.abort()
    }
  }

  /**
   * Dials a peer mDNS found, unless connected already or at the connection limit. Both sides
   * find each other at once; the side with the greater PeerId waits a moment, so that usually
   * one connection, not two, joins them.
   */
  #dialLanPeer(peer: Libp2pPeerInfo): void {
    const delay = peer.id.toString() < this.libp2p.peerId.toString() ? LAN_DIAL_BACKOFF_MS : 0
    setTimeout(() => {
      const { libp2p } = this
      if (libp2p.status !== 'started' || libp2p.getConnections(peer.id).length > 0) return
      if (libp2p.getConnections().length >= this.#limits.max_connections) return
      libp2p.dial(peer.id).catch((err: Error) => {
        // Another network's node, or one outside a private mesh, shares the LAN: not an error.
        this.#warn('could not dial a LAN peer', { peer: peer.id.toString(), err: err.message })
      })
    }, delay).unref()
  }

  readonly #onConnect = (evt: CustomEvent<PeerId>): void => {
    this.#host.events.emit('event', { type: 'peer:connect', peerId: evt.detail.toString() })
    void this.pull(evt.detail)
  }

  readonly #onSubscriptionChange = (
    evt: CustomEvent<{ peerId: PeerId; subscriptions: { topic: string; subscribe: boolean }[] }>,
  ): void => {
    if (!evt.detail.subscriptions.some((s) => s.topic === this.#topic && s.subscribe)) return
    this.#onTopicPeer()
    // Gossip reaches a peer only once it is in the mesh; a pull closes the window before that.
    void this.pull(evt.detail.peerId)
  }

  readonly #onDisconnect = (evt: CustomEvent<PeerId>): void => {
    this.#catchUp?.forget(evt.detail)
    this.#host.events.emit('event', { type: 'peer:disconnect', peerId: evt.detail.toString() })
  }

  /**
   * Pulls what `peer` has and this node lacks; one pull per peer at a time, and a pull asked
   * for while one runs runs once more after it (the peer may have changed meanwhile). Records
   * it adds are news to the other peers: each is asked in turn, which shows it this node's
   * new summary and makes it pull (`onPeerChanged`), hop by hop across the mesh. Never throws.
   */
  pull(peer: PeerId): Promise<PullResult | undefined> {
    const key = peer.toString()
    const running = this.#pulls.get(key)
    if (running !== undefined) {
      this.#pullAgain.add(key)
      return running
    }
    const catchUp = this.#catchUp
    if (catchUp === undefined) return Promise.resolve(undefined)
    const pull = catchUp
      .pull(peer)
      .then((result) => {
        this.syncStats.pulls++
        this.syncStats.received += result.received
        this.syncStats.added += result.added
        if (result.rejected > 0) this.#warn('catch-up received invalid records', { peer: key, ...result })
        if (result.added > 0) this.#tellPeers(key)
        return result
      })
      .catch((err) => {
        this.#warn('catch-up failed', { peer: key, err })
        return undefined
      })
      .finally(() => {
        this.#pulls.delete(key)
        if (this.#pullAgain.delete(key) && this.#catchUp !== undefined) void this.pull(peer)
      })
    // Logs left to other pulls are asked of this peer again once those are done, in case
    // they failed.
    void pull.then(async (result) => {
      if (result === undefined || result.deferred === 0) return
      await Promise.allSettled(this.#pulls.values())
      if (this.#catchUp !== undefined) void this.pull(peer)
    })
    this.#pulls.set(key, pull)
    return pull
  }

  /** Asks every connected peer but `source`, so that each sees this node's new summary. */
  #tellPeers(source: string): void {
    for (const peer of this.libp2p.getPeers()) if (peer.toString() !== source) void this.pull(peer)
  }

  /** The AnnounceTarget of the outbox: delivered when at least one peer got it. */
  async announce(bytes: Uint8Array, _cid: string): Promise<boolean> {
    // Publishing to nobody would still mark the message seen, and its content-derived id
    // would make the retry a silent duplicate: wait for a subscriber instead.
    if (this.libp2p.services.pubsub.getSubscribers(this.#topic).length === 0) return false
    const result = await this.libp2p.services.pubsub.publish(this.#topic, bytes)
    return result.recipients.length > 0
  }

  /** The addresses this node listens on, with its PeerId. */
  addresses(): string[] {
    return this.libp2p.getMultiaddrs().map((ma) => ma.toString())
  }

  /** Connected peers and the addresses of their connections. */
  peers(): PeerInfo[] {
    return this.libp2p.getPeers().map((peer) => ({
      peerId: peer.toString(),
      addresses: this.libp2p.getConnections(peer).map((c) => c.remoteAddr.toString()),
    }))
  }

  /** Dials a multiaddr (with or without /p2p/ID). */
  async connect(address: string, options: { signal?: AbortSignal } = {}): Promise<PeerInfo> {
    let ma: ReturnType<typeof multiaddr>
    try {
      ma = multiaddr(address)
    } catch (err) {
      throw new GgenError(
        'ERR_BAD_MULTIADDR',
        `${address} is not a multiaddr (${(err as Error).message}); use e.g. /ip4/192.0.2.1/tcp/4001/p2p/12D3Koo...`,
        { address },
      )
    }
    try {
      const connection = await this.libp2p.dial(ma, options)
      const peerId = connection.remotePeer.toString()
      return (
        this.peers().find((p) => p.peerId === peerId) ?? {
          peerId,
          addresses: [connection.remoteAddr.toString()],
        }
      )
    } catch (err) {
      throw new GgenError(
        'ERR_DIAL_FAILED',
        `could not connect to ${address}: ${(err as Error).message}; check the address, that the peer runs, and the --psk of both sides`,
        { address },
      )
    }
  }

  /** Stops in the reverse order of start; idempotent. */
  async stop(): Promise<void> {
    clearInterval(this.#timer)
    this.#timer = undefined
    this.libp2p.removeEventListener('peer:connect', this.#onConnect)
    this.libp2p.removeEventListener('peer:disconnect', this.#onDisconnect)
    this.libp2p.services.pubsub.removeEventListener('subscription-change', this.#onSubscriptionChange)
    this.#host.events.off('event', this.#onRecord)
    this.#host.events.off('imported', this.#provideHeld)
    await this.#seeder?.stop()
    this.#seeder = undefined
    if (this.#dht !== undefined) this.#host.setRecordLookup?.(undefined)
    await this.#dht?.stop()
    this.#dht = undefined
    if (this.#bitswap !== undefined) this.#host.setContentFetcher?.(undefined)
    await this.#bitswap?.detach()
    this.#bitswap = undefined
    await this.#catchUp?.stop().catch(() => {})
    await Promise.allSettled(this.#pulls.values())
    await this.libp2p.stop()
    this.#syncStore?.close()
    this.#catchUp = undefined
  }
}
