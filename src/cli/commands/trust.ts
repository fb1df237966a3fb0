/** `ggen-market trust list|add|remove`: keys trusted to own the ids they claim. */
import type { CommandAction } from '../run.js'

/** `trust list` */
export const list =
  (_args: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const entries = await (await ctx.node()).trustList()
    ctx.out.result(entries, () =>
      entries.length === 0
        ? 'No trusted keys.'
        : entries.map((e) => `${e.key}${e.note ? `  ${e.note}` : ''}`).join('\n'),
    )
    return undefined
  }

/** `trust add KEY` */
export const add =
  ([key]: unknown[], opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const entry = await (await ctx.node()).trustAdd(String(key), opts.note as string | undefined)
    ctx.out.result(entry, () => `Trusted ${entry.key}`)
    return undefined
  }

/** `trust remove KEY` */
export const remove =
  ([key]: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const result = await (await ctx.node()).trustRemove(String(key))
    ctx.out.result(result, () =>
      result.removed ? `No longer trusting ${result.key}` : `${result.key} was not trusted`,
    )
    return undefined
  }
