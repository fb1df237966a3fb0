/** `ggen-market connect MULTIADDR`: dial a peer through the daemon. */
import type { CommandAction } from '../run.js'

export default ([multiaddr]: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const peer = await (await ctx.daemon()).connect(String(multiaddr))
    ctx.out.result(peer, () =>
      [`Connected to ${peer.peerId}`, ...peer.addresses.map((a) => `  ${a}`)].join('\n'),
    )
    return undefined
  }
