/**
 * The node's command interface: what the CLI can ask of a node and what it gets back.
 * One `NodeHandle` is implemented in process (offline mode, `LocalNode`), by the IPC client
 * (through the daemon) and by fakes in tests. Every result is plain JSON, the exact
 * `--json` shape of SPEC 6, so it crosses the socket unchanged.
 */
import type { BundleProgressEvent, ExportSummary, ImportReport } from '../bundle/types.js'
import type { ExtractProgressEvent, PackProgressEvent } from '../content/index.js'
import type { FetchProgressEvent } from '../net/fetch-content.js'
import type { SearchHit as IndexHit, SearchOptions, SearchResponse } from '../search/index.js'

/** Progress of a long operation, namespaced like Helia's events. */
export type ProgressEvent =
  | PackProgressEvent
  | ExtractProgressEvent
  | { type: 'install:package'; id: string; version: string; index: number; total: number }
  | BundleProgressEvent
  | FetchProgressEvent

/** Options every long operation takes. */
export interface OperationOptions {
  signal?: AbortSignal
  onProgress?: (event: ProgressEvent) => void
}

/** `status --json`. */
export interface StatusResult {
  home: string
  peerId: string
  publisher: string
  network: string
  addresses: string[]
  peers: number
  packages: number
  records: number
  publishers: number
  /** Publishers whose logs hold two records with one seq (SPEC 4: a warning, not an error). */
  forks: string[]
  /** `offline` when the command ran in process, `daemon` when a daemon answered. */
  mode: 'offline' | 'daemon'
  /** The daemon's effective configuration: each setting (dotted name) with its value and layer. */
  config?: Record<string, ConfigSetting>
  /** Records published on this node and not yet announced to the network (daemon only). */
  pendingAnnouncements?: number
}

/** One effective setting and the layer it came from: default < config.toml < env < flag. */
export interface ConfigSetting {
  value: unknown
  source: 'default' | 'file' | 'env' | 'flag'
}

/** `publish --json`. */
export interface PublishResult {
  id: string
  version: string
  cid: string
  record: string
  publisher: string
  size: number
  warnings: string[]
}

/** Options of `search`: the query text and the index's filters. */
export interface SearchQuery extends SearchOptions {
  query: string
}

/** One search hit. */
export type SearchHit = IndexHit

/** `search --json`. */
export type SearchResult = SearchResponse

/** One version in `info`. */
export interface InfoVersion {
  version: string
  cid: string
  record: string
  publisher: string
  published: string
  size: number
  yanked: boolean
  yankReason?: string
  conflicted: boolean
  dependencies: Record<string, string>
}

/** One key that has released under an id. */
export interface Claimant {
  publisher: string
  fingerprint: string
  versions: number
  latest?: string
  trusted: boolean
}

/** `info --json`. */
export interface InfoResult {
  id: string
  title: string
  description: string
  latest?: string
  versions: InfoVersion[]
  claimants: Claimant[]
  warnings: string[]
}

/** What to install. */
export interface InstallRequest {
  /** `ID[@RANGE]` specs; empty: install exactly what ggen.lock pins. */
  specs: string[]
  dir: string
  publisher?: string
}

/** One installed package. */
export interface InstalledPackage {
  id: string
  version: string
  cid: string
  publisher: string
  path: string
}

/** `install --json`. */
export interface InstallResult {
  installed: InstalledPackage[]
  lockfile: string
}

/** `yank --json`. */
export interface YankResult {
  id: string
  version: string
  record: string
}

/** One file or package that does not match ggen.lock. */
export interface Mismatch {
  id: string
  path?: string
  reason: 'missing' | 'modified' | 'added' | 'cid'
  expected?: string
  actual?: string
}

/** `verify --json`. */
export interface VerifyResult {
  ok: boolean
  lockfile: string
  packages: number
  mismatches: Mismatch[]
}

/** `keys show --json`. */
export interface KeysResult {
  publisher: string
  fingerprint: string
  file: string
}

/** One trusted key. */
export interface TrustEntry {
  key: string
  fingerprint: string
  /** When the key was trusted, ISO 8601. */
  addedAt: string
  note?: string
}

/** One peer in `peers --json`. */
export interface PeerInfo {
  peerId: string
  addresses: string[]
}

/** What `watch` streams, one per line. */
export type WatchEvent =
  | {
      type: 'record'
      kind: 'release' | 'yank' | 'rotation'
      id: string
      version?: string
      publisher: string
      record: string
      /** Where it came from: published here, gossip, catch-up sync, a bundle. */
      source: 'local' | 'network' | 'bundle'
    }
  | { type: 'peer:connect'; peerId: string }
  | { type: 'peer:disconnect'; peerId: string }

/** What `export` puts in a bundle. */
export interface ExportRequest {
  /** The bundle to write; absolute (the daemon does not share the CLI's working directory). */
  file: string
  /** Only these packages and the closure of their dependencies (all versions); default all. */
  ids?: string[]
  /** Only records whose publish time is at or after this, ms since the epoch. */
  since?: number
  /** Only what this earlier bundle (absolute path) did not hold: sneaker-net increments. */
  sinceBundle?: string
  /** Records only, no package content. @default false */
  recordsOnly?: boolean
}

/** `export --json`: see bundle/types.ts. */
export type ExportResult = ExportSummary

/** `import --json`: see bundle/types.ts. */
export type ImportResult = ImportReport

/** The commands a node answers. */
export interface NodeHandle {
  /** `offline` for a node in this process, `daemon` through the socket. */
  readonly mode: 'offline' | 'daemon'
  status(): Promise<StatusResult>
  publish(dir: string, options?: OperationOptions): Promise<PublishResult>
  search(query: SearchQuery): Promise<SearchResult>
  info(spec: string, options?: { publisher?: string }): Promise<InfoResult>
  install(request: InstallRequest, options?: OperationOptions): Promise<InstallResult>
  yank(spec: string, reason: string): Promise<YankResult>
  verify(dir: string): Promise<VerifyResult>
  keys(): Promise<KeysResult>
  trustList(): Promise<TrustEntry[]>
  trustAdd(key: string, note?: string): Promise<TrustEntry>
  trustRemove(key: string): Promise<{ key: string; removed: boolean }>
  /** Connected peers; empty while the node has no network. */
  peers(): Promise<PeerInfo[]>
  /** Dials a peer by multiaddr. */
  connect(multiaddr: string): Promise<PeerInfo>
  /** Writes an air-gap bundle (SPEC 6 `export`). */
  exportBundle(request: ExportRequest, options?: OperationOptions): Promise<ExportResult>
  /** Verifies and loads a bundle (absolute path) through the ingest path (SPEC 6 `import`). */
  importBundle(file: string, options?: OperationOptions): Promise<ImportResult>
  /** Calls `onEvent` for every new record and peer change until `signal` aborts. */
  watch(onEvent: (event: WatchEvent) => void, options: { signal: AbortSignal }): Promise<void>
  close(): Promise<void>
}
