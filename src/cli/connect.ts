/**
 * Finds the node a CLI command talks to. Today every command runs in process on the home
 * (offline mode); the daemon's IPC client slots in here, behind the same `NodeHandle`.
 */
import type { NodeHandle } from '../node/api.js'

/** Opens the node of `home` for one command. */
export async function connect(home: string): Promise<NodeHandle> {
  const { LocalNode } = await import('../node/local-node.js')
  return LocalNode.open(home)
}
