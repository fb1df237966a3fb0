/**
 * The node running in this process on its home: the composition root of offline mode and,
 * later, the core the daemon wraps. Opens the stores in order (config, keys, SQLite, then
 * the content store on first use, so that search and info never load Helia) and closes
 * them in reverse; every command is a flow module over them.
 */

import { EventEmitter } from 'node:events'
import type { CID } from 'multiformats/cid'
import type { ContentStore } from '../content/index.js'
import { NoDaemonError, UsageError } from '../domain/errors.js'
import { isDidKey, keyFingerprint, keyFromEnv, type PublisherKey, readKeyFile } from '../domain/keys.js'
import { signRecord } from '../domain/records.js'
import type { RecordBlock, YankBody } from '../domain/types.js'
import { peerIdOf, readPeerKey } from '../net/peer-identity.js'
import { openStore, type Store } from '../store/index.js'
import type {
  ExportRequest,
  ExportResult,
  ImportResult,
  InfoResult,
  InstallRequest,
  InstallResult,
  KeysResult,
  NodeHandle,
  OperationOptions,
  PeerInfo,
  PublishResult,
  SearchQuery,
  SearchResult,
  StatusResult,
  TrustEntry,
  VerifyResult,
  WatchEvent,
  YankResult,
} from './api.js'
import type { BundleContext } from './bundle.js'
import { CatalogueSearch } from './catalogue-search.js'
import { loadConfig, type NodeConfig } from './config.js'
import { assertHomeExists, type HomeLayout, homeLayout } from './home.js'
import { packageInfo } from './info.js'
import {
  type BatchItemResult,
  type IngestContext,
  type IngestOptions,
  type IngestResult,
  ingestRecord,
  ingestRecords,
  type RecordSource,
} from './ingest.js'
import type { ContentFetcher, RecordLookup } from './install.js'
import { nextLogPosition } from './log-position.js'
import { parseExactSpec } from './spec.js'

/** How the publisher key reaches the node: the home's key file, or CI's environment. */
async function loadPublisherKey(layout: HomeLayout, env: NodeJS.ProcessEnv): Promise<PublisherKey> {
  if (env.GGEN_MARKET_KEY) return keyFromEnv(env.GGEN_MARKET_KEY)
  return readKeyFile(env.GGEN_MARKET_KEY_FILE || layout.publisherKey)
}

function recordEvent(block: RecordBlock, source: RecordSource): WatchEvent {
  const body = block.record.body
  return {
    type: 'record',
    kind: body.type,
    id: body.id,
    ...(body.type === 'rotation' ? {} : { version: body.version }),
    publisher: body.publisher,
    record: block.cid.toString(),
    source,
  }
}

function toTrustEntry(t: { key: string; addedAt: number; note?: string }): TrustEntry {
  return {
    key: t.key,
    fingerprint: keyFingerprint(t.key),
    addedAt: new Date(t.addedAt).toISOString(),
    ...(t.note ? { note: t.note } : {}),
  }
}

/** A node on its home, in this process. */
/** The events of a LocalNode (see `LocalNode.events`). */
export interface NodeEvents {
  event: [WatchEvent]
  imported: []
}

export class LocalNode implements NodeHandle {
  private closed = false
  private contentStore: Promise<ContentStore> | undefined
  private contentFetcher: ContentFetcher | undefined
  private recordLookup: RecordLookup | undefined
  readonly ingestContext: IngestContext
  /**
   * `event`: a WatchEvent for every stored record (and, with a network, peer change), what
   * `watch` streams. `imported`: a bundle import finished, so content may now be held whose
   * records arrived before it (the network provides it then).
   */
  readonly events = new EventEmitter<NodeEvents>()
  readonly mode = 'offline' as const

  private constructor(
    readonly layout: HomeLayout,
    readonly config: NodeConfig,
    readonly key: PublisherKey,
    readonly peerId: string,
    readonly store: Store,
    readonly catalogueSearch: CatalogueSearch,
  ) {
    this.ingestContext = {
      store,
      network: config.network,
      onStored: (id, block, source) => {
        catalogueSearch.touched(id)
        this.events.emit('event', recordEvent(block, source))
      },
    }
  }

  /**
   * Opens the home at `root`; fails with a clear error if it was never initialised. The
   * config is config.toml under `env`, unless the caller (the daemon, with its flags) gives one.
   */
  static async open(
    root: string,
    env: NodeJS.ProcessEnv = process.env,
    options: { config?: NodeConfig } = {},
  ): Promise<LocalNode> {
    const layout = homeLayout(root)
    await assertHomeExists(layout)
    const config = options.config ?? (await loadConfig(layout.config, env)).config
    const key = await loadPublisherKey(layout, env)
    const peerId = peerIdOf(await readPeerKey(layout.peerKey))
    const store = openStore(layout.database)
    return new LocalNode(layout, config, key, peerId, store, new CatalogueSearch(store, layout.indexFile))
  }

  /** The content store, opened on first use. */
  content(): Promise<ContentStore> {
    // Loaded on first use: Helia's module graph alone costs ~70 MB of RSS (see the daemon RSS bench).
    this.contentStore ??= import('../content/index.js').then((m) =>
      m.openContentStore(this.layout.contentDir),
    )
    return this.contentStore
  }

  /** Sets (or, with undefined, clears) what fetches a package's blocks before install: the network. */
  setContentFetcher(fetcher: ContentFetcher | undefined): void {
    this.contentFetcher = fetcher
  }

  /** Sets (or clears) what looks up an id this node holds no record of: the network's DHT. */
  setRecordLookup(lookup: RecordLookup | undefined): void {
    this.recordLookup = lookup
  }

  /** Ingests a record from outside (network, bundle); see ingest.ts. */
  ingest(bytes: Uint8Array, options: IngestOptions = {}): IngestResult {
    return ingestRecord(this.ingestContext, bytes, options)
  }

  /** Ingests many records with one commit; see ingest.ts. */
  ingestMany(
    items: readonly { bytes: Uint8Array; expectedCid?: CID }[],
    source?: RecordSource,
  ): BatchItemResult[] {
    return ingestRecords(this.ingestContext, items, source)
  }

  async status(): Promise<StatusResult> {
    const counts = this.store.counts()
    return {
      home: this.layout.root,
      peerId: this.peerId,
      publisher: this.key.did,
      network: this.config.network,
      addresses: [],
      peers: 0,
      packages: counts.packages,
      records: counts.records,
      publishers: counts.publishers,
      forks: this.store.forkedPublishers(),
      mode: 'offline',
    }
  }

  async publish(dir: string, options?: OperationOptions): Promise<PublishResult> {
    const { publishPackage } = await import('./publish.js')
    return publishPackage(
      {
        ingest: this.ingestContext,
        store: this.store,
        content: await this.content(),
        key: this.key,
        network: this.config.network,
        maxPackageBytes: this.config.max_package_bytes,
      },
      dir,
      options,
    )
  }

  async search(query: SearchQuery): Promise<SearchResult> {
    const { query: text, ...filters } = query
    return this.catalogueSearch.search(text, filters)
  }

  async info(spec: string, options: { publisher?: string } = {}): Promise<InfoResult> {
    return packageInfo(this.store, spec, options)
  }

  async install(request: InstallRequest, options?: OperationOptions): Promise<InstallResult> {
    const { installPackages } = await import('./install.js')
    return installPackages(
      {
        store: this.store,
        content: await this.content(),
        fetch: this.contentFetcher,
        lookup: this.recordLookup,
      },
      request,
      options,
    )
  }

  async yank(spec: string, reason: string): Promise<YankResult> {
    const { id, version } = parseExactSpec(spec)
    const own = this.store.versions(id).some((v) => v.version === version && v.publisher === this.key.did)
    if (!own) {
      throw new UsageError(
        `${id}@${version} was not published by this node's key ${this.key.did}; only its publisher can yank it`,
      )
    }
    const body: YankBody = {
      type: 'yank',
      network: this.config.network,
      publisher: this.key.did,
      time: Date.now(),
      ...nextLogPosition(this.store, this.key.did),
      id,
      version,
      reason,
    }
    const block = await signRecord(body, this.key)
    ingestRecord(this.ingestContext, block.bytes, { expectedCid: block.cid, source: 'local' })
    return { id, version, record: block.cid.toString() }
  }

  async verify(dir: string): Promise<VerifyResult> {
    const { verifyInstall } = await import('./verify.js')
    return verifyInstall(await this.content(), dir)
  }

  async exportBundle(request: ExportRequest, options?: OperationOptions): Promise<ExportResult> {
    const { exportBundle } = await import('./bundle.js')
    return exportBundle(this.bundleContext(), request, options)
  }

  async importBundle(file: string, options?: OperationOptions): Promise<ImportResult> {
    const { importBundle } = await import('./bundle.js')
    try {
      return await importBundle(this.bundleContext(), file, options)
    } finally {
      this.events.emit('imported')
    }
  }

  private bundleContext(): BundleContext {
    return {
      store: this.store,
      content: () => this.content(),
      ingest: this.ingestContext,
      network: this.config.network,
    }
  }

  async keys(): Promise<KeysResult> {
    return {
      publisher: this.key.did,
      fingerprint: keyFingerprint(this.key.did),
      file: this.layout.publisherKey,
    }
  }

  async trustList(): Promise<TrustEntry[]> {
    return this.store.trustList().map(toTrustEntry)
  }

  async trustAdd(key: string, note?: string): Promise<TrustEntry> {
    if (!isDidKey(key))
      throw new UsageError(`"${key}" is not a publisher key; keys look like did:key:z6Mk...`)
    this.store.trustAdd(key, note)
    return toTrustEntry(this.store.trustList().find((t) => t.key === key)!)
  }

  async trustRemove(key: string): Promise<{ key: string; removed: boolean }> {
    return { key, removed: this.store.trustRemove(key) }
  }

  async peers(): Promise<PeerInfo[]> {
    return []
  }

  async connect(_multiaddr: string): Promise<PeerInfo> {
    throw new NoDaemonError(this.layout.root)
  }

  async watch(onEvent: (event: WatchEvent) => void, options: { signal: AbortSignal }): Promise<void> {
    if (options.signal.aborted) return
    this.events.on('event', onEvent)
    await new Promise<void>((resolve) =>
      options.signal.addEventListener('abort', () => resolve(), { once: true }),
    )
    this.events.off('event', onEvent)
  }

  /** Closes in reverse order of opening; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.catalogueSearch.close()
    } finally {
      if (this.contentStore !== undefined) await (await this.contentStore).close()
      this.store.close()
    }
  }
}
