/**
 * Runs the real daemon (`ggen-market daemon`) as a child process for e2e tests, talks raw
 * JSON-RPC to its socket, and runs CLI commands concurrently. Every daemon spawned here is
 * killed by `killDaemons()` (call it in afterEach/afterAll) even when a test fails.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createConnection } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { CLI, type CliRun, ROOT } from './cli.js'

/** A daemon process started by a test. */
export interface DaemonProcess {
  proc: ChildProcess
  pid: number
  /** Everything it wrote to stderr so far. */
  stderr(): string
  /** Resolves when it exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const running = new Set<DaemonProcess>()

const baseEnv = (env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  NO_COLOR: '1',
  GGEN_MARKET_HOME: undefined,
  GGEN_MARKET_KEY: undefined,
  GGEN_MARKET_NETWORK: undefined,
  // Test daemons stay on loopback: no LAN multicast, no port on every interface.
  GGEN_MARKET_LISTEN: '/ip4/127.0.0.1/tcp/0',
  GGEN_MARKET_BOOTSTRAP: undefined,
  GGEN_MARKET_MDNS: '0',
  GGEN_MARKET_PSK: undefined,
  GGEN_MARKET_LOG_LEVEL: undefined,
  ...env,
})

/** Spawns `ggen-market daemon --home HOME ...args` without waiting for it. */
export function spawnDaemon(home: string, args: string[] = [], env?: NodeJS.ProcessEnv): DaemonProcess {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing; run \`npm run build\` first`)
  const proc = spawn(process.execPath, [CLI, 'daemon', '--home', home, ...args], {
    cwd: ROOT,
    env: baseEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  proc.stdout!.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const daemon: DaemonProcess = {
    proc,
    pid: proc.pid!,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
  }
  running.add(daemon)
  void exited.then(() => running.delete(daemon))
  return daemon
}

/** Spawns a daemon and waits (up to `timeoutMs`) for its ready line; throws if it exits first. */
export async function startDaemon(
  home: string,
  args: string[] = [],
  env?: NodeJS.ProcessEnv,
  timeoutMs = 20_000,
): Promise<DaemonProcess> {
  const daemon = spawnDaemon(home, args, env)
  let exit: { code: number | null } | undefined
  void daemon.exited.then((e) => {
    exit = e
  })
  const deadline = Date.now() + timeoutMs
  while (!/ggen-market daemon listening on .* \(pid \d+\)/.test(daemon.stderr())) {
    if (exit !== undefined)
      throw new Error(`the daemon exited (${exit.code}) before it was ready:\n${daemon.stderr()}`)
    if (Date.now() > deadline) {
      daemon.proc.kill('SIGKILL')
      throw new Error(`the daemon was not ready after ${timeoutMs} ms:\n${daemon.stderr()}`)
    }
    await sleep(25)
  }
  return daemon
}

/** Kills every daemon a test started and waits for them to exit. */
export async function killDaemons(): Promise<void> {
  await Promise.all([...running].map((d) => d.stop('SIGKILL')))
}

/** Runs `ggen-market ...args` asynchronously, so that many can run at once. */
export function cliAsync(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? ROOT,
      env: baseEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    proc.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    proc.once('error', reject)
    proc.once('close', (code) =>
      resolve({
        status: code ?? -1,
        stdout,
        stderr,
        json() {
          try {
            return JSON.parse(stdout)
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`)
          }
        },
      }),
    )
  })
}

/** A JSON-RPC error as the daemon sent it. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: unknown,
  ) {
    super(message)
  }
}

/** Options of `rpc`. */
export interface RpcOptions {
  /** @default 10000 */
  timeoutMs?: number
  /** Called with every notification (progress) before the answer. */
  onNotification?: (method: string, params: unknown) => void
}

/** One raw JSON-RPC call on the daemon socket: notifications go to `onNotification`, the answer is returned. */
export function rpc<T = unknown>(
  socketPath: string,
  method: string,
  params: unknown = {},
  { timeoutMs = 10_000, onNotification }: RpcOptions = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath)
    const id = Math.floor(Math.random() * 1e9)
    let buffer = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer to ${method} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.setEncoding('utf8')
    socket.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    socket.once('connect', () => socket.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`))
    socket.on('data', (chunk: string) => {
      buffer += chunk
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const msg = JSON.parse(buffer.slice(0, nl))
        buffer = buffer.slice(nl + 1)
        if (msg.id === undefined && typeof msg.method === 'string') onNotification?.(msg.method, msg.params)
        if (msg.id !== id) continue
        clearTimeout(timer)
        socket.end()
        if (msg.error) reject(new RpcError(msg.error.code, msg.error.message, msg.error.data))
        else resolve(msg.result as T)
      }
    })
  })
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}
