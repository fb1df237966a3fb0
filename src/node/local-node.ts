/**
 * The node running in this process on its home: the composition root of offline mode and,
 * later, the core the daemon wraps. Opens the stores in order (config, keys, SQLite,
 * content) and closes them in reverse; every command is a flow module over them.
 */
import { type ContentStore, openContentStore } from '../content/index.js'
import { UsageError } from '../domain/errors.js'
import { isDidKey, keyFingerprint, keyFromEnv, type PublisherKey, readKeyFile } from '../domain/keys.js'
import { signRecord } from '../domain/records.js'
import type { YankBody } from '../domain/types.js'
import { peerIdOf, readPeerKey } from '../net/peer-identity.js'
import { openStore, type Store } from '../store/index.js'
import type {
  InfoResult,
  InstallRequest,
  InstallResult,
  KeysResult,
  NodeHandle,
  OperationOptions,
  PublishResult,
  SearchQuery,
  SearchResult,
  StatusResult,
  TrustEntry,
  VerifyResult,
  YankResult,
} from './api.js'
import { CatalogueSearch } from './catalogue-search.js'
import { type NodeConfig, readConfig } from './config.js'
import { assertHomeExists, type HomeLayout, homeLayout } from './home.js'
import { packageInfo } from './info.js'
import { type IngestContext, ingestRecord } from './ingest.js'
import { installPackages } from './install.js'
import { nextLogPosition } from './log-position.js'
import { publishPackage } from './publish.js'
import { parseExactSpec } from './spec.js'
import { verifyInstall } from './verify.js'

/** How the publisher key reaches the node: the home's key file, or CI's environment. */
async function loadPublisherKey(layout: HomeLayout, env: NodeJS.ProcessEnv): Promise<PublisherKey> {
  if (env.GGEN_MARKET_KEY) return keyFromEnv(env.GGEN_MARKET_KEY)
  return readKeyFile(env.GGEN_MARKET_KEY_FILE || layout.publisherKey)
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
export class LocalNode implements NodeHandle {
  private closed = false
  readonly ingestContext: IngestContext

  private constructor(
    readonly layout: HomeLayout,
    readonly config: NodeConfig,
    readonly key: PublisherKey,
    readonly peerId: string,
    readonly store: Store,
    readonly content: ContentStore,
    readonly catalogueSearch: CatalogueSearch,
  ) {
    this.ingestContext = {
      store,
      network: config.network,
      onStored: (id) => catalogueSearch.touched(id),
    }
  }

  /** Opens the home at `root`; fails with a clear error if it was never initialised. */
  static async open(root: string, env: NodeJS.ProcessEnv = process.env): Promise<LocalNode> {
    const layout = homeLayout(root)
    await assertHomeExists(layout)
    const config = await readConfig(layout.config)
    const key = await loadPublisherKey(layout, env)
    const peerId = peerIdOf(await readPeerKey(layout.peerKey))
    const store = openStore(layout.database)
    let content: ContentStore
    try {
      content = await openContentStore(layout.contentDir)
    } catch (err) {
      store.close()
      throw err
    }
    return new LocalNode(
      layout,
      config,
      key,
      peerId,
      store,
      content,
      new CatalogueSearch(store, layout.indexFile),
    )
  }

  /** Ingests a record from outside (network, bundle); see ingest.ts. */
  ingest(bytes: Uint8Array): ReturnType<typeof ingestRecord> {
    return ingestRecord(this.ingestContext, bytes)
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

  publish(dir: string, options?: OperationOptions): Promise<PublishResult> {
    return publishPackage(
      {
        ingest: this.ingestContext,
        store: this.store,
        content: this.content,
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

  install(request: InstallRequest, options?: OperationOptions): Promise<InstallResult> {
    return installPackages({ store: this.store, content: this.content }, request, options)
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
    ingestRecord(this.ingestContext, block.bytes, { expectedCid: block.cid, local: true })
    return { id, version, record: block.cid.toString() }
  }

  verify(dir: string): Promise<VerifyResult> {
    return verifyInstall(this.content, dir)
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

  /** Closes in reverse order of opening; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.catalogueSearch.close()
    } finally {
      await this.content.close()
      this.store.close()
    }
  }
}
