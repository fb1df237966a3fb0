/**
 * What export and import report, as plain JSON (the `--json` shapes of SPEC 6 plus the
 * detail a user needs to act on an unclean bundle), and their progress events.
 */

/** Progress of an export or import, namespaced like Helia's events. */
export type BundleProgressEvent =
  /** Export: `blocks` of `totalBlocks` written, `bytes` of the file so far. */
  | { type: 'bundle:write'; blocks: number; totalBlocks: number; bytes: number }
  /** Import: `bytes` of `totalBytes` of the file read, `blocks` read so far. */
  | { type: 'bundle:read'; blocks: number; bytes: number; totalBytes: number }
  /** Import: after reading, each listed package is checked for completeness. */
  | { type: 'bundle:check'; packages: number; totalPackages: number }

/** A release whose content an export could not include, and why. */
export interface SkippedPackage {
  id: string
  version: string
  publisher: string
  cid: string
  reason: string
}

/** `export --json`. */
export interface ExportSummary {
  /** The bundle written. */
  file: string
  /** Signed records in the bundle. */
  records: number
  /** Blocks in the bundle: the root, its index blocks, the records and the content blocks. */
  blocks: number
  /** Size of the bundle file. */
  bytes: number
  /** Packages whose whole content is in the bundle. */
  packages: number
  /** `--since` as ISO 8601, when given. */
  since?: string
  /** Releases exported without their content, because this node does not hold all of it. */
  skipped: SkippedPackage[]
  warnings: string[]
}

/** What an import found wrong with one part of a bundle; the rest was kept. */
export interface BundleProblem {
  kind:
    | 'record-rejected'
    | 'record-missing'
    | 'block-invalid'
    | 'block-unexpected'
    | 'package-unsigned'
    | 'package-incomplete'
    | 'file-truncated'
    | 'file-malformed'
  /** The record or block CID concerned, when there is one. */
  cid?: string
  id?: string
  version?: string
  publisher?: string
  reason: string
}

/** `import --json`. */
export interface ImportReport {
  /** The bundle read. */
  file: string
  network: string
  /** When the bundle was made, ISO 8601. */
  created: string
  records: { added: number; duplicate: number; rejected: number }
  /** Content blocks verified and held: newly stored plus already present. */
  blocks: number
  /** Content blocks that were not in the store before. */
  blocksAdded: number
  /** Bytes of the file read. */
  bytes: number
  /** Listed packages now complete in the store, and those that are not. */
  packages: { complete: number; incomplete: number }
  /** False when anything was rejected, missing or unreadable (exit code 1). */
  clean: boolean
  /** What was wrong, first `MAX_PROBLEMS` of it. */
  problems: BundleProblem[]
  /** Problems beyond those listed. */
  problemsOmitted: number
}
