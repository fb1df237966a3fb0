/** `ggen-market install [ID[@RANGE]]...`: resolve, fetch, verify, extract, lock. */
import { resolve } from 'node:path'
import { startProgress } from '../progress.js'
import type { CommandAction } from '../run.js'

export default ([specs]: unknown[], opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const node = await ctx.node()
    const progress = await startProgress(ctx.out, 'install')
    const result = await node
      .install(
        {
          specs: specs as string[],
          dir: resolve(String(opts.dir)),
          publisher: opts.publisher as string | undefined,
        },
        { signal: ctx.interruptible(), onProgress: progress.onProgress },
      )
      .finally(() => progress.stop())
    ctx.out.result(result, () =>
      [
        ...result.installed.map((p) => `Installed ${p.id}@${p.version} -> ${p.path}`),
        `Wrote ${result.lockfile}`,
      ].join('\n'),
    )
    return undefined
  }
