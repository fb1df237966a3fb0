/** The import report being built: counts, and the problems up to a cap. */
import type { CID } from 'multiformats/cid'
import type { BundlePackage, BundleRoot } from './format.js'
import type { BundleProblem, ImportReport } from './types.js'

/** Problems listed in a report; more are only counted. */
export const MAX_PROBLEMS = 1000

/** How ingest judged one record. */
export type RecordOutcome =
  | { status: 'added' | 'duplicate' }
  | { status: 'rejected'; reason: string; id?: string; publisher?: string }

/** The report of one import. */
export class Report {
  readonly records = { added: 0, duplicate: 0, rejected: 0 }
  readonly packages = { complete: 0, incomplete: 0 }
  blocks = 0
  blocksAdded = 0
  bytes = 0
  private readonly problems: BundleProblem[] = []
  private omitted = 0
  private readonly unsignedKeys = new Set<string>()

  constructor(
    private readonly file: string,
    private readonly root: BundleRoot,
  ) {}

  problem(problem: BundleProblem): void {
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem)
    else this.omitted++
  }

  record(cid: CID, outcome: RecordOutcome): void {
    if (outcome.status !== 'rejected') {
      this.records[outcome.status]++
      return
    }
    this.records.rejected++
    this.problem({
      kind: 'record-rejected',
      cid: cid.toString(),
      ...(outcome.id === undefined ? {} : { id: outcome.id }),
      ...(outcome.publisher === undefined ? {} : { publisher: outcome.publisher }),
      reason: outcome.reason,
    })
  }

  unsigned(pkg: BundlePackage): void {
    this.unsignedKeys.add(packageKey(pkg))
    this.problem({
      kind: 'package-unsigned',
      cid: pkg.cid.toString(),
      id: pkg.id,
      version: pkg.version,
      publisher: pkg.publisher,
      reason: `${pkg.id}@${pkg.version} is listed with content ${pkg.cid}, but no valid release record of ${pkg.publisher} says so; its content was not stored`,
    })
  }

  isUnsigned(pkg: BundlePackage): boolean {
    return this.unsignedKeys.has(packageKey(pkg))
  }

  done(): ImportReport {
    return {
      file: this.file,
      network: this.root.network,
      created: new Date(this.root.created).toISOString(),
      records: this.records,
      blocks: this.blocks,
      blocksAdded: this.blocksAdded,
      bytes: this.bytes,
      packages: this.packages,
      clean: this.problems.length === 0,
      problems: this.problems,
      problemsOmitted: this.omitted,
    }
  }
}

function packageKey(pkg: BundlePackage): string {
  return `${pkg.id}\u0000${pkg.version}\u0000${pkg.publisher}\u0000${pkg.cid}`
}
