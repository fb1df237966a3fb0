/** `ggen-market status`: what the node holds and is doing. */
import type { CommandAction } from '../run.js'

export default (_args: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const status = await (await ctx.node()).status()
    for (const key of status.forks) {
      ctx.out.warn(
        `publisher ${key} has a forked log (two records with one seq); was one key used from two homes?`,
      )
    }
    ctx.out.result(status, () =>
      [
        `home       ${status.home} (${status.mode})`,
        `network    ${status.network}`,
        `peer id    ${status.peerId}`,
        `publisher  ${status.publisher}`,
        `peers      ${status.peers}`,
        `packages   ${status.packages}`,
        `records    ${status.records} from ${status.publishers} publisher(s)`,
        ...status.addresses.map((a) => `listening  ${a}`),
      ].join('\n'),
    )
    return undefined
  }
