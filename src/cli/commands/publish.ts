/** `ggen-market publish DIR`: validate, pack, sign, store and announce. */
import { resolve } from 'node:path'
import { startProgress } from '../progress.js'
import type { CommandAction } from '../run.js'

export default ([dir]: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const node = await ctx.node()
    const progress = await startProgress(ctx.out, 'publish')
    const result = await node
      .publish(resolve(String(dir)), { signal: ctx.interruptible(), onProgress: progress.onProgress })
      .finally(() => progress.stop())
    for (const warning of result.warnings) ctx.out.warn(warning)
    ctx.out.result(result, () =>
      [
        `Published ${result.id}@${result.version}`,
        `  content    ${result.cid} (${result.size} bytes)`,
        `  record     ${result.record}`,
        `  publisher  ${result.publisher}`,
      ].join('\n'),
    )
    return undefined
  }
