/**
 * Named errors with a stable `code`. Every error a user can meet is one of these: the
 * message says what is wrong and what to do next, the code is what scripts and the IPC
 * layer match on, and `details` carries structured facts (a file, a field, claimants)
 * that survive serialisation across the daemon socket.
 */

/** The base of every error this project raises on purpose. */
export class GgenError extends Error {
  /** A stable, machine-readable code such as `ERR_MANIFEST_INVALID`. */
  readonly code: string
  /** Structured facts about the failure; JSON-serialisable. */
  readonly details: Record<string, unknown>

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(message)
    this.name = new.target.name
    this.code = code
    this.details = details
  }

  /** A plain object for `--json` output and for the IPC wire. */
  toJSON(): { code: string; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details }
  }
}

/** One failing validation rule: where it failed and why. */
export interface Problem {
  /** The file the rule read, relative to the package root where possible. */
  file: string
  /** The field (dotted path) or path inside the package the rule is about. */
  field: string
  /** What is wrong, phrased so the user knows what to change. */
  reason: string
}

/** A manifest or package directory failed validation; every failing rule is listed. */
export class ValidationError extends GgenError {
  readonly problems: Problem[]

  constructor(problems: Problem[], message?: string) {
    const lines = problems.map((p) => `  ${p.file}: ${p.field}: ${p.reason}`)
    super(
      'ERR_VALIDATION',
      message ??
        `the package is not valid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`,
      { problems },
    )
    this.problems = problems
  }
}

/** A TOML file could not be parsed. */
export class TomlSyntaxError extends GgenError {
  constructor(file: string, line: number, column: number, reason: string) {
    super('ERR_TOML_SYNTAX', `${file}:${line}:${column}: invalid TOML: ${reason}`, { file, line, column })
  }
}

/** A record failed decoding, schema, size or signature checks. */
export class InvalidRecordError extends GgenError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('ERR_RECORD_INVALID', `invalid record: ${reason}`, details)
  }
}

/** A key file is missing, malformed or readable by others. */
export class KeyError extends GgenError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
  }
}

/** Something asked for does not exist: a package, a version, a block. */
export class NotFoundError extends GgenError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
  }
}

/** The request conflicts with what is stored (a version exists, a version is conflicted). */
export class ConflictError extends GgenError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
  }
}

/** Dependency resolution failed: no match, a cycle, incompatible ranges, ambiguous owner. */
export class ResolveError extends GgenError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
  }
}

/** Content failed a check: a block does not hash to its CID, a file escapes the root. */
export class ContentError extends GgenError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, details)
  }
}

/** The command was used wrongly (exit code 2). */
export class UsageError extends GgenError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_USAGE', message, details)
  }
}

/** The command needs the network and no daemon runs on the home (exit code 3). */
export class NoDaemonError extends GgenError {
  constructor(home: string) {
    super('ERR_NO_DAEMON', `no daemon is running on ${home}; start it with \`ggen-market daemon\``, { home })
  }
}

/** True when `err` is one of ours (or looks like one after crossing the IPC socket). */
export function isGgenError(err: unknown): err is GgenError {
  return err instanceof GgenError
}
