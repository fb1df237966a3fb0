/**
 * Package content: the on-disk Helia store, scanning and packing a package directory into
 * a deterministic UnixFS DAG, re-hashing files without storing, and verified, atomic
 * extraction. Flows import from here.
 */
export { BlockFeed, type BlockFeedInit, type FeedReadOptions } from './block-feed.js'
export { type ContentBlockstore, type ContentStore, openContentStore } from './blockstore.js'
export { CHUNK_SIZE, MAX_CHILDREN_PER_NODE, packageImporterOptions } from './dag-options.js'
export { type DirectoryHash, hashDirectory } from './hash-dir.js'
export { type PackOptions, type PackProgressEvent, type PackResult, packDirectory } from './pack.js'
export {
  DEFAULT_MAX_PACKAGE_BYTES,
  DEFAULT_MAX_PACKAGE_FILES,
  formatBytes,
  type PackFile,
  type ScanOptions,
  type ScanResult,
  SKIPPED_NAMES,
  scanPackageDir,
} from './scan.js'
export {
  type ExtractOptions,
  type ExtractProgressEvent,
  type ExtractResult,
  extractPackage,
  type RecoveryResult,
  recoverInterruptedExtract,
} from './unpack.js'
export { VerifiedBlockstore } from './verified-blockstore.js'
export { type DagFile, listDag, type PackageEntry, type PackageSource, type WalkOptions } from './walk.js'
