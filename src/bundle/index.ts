/**
 * Air-gap bundles (SPEC 6 `export` / `import`): the CAR v1 format, writing one from a
 * node's records and blocks, and reading one back block by block. Node flows import from
 * here; see node/bundle.ts.
 */
export { CarReadError, type CarSection, CarStreamReader } from './car-read.js'
export { CarFileWriter } from './car-write.js'
export { type CodecLoader, checkDag, type DagBlocks, dagBlocks, type LinkReader, unixfsLinks } from './dag.js'
export { BundleError } from './errors.js'
export { type ExportPlan, type ExportSource, type WrittenBundle, writeBundle } from './export.js'
export {
  BUNDLE_FORMAT,
  type BundlePackage,
  type BundleRoot,
  decodePackageList,
  decodeRecordList,
  decodeRoot,
  MAX_BLOCK_BYTES,
} from './format.js'
export { type ImportTarget, type ReadBundleOptions, readBundle } from './import.js'
export { type BundleIndex, readBundleIndex } from './read-index.js'
export { MAX_PROBLEMS, type RecordOutcome } from './report.js'
export type {
  BundleProblem,
  BundleProgressEvent,
  ExportSummary,
  ImportReport,
  SkippedPackage,
} from './types.js'
