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
import type { PeerId } from '@libp2p/interface'
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
import { createNetNode, dialLanPeer, type NetNode, type NetNodeInit } from './libp2p-node.js'
import { DEFAULT_NET_LIMITS, type NetLimits } from './limits.js'
import { recordsTopic, syncProtocol } from './names.js'
import { loadOrCreatePeerKey } from './peer-identity.js'
import { PullScheduler } from './pull-scheduler.js'
import { type GossipStats, validateRecordsTopic } from './records-topic.js'
import { Seeder, type SeedPolicy } from './seeder.js'
import { CatchUp, type PullResult } from './sync-protocol.js'
import { SyncStore } from './sync-store.js'

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
  readonly #pulls: PullScheduler
  #gossipStats: GossipStats | undefined

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
    this.#pulls = new PullScheduler({
      pull: (peer) => this.#catchUp?.pull(peer),
      peers: () => this.libp2p.getPeers(),
      warn: this.#warn,
    })
  }

  /** Counts of gossip decisions, by reason (records-topic.ts). */
  get gossipStats(): GossipStats {
    return this.#gossipStats!
  }

  /** What catch-up pulls did: pulls that completed, records received, records new here. */
  get syncStats(): PullScheduler['stats'] {
    return this.#pulls.stats
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
        if (net !== undefined) dialLanPeer(net.libp2p, peer, limits.max_connections, net.#warn)
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
    this.#gossipStats = validateRecordsTopic({
      pubsub,
      topic: this.#topic,
      limits: this.#limits,
      ingest: (bytes) => this.#host.ingest(bytes, { source: 'network' }),
      warn: this.#warn,
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
      this.#pulls.pullAll()
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

  /** Pulls what `peer` has and this node lacks (pull-scheduler.ts); never throws. */
  pull(peer: PeerId): Promise<PullResult | undefined> {
    return this.#pulls.pull(peer)
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
    const pulls = this.#pulls.stop()
    await this.#catchUp?.stop().catch(() => {})
    await pulls
    await this.libp2p.stop()
    this.#syncStore?.close()
    this.#catchUp = undefined
  }
}
