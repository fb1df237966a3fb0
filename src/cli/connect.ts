/**
 * Finds the node a CLI command talks to: the daemon of the home when one answers on its
 * socket, else the home opened in this process (offline mode). The daemon path loads only
 * the IPC client, so a command through the daemon never pays for SQLite, Helia or the index.
 */
import type { NodeHandle } from '../node/api.js'
import { socketPathFor } from '../node/home.js'

/** How long to wait for a daemon that exists to accept the connection. */
const CONNECT_TIMEOUT_MS = 2000

/** The daemon of `home`, or undefined when none runs. */
export async function connectDaemon(home: string): Promise<NodeHandle | undefined> {
  const { connectIpc } = await import('../ipc/client.js')
  return connectIpc(socketPathFor(home), { timeoutMs: CONNECT_TIMEOUT_MS })
}

/** Opens the node of `home` for one command: the daemon's, else in process. */
export async function connect(home: string): Promise<NodeHandle> {
  const daemon = await connectDaemon(home)
  if (daemon !== undefined) return daemon
  const { LocalNode } = await import('../node/local-node.js')
  return LocalNode.open(home)
}
