/** `ggen-market verify`: re-hash installed packages against ggen.lock. */
import { resolve } from 'node:path'
import { EXIT } from '../output.js'
import type { CommandAction } from '../run.js'

export default (_args: unknown[], opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const result = await (await ctx.node()).verify(resolve(String(opts.dir)))
    ctx.out.result(result, () => {
      if (result.ok) return `ok: ${result.packages} package(s) match ${result.lockfile}`
      return [
        `${result.mismatches.length} mismatch(es) against ${result.lockfile}:`,
        ...result.mismatches.map(
          (m) =>
            `  ${m.id}${m.path ? `/${m.path}` : ''}: ${m.reason}${m.expected ? ` (expected ${m.expected}${m.actual ? `, found ${m.actual}` : ''})` : ''}`,
        ),
      ].join('\n')
    })
    return result.ok ? EXIT.ok : EXIT.failed
  }
