/**
 * The license guard (SPEC 3): a manifest's license must be an SPDX expression, so that
 * installers and auditors can read it mechanically.
 */
import parseSpdx from 'spdx-expression-parse'

/** True when `expression` is a valid SPDX license expression. */
export function isSpdxExpression(expression: string): boolean {
  if (expression.trim() === '') return false
  try {
    parseSpdx(expression)
    return true
  } catch {
    // spdx-expression-parse reports every invalid expression by throwing.
    return false
  }
}

/**
 * Why `expression` is not a usable license, phrased as what to change; undefined when it
 * is valid. `key` is the field name as the user wrote it.
 */
export function licenseProblem(expression: string, key = 'license'): string | undefined {
  if (expression.trim() === '') {
    return `${key} is missing; add an SPDX license expression such as ${key} = "MIT"`
  }
  if (isSpdxExpression(expression)) return undefined
  const suggestion = suggest(expression)
  const hint = suggestion !== undefined ? `did you mean "${suggestion}"? ` : ''
  return (
    `${key} "${expression}" is not a valid SPDX expression; ${hint}use identifiers from ` +
    'https://spdx.org/licenses/ such as "MIT" or "Apache-2.0", joined with AND / OR, ' +
    'or "LicenseRef-<name>" for a license without an SPDX identifier'
  )
}

/** The commonest slips: wrong case ("mit") and spaces for hyphens ("Apache 2.0"). */
function suggest(expression: string): string | undefined {
  const hyphenated = expression.trim().replace(/\s+/g, '-')
  const candidates = [expression.toUpperCase(), hyphenated, hyphenated.toUpperCase()]
  return candidates.find((c) => c !== expression && isSpdxExpression(c))
}
