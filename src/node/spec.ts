/**
 * `ID[@RANGE]` and `ID@VERSION` arguments as users type them.
 */
import semver from 'semver'
import { UsageError } from '../domain/errors.js'
import { PACKAGE_ID_RE } from '../domain/types.js'

/** Parses `ID[@RANGE]`; the range is left undefined when absent. */
export function parseSpec(spec: string): { id: string; range?: string } {
  const at = spec.indexOf('@')
  const id = at === -1 ? spec : spec.slice(0, at)
  const range = at === -1 ? undefined : spec.slice(at + 1)
  if (!PACKAGE_ID_RE.test(id)) {
    throw new UsageError(
      `"${id}" is not a package id; ids are lower case letters, digits, ".", "_" and "-", like io.ggen.rust.cli-subcommand`,
    )
  }
  if (range !== undefined && semver.validRange(range) === null) {
    throw new UsageError(`"${range}" in "${spec}" is not a semver range; use e.g. ${id}@^1.2 or ${id}@1.2.3`)
  }
  return range === undefined ? { id } : { id, range }
}

/** Parses `ID@VERSION` with an exact version (yank). */
export function parseExactSpec(spec: string): { id: string; version: string } {
  const { id, range } = parseSpec(spec)
  if (range === undefined || semver.valid(range) === null) {
    throw new UsageError(`"${spec}" needs an exact version, like ${id}@1.2.3`)
  }
  return { id, version: range }
}
