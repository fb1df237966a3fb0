/** Errors of the resolve module that domain/errors.ts has no class for. */
import { GgenError } from '../domain/errors.js'

/** ggen.lock exists but cannot be used: bad TOML, a missing or malformed field. */
export class LockfileError extends GgenError {
  constructor(file: string, where: string, reason: string, details: Record<string, unknown> = {}) {
    super(
      'ERR_LOCKFILE_INVALID',
      `${file}${where === '' ? '' : `: ${where}`}: ${reason}. ggen.lock is written by ggen-market; ` +
        'restore it from version control, or delete it and run `ggen-market install ID...` again.',
      { file, ...details },
    )
  }
}
