/** `ggen-market yank ID@VERSION`: a signed yank of one of your versions. */
import type { CommandAction } from '../run.js'

export default ([spec]: unknown[], opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const result = await (await ctx.node()).yank(String(spec), String(opts.reason ?? ''))
    ctx.out.result(result, () => `Yanked ${result.id}@${result.version} (record ${result.record})`)
    return undefined
  }
