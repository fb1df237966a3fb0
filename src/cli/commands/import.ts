/** `ggen-market import FILE`: verify and load a bundle; exit 1 unless it was clean. */
import { resolve } from 'node:path'
import { EXIT } from '../output.js'
import { formatBytes, startProgress } from '../progress.js'
import type { CommandAction } from '../run.js'

/** Problems printed in human mode; --json lists them all (up to the report's cap). */
const SHOWN_PROBLEMS = 20

export default ([file]: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const node = await ctx.node()
    const progress = await startProgress(ctx.out, 'import')
    const result = await node
      .importBundle(resolve(String(file)), { signal: ctx.interruptible(), onProgress: progress.onProgress })
      .finally(() => progress.stop())
    if (!ctx.out.json) {
      for (const problem of result.problems.slice(0, SHOWN_PROBLEMS)) ctx.out.warn(problem.reason)
      const more = result.problems.length - SHOWN_PROBLEMS + result.problemsOmitted
      if (more > 0) ctx.out.warn(`... and ${more} more problem(s); run with --json to list them`)
    }
    const { records, packages } = result
    ctx.out.result(result, () =>
      [
        `${result.clean ? 'Imported' : 'Imported with problems'} ${result.file} (network ${result.network}, made ${result.created})`,
        `  records   ${records.added} added, ${records.duplicate} already held, ${records.rejected} rejected`,
        `  blocks    ${result.blocks} (${result.blocksAdded} new), ${formatBytes(result.bytes)} read`,
        `  packages  ${packages.complete} complete${packages.incomplete > 0 ? `, ${packages.incomplete} incomplete` : ''}`,
      ].join('\n'),
    )
    return result.clean ? EXIT.ok : EXIT.failed
  }
