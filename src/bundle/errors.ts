/** Errors of the bundle module that domain/errors.ts has no class for. */
import { GgenError } from '../domain/errors.js'

/**
 * A bundle file cannot be used as a whole: not a CAR file, not a ggen-market bundle, a
 * root or index that does not check out, another network. Raised before anything from the
 * file is stored. Problems with single records or blocks are not errors: the import
 * report names them and keeps the rest.
 */
export class BundleError extends GgenError {
  constructor(code: string, file: string, reason: string, details: Record<string, unknown> = {}) {
    super(code, `${file}: ${reason}`, { file, ...details })
  }
}
