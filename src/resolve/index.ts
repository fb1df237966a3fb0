/** Dependency resolution and ggen.lock: the public surface of src/resolve. */
export { LockfileError } from './errors.js'
export { installOrder } from './graph.js'
export {
  formatLockfile,
  LOCKFILE_NAME,
  LOCKFILE_VERSION,
  type LockEntry,
  type Lockfile,
  lockedPins,
  lockfilePath,
  mergeLock,
  parseLockfile,
  readLockfile,
  writeLockfile,
} from './lockfile.js'
export {
  type Claimant,
  chooseOwner,
  claimantsOf,
  describeClaimants,
  type OwnerHints,
} from './owners.js'
export {
  type LockPin,
  type Request,
  type Resolution,
  type ResolvedPackage,
  type ResolveOptions,
  resolve,
} from './resolve.js'
export { type Candidate, REQUESTED_BY, type Requirement } from './versions.js'
