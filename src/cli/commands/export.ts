/** `ggen-market export FILE`: write an air-gap bundle of records and package content. */
import { resolve } from 'node:path'
import { UsageError } from '../../domain/errors.js'
import { formatBytes, startProgress } from '../progress.js'
import type { CommandAction } from '../run.js'

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * `--since`: an ISO 8601 date or date-time (`2025-01-31`, `2025-01-31T12:00Z`), or an age
 * such as `90m`, `12h`, `7d`, `2w` before now. Returns ms since the epoch.
 */
export function parseSince(value: string, now = Date.now()): number {
  const age = /^(\d{1,6})([mhdw])$/.exec(value)
  if (age !== null) return now - Number(age[1]) * UNIT_MS[age[2]!]!
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--since "${value}" is not a date; use an ISO date such as 2025-01-31 or 2025-01-31T12:00:00Z, or an age such as 7d or 12h`,
    )
  }
  return ms
}

export default ([file]: unknown[], opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const since = opts.since === undefined ? undefined : parseSince(String(opts.since))
    const ids = (opts.id as string[] | undefined) ?? []
    const node = await ctx.node()
    const progress = await startProgress(ctx.out, 'export')
    const result = await node
      .exportBundle(
        {
          file: resolve(String(file)),
          ...(ids.length > 0 ? { ids } : {}),
          ...(since === undefined ? {} : { since }),
          ...(opts.sinceBundle === undefined ? {} : { sinceBundle: resolve(String(opts.sinceBundle)) }),
          ...(opts.recordsOnly === true ? { recordsOnly: true } : {}),
        },
        { signal: ctx.interruptible(), onProgress: progress.onProgress },
      )
      .finally(() => progress.stop())
    for (const warning of result.warnings) ctx.out.warn(warning)
    ctx.out.result(result, () =>
      [
        `Wrote ${result.file}`,
        `  records   ${result.records}`,
        `  packages  ${result.packages}${result.skipped.length > 0 ? ` (${result.skipped.length} without content)` : ''}`,
        `  blocks    ${result.blocks}`,
        `  size      ${formatBytes(result.bytes)}`,
      ].join('\n'),
    )
    return undefined
  }
