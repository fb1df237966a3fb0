/**
 * The daemon in process on a real home: start order leaves a 0600 socket and the lock,
 * status shows the effective config and the outbox, stop removes socket and lock, a
 * failed start releases the lock, and a second daemon on the home is refused.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Daemon, type DaemonInit } from '../../../daemon/daemon.js'
import type { StatusResult } from '../../../src/node/api.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'
import { rpc } from '../../helpers/daemon.js'

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')

let dir: string
let home: string
const daemons: Daemon[] = []

const quiet = new Writable({ write: (_c, _e, cb) => cb() })

function daemon(init: Partial<DaemonInit> = {}): Daemon {
  // Loopback only, no mDNS: tests never reach the LAN.
  const env = { GGEN_MARKET_LISTEN: '/ip4/127.0.0.1/tcp/0', GGEN_MARKET_MDNS: '0' }
  const d = new Daemon({ home, env, stderr: quiet, ...init })
  daemons.push(d)
  return d
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-daemon-'))
  home = join(dir, 'home')
  await initHome(home)
})

afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

describe('Daemon', () => {
  it('serves the home on a 0600 socket and removes socket and lock when stopped', async () => {
    const d = daemon()
    await d.start()
    expect((await stat(d.socketPath)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(join(home, 'daemon.lock'), 'utf8'))).toMatchObject({
      pid: process.pid,
      socket: d.socketPath,
    })
    const status = await rpc<StatusResult>(d.socketPath, 'status')
    expect(status).toMatchObject({ mode: 'daemon', home, records: 0, pendingAnnouncements: 0 })

    await d.stop()
    expect(await exists(d.socketPath)).toBe(false)
    expect(await exists(join(home, 'daemon.lock'))).toBe(false)
    const log = await readFile(join(home, 'logs', 'daemon.log'), 'utf8')
    const messages = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).msg)
    expect(messages).toContain('daemon ready')
    expect(messages.at(-1)).toBe('daemon stopped')
  })

  it('shows the effective config with each source, and queued announcements', async () => {
    await writeFile(join(home, 'config.toml'), 'network = "lab"\n[ipc]\nmax_concurrent_requests = 8\n')
    const offline = await LocalNode.open(home, {})
    await offline.publish(join(EXAMPLES, 'macros-std'))
    await offline.close()

    const d = daemon({
      env: { GGEN_MARKET_LOG_LEVEL: 'warn', GGEN_MARKET_MDNS: '0' },
      flags: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    })
    await d.start()
    const status = await rpc<StatusResult>(d.socketPath, 'status')
    expect(status.network).toBe('lab')
    expect(status.pendingAnnouncements).toBe(1)
    expect(status.config).toMatchObject({
      network: { value: 'lab', source: 'file' },
      'ipc.max_concurrent_requests': { value: 8, source: 'file' },
      log_level: { value: 'warn', source: 'env' },
      mdns: { value: false, source: 'env' },
      listen: { value: ['/ip4/127.0.0.1/tcp/0'], source: 'flag' },
      seed: { value: 'none', source: 'default' },
    })
  })

  it('refuses a second daemon on the same home and leaves the first serving', async () => {
    const first = daemon()
    await first.start()
    await expect(daemon().start()).rejects.toMatchObject({
      code: 'ERR_DAEMON_RUNNING',
      message: expect.stringContaining(`a daemon (pid ${process.pid}) is already running on ${home}`),
    })
    expect(await rpc<StatusResult>(first.socketPath, 'status')).toMatchObject({ mode: 'daemon' })
    expect(await exists(join(home, 'daemon.lock'))).toBe(true)
  })

  it('releases the lock and closes the node when a later start step fails', async () => {
    // A regular file where the socket goes: the IPC server, the last step, refuses it.
    await writeFile(join(home, 'daemon.sock'), 'not a socket')
    const d = daemon()
    await expect(d.start()).rejects.toMatchObject({ code: 'ERR_SOCKET_PATH' })
    expect(await exists(join(home, 'daemon.lock'))).toBe(false)
    expect(d.node).toBeUndefined()
    const log = await readFile(join(home, 'logs', 'daemon.log'), 'utf8')
    expect(log).toContain('daemon failed to start')
  })

  it('fails before taking the lock on a bad config, naming the setting', async () => {
    await writeFile(join(home, 'config.toml'), 'seed = "everything"\n')
    await expect(daemon().start()).rejects.toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      message: expect.stringContaining('seed'),
    })
    await writeFile(join(home, 'config.toml'), '')
    await expect(daemon({ flags: { psk: join(dir, 'missing.key') } }).start()).rejects.toMatchObject({
      code: 'ERR_PSK_MISSING',
    })
    expect(await exists(join(home, 'daemon.lock'))).toBe(false)
  })

  it('says how to create a home that does not exist', async () => {
    await expect(daemon({ home: join(dir, 'nowhere') }).start()).rejects.toMatchObject({
      code: 'ERR_NO_HOME',
    })
  })

  it('lets an in-flight publish finish before stopping', async () => {
    const d = daemon()
    await d.start()
    let started: () => void
    const progressed = new Promise<void>((r) => {
      started = r
    })
    const publishing = rpc<{ id: string; record: string }>(
      d.socketPath,
      'publish',
      { dir: join(EXAMPLES, 'rust-cli-app') },
      { onNotification: (method) => method === 'progress' && started() },
    )
    await progressed
    await d.stop()
    const result = await publishing
    expect(result.id).toBe('io.ggen.rust.cli-app')
    const node = await LocalNode.open(home, {})
    expect(node.store.hasRecord(result.record)).toBe(true)
    await node.close()
  })
})
