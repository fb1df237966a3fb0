/** `ggen-market peers`: the peers the daemon is connected to. */
import type { CommandAction } from '../run.js'

export default (_args: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const peers = await (await ctx.daemon()).peers()
    ctx.out.result(peers, () =>
      peers.length === 0
        ? 'No peers connected.'
        : peers.map((p) => [p.peerId, ...p.addresses.map((a) => `  ${a}`)].join('\n')).join('\n'),
    )
    return undefined
  }
