/**
 * `ggen-market watch`: stream new releases, yanks, rotations and peer changes as the daemon
 * sees them, one per line (one JSON object per line with --json), until interrupted.
 */
import type { WatchEvent } from '../../node/api.js'
import { style } from '../output.js'
import type { CommandAction } from '../run.js'

export default (_args: unknown[], _opts: Record<string, unknown>): CommandAction =>
  async (ctx) => {
    const node = await ctx.daemon()
    const signal = ctx.interruptible()
    const stop = new AbortController()
    // a closed pipe (`watch --json | head -1`) ends the watch instead of crashing on EPIPE
    process.stdout.on('error', () => stop.abort())
    ctx.out.info(`watching ${ctx.home} for new releases; Ctrl-C to stop`)
    await node.watch((event) => ctx.out.line(event, () => describe(event)), {
      signal: AbortSignal.any([signal, stop.signal]),
    })
    return undefined
  }

/** One readable line per event. */
function describe(event: WatchEvent): string {
  const time = new Date().toISOString().slice(11, 19)
  switch (event.type) {
    case 'record': {
      const what = event.version === undefined ? event.id : `${event.id}@${event.version}`
      return `${style(time, 'dim')} ${event.kind.padEnd(8)} ${style(what, 'bold')}  by ${event.publisher}  (${event.source}, record ${event.record})`
    }
    case 'peer:connect':
      return `${style(time, 'dim')} peer     ${style('connected', 'green')} ${event.peerId}`
    case 'peer:disconnect':
      return `${style(time, 'dim')} peer     ${style('disconnected', 'yellow')} ${event.peerId}`
  }
}
