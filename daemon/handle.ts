/**
 * The `NodeHandle` the daemon serves on its socket: the in-process node, plus what only a
 * running daemon knows (its effective configuration, its outbox). Clients cannot close it;
 * the daemon owns the node's lifetime.
 */
import { GgenError } from '../src/domain/errors.js'
import type {
  ConfigSetting,
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
} from '../src/node/api.js'

/** The daemon's network, as the handle uses it. */
export interface DaemonNetwork {
  addresses(): string[]
  peers(): PeerInfo[]
  connect(multiaddr: string): Promise<PeerInfo>
}

/** What the daemon adds to `status`. */
export interface DaemonFacts {
  config: Record<string, ConfigSetting>
  pendingAnnouncements(): number
  /** The network; absent, the daemon has none and `connect` says so. */
  network?: DaemonNetwork
}

/** Serves `node` as the daemon's handle. */
export class DaemonHandle implements NodeHandle {
  readonly mode = 'daemon' as const

  constructor(
    private readonly node: NodeHandle,
    private readonly facts: DaemonFacts,
  ) {}

  async status(): Promise<StatusResult> {
    return {
      ...(await this.node.status()),
      mode: 'daemon',
      ...(this.facts.network
        ? { addresses: this.facts.network.addresses(), peers: this.facts.network.peers().length }
        : {}),
      config: this.facts.config,
      pendingAnnouncements: this.facts.pendingAnnouncements(),
    }
  }

  publish(dir: string, options?: OperationOptions): Promise<PublishResult> {
    return this.node.publish(dir, options)
  }

  search(query: SearchQuery): Promise<SearchResult> {
    return this.node.search(query)
  }

  info(spec: string, options?: { publisher?: string }): Promise<InfoResult> {
    return this.node.info(spec, options)
  }

  install(request: InstallRequest, options?: OperationOptions): Promise<InstallResult> {
    return this.node.install(request, options)
  }

  yank(spec: string, reason: string): Promise<YankResult> {
    return this.node.yank(spec, reason)
  }

  verify(dir: string): Promise<VerifyResult> {
    return this.node.verify(dir)
  }

  exportBundle(request: ExportRequest, options?: OperationOptions): Promise<ExportResult> {
    return this.node.exportBundle(request, options)
  }

  importBundle(file: string, options?: OperationOptions): Promise<ImportResult> {
    return this.node.importBundle(file, options)
  }

  keys(): Promise<KeysResult> {
    return this.node.keys()
  }

  trustList(): Promise<TrustEntry[]> {
    return this.node.trustList()
  }

  trustAdd(key: string, note?: string): Promise<TrustEntry> {
    return this.node.trustAdd(key, note)
  }

  trustRemove(key: string): Promise<{ key: string; removed: boolean }> {
    return this.node.trustRemove(key)
  }

  async peers(): Promise<PeerInfo[]> {
    return this.facts.network?.peers() ?? this.node.peers()
  }

  /** Dials `multiaddr`; without a network there is nothing to dial with. */
  async connect(multiaddr: string): Promise<PeerInfo> {
    if (this.facts.network) return this.facts.network.connect(multiaddr)
    throw new GgenError(
      'ERR_NO_NETWORK',
      `cannot dial ${multiaddr}: this daemon runs without a network; records stay queued for announcement`,
      { multiaddr },
    )
  }

  watch(onEvent: (event: WatchEvent) => void, options: { signal: AbortSignal }): Promise<void> {
    return this.node.watch(onEvent, options)
  }

  /** A no-op: the daemon closes the node when it stops. */
  async close(): Promise<void> {}
}
