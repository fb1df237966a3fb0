/** `ggen-market daemon`: run the node in the foreground until SIGINT/SIGTERM. */
import type { CommandAction } from '../run.js'

/** The daemon's flags as commander parses them. */
interface DaemonOptions {
  listen?: string[]
  bootstrap?: string[]
  /** commander's `--no-mdns`: true unless the flag was given. */
  mdns?: boolean
  psk?: string
  network?: string
  logLevel?: string
}

export default (_args: unknown[], opts: Record<string, unknown>): CommandAction =>
  async ({ home }) => {
    const o = opts as DaemonOptions
    const { runDaemon } = await import('../../../daemon/run.js')
    const code = await runDaemon({
      home,
      env: process.env,
      cwd: process.cwd(),
      flags: {
        ...(o.listen?.length ? { listen: o.listen } : {}),
        ...(o.bootstrap?.length ? { bootstrap: o.bootstrap } : {}),
        // Only an explicit --no-mdns is a flag; otherwise config and env decide.
        ...(o.mdns === false ? { mdns: false } : {}),
        ...(o.psk === undefined ? {} : { psk: o.psk }),
        ...(o.network === undefined ? {} : { network: o.network }),
        ...(o.logLevel === undefined ? {} : { logLevel: o.logLevel }),
      },
    })
    // Stopped cleanly; should a library still hold a handle open, do not hang the service manager.
    setTimeout(() => process.exit(code), 5000).unref()
    return code
  }
