/** `ggen-market keys show`: the publisher key. */
import type { CommandAction } from '../run.js'

export default (_args: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const keys = await (await ctx.node()).keys()
    ctx.out.result(
      keys,
      () => `${keys.publisher}\n  fingerprint ${keys.fingerprint}\n  file        ${keys.file}`,
    )
    return undefined
  }
