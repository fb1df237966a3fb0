/**
 * The network through the daemon's socket: status shows addresses and the peer count,
 * `connect` dials, `peers` lists, `watch` streams peer changes, and a record published on
 * one daemon reaches the other. Two daemons in process, on loopback TCP.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Daemon } from '../../../daemon/daemon.js'
import { connectIpc, type IpcClient } from '../../../src/ipc/client.js'
import type { PeerInfo, StatusResult, WatchEvent } from '../../../src/node/api.js'
import { initHome } from '../../../src/node/init.js'
import { rpc } from '../../helpers/daemon.js'
import { publishRecord, waitFor } from './helpers.js'

let dir: string
const daemons: Daemon[] = []
const clients: IpcClient[] = []
const quiet = new Writable({ write: (_c, _e, cb) => cb() })

async function daemon(name: string): Promise<Daemon> {
  const home = join(dir, name)
  await initHome(home)
  const d = new Daemon({
    home,
    env: { GGEN_MARKET_LISTEN: '/ip4/127.0.0.1/tcp/0', GGEN_MARKET_MDNS: '0', GGEN_MARKET_LOG_LEVEL: 'warn' },
    stderr: quiet,
  })
  daemons.push(d)
  await d.start()
  return d
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-daemon-net-'))
})
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  for (const d of daemons.splice(0)) await d.stop().catch(() => {})
  await rm(dir, { recursive: true, force: true })
})

describe('daemon network', () => {
  it('connects, lists peers, shows addresses, streams peer events and carries records', async () => {
    const a = await daemon('a')
    const b = await daemon('b')
    const statusA = await rpc<StatusResult>(a.socketPath, 'status')
    expect(statusA.peers).toBe(0)
    const addr = statusA.addresses.find((x) => x.startsWith('/ip4/127.0.0.1/tcp/'))
    expect(addr).toBeDefined()

    const client = (await connectIpc(b.socketPath))!
    clients.push(client)
    const events: WatchEvent[] = []
    const watching = new AbortController()
    const watch = client.watch((e) => events.push(e), { signal: watching.signal })

    const peer = await rpc<PeerInfo>(b.socketPath, 'connect', { multiaddr: addr })
    expect(peer.peerId).toBe(statusA.peerId)
    expect(await rpc<PeerInfo[]>(b.socketPath, 'peers')).toEqual([
      { peerId: statusA.peerId, addresses: [expect.stringContaining('/ip4/127.0.0.1/tcp/')] },
    ])
    expect((await rpc<StatusResult>(b.socketPath, 'status')).peers).toBe(1)
    await waitFor('a peer:connect event', () => events.some((e) => e.type === 'peer:connect'))
    expect(events.find((e) => e.type === 'peer:connect')).toEqual({
      type: 'peer:connect',
      peerId: statusA.peerId,
    })

    await publishRecord(a.node!, 'io.ggen.daemon-net', '1.0.0')
    await waitFor('B to hold the record', () => b.node!.store.counts().records === 1)
    await waitFor('the record event on B', () =>
      events.some((e) => e.type === 'record' && e.id === 'io.ggen.daemon-net' && e.source === 'network'),
    )

    await a.stop()
    await waitFor('a peer:disconnect event', () => events.some((e) => e.type === 'peer:disconnect'))
    watching.abort()
    await watch
  }, 60_000)

  it('refuses a connect to something that is not a multiaddr', async () => {
    const a = await daemon('a')
    await expect(rpc(a.socketPath, 'connect', { multiaddr: '/nope/1' })).rejects.toMatchObject({
      message: expect.stringContaining('not a multiaddr'),
    })
  }, 30_000)
})
