/** `ggen-market info ID[@RANGE]`: versions, publishers, yanks, conflicts. */
import { style } from '../output.js'
import type { CommandAction } from '../run.js'

export default ([spec]: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const info = await (await ctx.node()).info(String(spec))
    for (const warning of info.warnings) ctx.out.warn(warning)
    ctx.out.result(info, () => {
      const lines = [
        `${style(info.id, 'bold')}  ${info.title}`,
        `  ${info.description}`,
        `  latest: ${info.latest ?? '(none installable)'}`,
      ]
      for (const c of info.claimants) {
        lines.push(`  publisher ${c.publisher}${c.trusted ? ' (trusted)' : ''}: ${c.versions} version(s)`)
      }
      for (const v of info.versions) {
        const flags = [
          v.yanked ? `yanked${v.yankReason ? `: ${v.yankReason}` : ''}` : '',
          v.conflicted ? 'CONFLICTED' : '',
        ]
          .filter(Boolean)
          .join(', ')
        lines.push(
          `  ${v.version.padEnd(12)} ${v.published.slice(0, 10)}  ${v.cid}${flags ? `  [${flags}]` : ''}`,
        )
      }
      return lines.join('\n')
    })
    return undefined
  }
