/**
 * IPC test rig: a real home (initHome) with a real LocalNode served on a real Unix socket
 * in a temp dir, plus a raw line-level client for sending what a well-behaved client never
 * would.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createConnection, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connectIpc, type IpcClient } from '../../../src/ipc/client.js'
import { type IpcLimits, type IpcServer, startIpcServer } from '../../../src/ipc/server.js'
import { socketPathFor } from '../../../src/node/home.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'

/** A served home and what to clean up. */
export interface Rig {
  dir: string
  home: string
  socketPath: string
  node: LocalNode
  server: IpcServer
  clients: IpcClient[]
  /** A new connected client (closed by `cleanup`). */
  client(): Promise<IpcClient>
  cleanup(): Promise<void>
}

/**
 * Creates a home, opens its node and serves it: on `dir/run/daemon.sock`, or with
 * `atHome` where the CLI looks for the daemon (`socketPathFor(home)`).
 */
export async function startRig(
  limits: Partial<IpcLimits> = {},
  options: { atHome?: boolean } = {},
): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-ipc-'))
  const home = join(dir, 'home')
  await initHome(home)
  const node = await LocalNode.open(home, {})
  const socketPath = options.atHome ? socketPathFor(home) : join(dir, 'run', 'daemon.sock')
  const server = await startIpcServer({ socketPath, handle: node, limits })
  const clients: IpcClient[] = []
  return {
    dir,
    home,
    socketPath,
    node,
    server,
    clients,
    async client() {
      const c = await connectIpc(socketPath)
      if (c === undefined) throw new Error(`no daemon on ${socketPath}`)
      clients.push(c)
      return c
    },
    async cleanup() {
      await Promise.all(clients.map((c) => c.close()))
      await server.close()
      await node.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Writes a valid gpack in `dir`; `files` extra files of `fileBytes` random bytes each. */
export async function writePackage(
  dir: string,
  id: string,
  version: string,
  options: { files?: number; fileBytes?: number; keywords?: string[] } = {},
): Promise<string> {
  await mkdir(join(dir, 'templates'), { recursive: true })
  const keywords = (options.keywords ?? ['ipc', 'test']).map((k) => `"${k}"`).join(', ')
  await writeFile(
    join(dir, 'gpack.toml'),
    `[gpack]\nid = "${id}"\nname = "Test ${id}"\nversion = "${version}"\n` +
      `description = "A package for IPC tests"\nlicense = "MIT"\nkeywords = [${keywords}]\n`,
  )
  await writeFile(join(dir, 'README.md'), `# ${id}\n`)
  await writeFile(join(dir, 'templates', 'main.tmpl'), `hello from ${id}@${version}\n`)
  for (let i = 0; i < (options.files ?? 0); i++) {
    await writeFile(join(dir, 'templates', `blob-${i}.bin`), randomBytes(options.fileBytes ?? 1024))
  }
  return dir
}

/** A line-level connection: send raw bytes, read parsed JSON lines. */
export interface RawConnection {
  socket: Socket
  send(data: string | Buffer): void
  /** The next message (waits up to `timeoutMs`). */
  // biome-ignore lint/suspicious/noExplicitAny: tests inspect arbitrary JSON-RPC messages
  next(timeoutMs?: number): Promise<any>
  /** Resolves when the server closes the connection. */
  ended: Promise<void>
  close(): void
}

/** Opens a raw connection to `socketPath`. */
export async function rawConnect(socketPath: string): Promise<RawConnection> {
  const socket = createConnection(socketPath)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  socket.on('error', () => {})
  const queue: unknown[] = []
  const waiters: ((m: unknown) => void)[] = []
  let buffer = ''
  socket.setEncoding('utf8')
  socket.on('data', (text: string) => {
    buffer += text
    let nl = buffer.indexOf('\n')
    while (nl !== -1) {
      const msg = JSON.parse(buffer.slice(0, nl))
      buffer = buffer.slice(nl + 1)
      const waiter = waiters.shift()
      if (waiter) waiter(msg)
      else queue.push(msg)
      nl = buffer.indexOf('\n')
    }
  })
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  return {
    socket,
    send: (data) => socket.write(data),
    next(timeoutMs = 5000) {
      if (queue.length > 0) return Promise.resolve(queue.shift())
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(done), 1)
          reject(new Error(`no message within ${timeoutMs} ms`))
        }, timeoutMs)
        const done = (m: unknown): void => {
          clearTimeout(timer)
          resolve(m)
        }
        waiters.push(done)
      })
    },
    ended,
    close: () => socket.destroy(),
  }
}

/** Resolves after `ms`. */
export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
