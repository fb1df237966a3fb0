/**
 * The socket's lifecycle and limits: permissions, stale and live sockets, close order,
 * concurrency, connection and time limits.
 */
import { spawnSync } from 'node:child_process'
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { connectIpc } from '../../../src/ipc/client.js'
import { startIpcServer } from '../../../src/ipc/server.js'
import { delay, type Rig, rawConnect, startRig, writePackage } from './helpers.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function rig(limits = {}): Promise<Rig> {
  const r = await startRig(limits)
  cleanups.push(() => r.cleanup())
  return r
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-ipc-srv-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

describe('socket lifecycle', () => {
  it('creates the socket 0600 in a 0700 directory', async () => {
    const r = await rig()
    expect((await stat(r.socketPath)).mode & 0o777).toBe(0o600)
    expect((await stat(join(r.dir, 'run'))).mode & 0o777).toBe(0o700)
    expect((await stat(r.socketPath)).isSocket()).toBe(true)
  })

  it('refuses to start while another server answers on the path, which keeps working', async () => {
    const r = await rig()
    const err = await startIpcServer({ socketPath: r.socketPath, handle: r.node }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_DAEMON_RUNNING' })
    expect((await (await r.client()).keys()).publisher).toMatch(/^did:key:/)
  })

  it('removes a stale socket left by a killed daemon', async () => {
    const r = await rig()
    const dir = await tempDir()
    const socketPath = join(dir, 'daemon.sock')
    const killed = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ])
    expect(killed.signal).toBe('SIGKILL')
    expect((await stat(socketPath)).isSocket()).toBe(true)
    expect(await connectIpc(socketPath)).toBeUndefined()

    const server = await startIpcServer({ socketPath, handle: r.node })
    cleanups.push(() => server.close())
    const client = await connectIpc(socketPath)
    expect(client).toBeDefined()
    expect((await client!.status()).mode).toBe('daemon')
    await client!.close()
  })

  it('refuses a path that is not a socket and leaves the file alone', async () => {
    const r = await rig()
    const dir = await tempDir()
    const socketPath = join(dir, 'daemon.sock')
    await writeFile(socketPath, 'precious')
    const err = await startIpcServer({ socketPath, handle: r.node }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_SOCKET_PATH' })
    expect(await readFile(socketPath, 'utf8')).toBe('precious')
  })

  it('refuses a directory other users can write to', async () => {
    const r = await rig()
    const dir = join(await tempDir(), 'open')
    await mkdir(dir)
    await chmod(dir, 0o777)
    const err = await startIpcServer({ socketPath: join(dir, 'd.sock'), handle: r.node }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'ERR_SOCKET_PATH' })
    expect((err as Error).message).toContain('chmod 700')
  })

  it('close() lets a running publish finish, refuses new work, and removes the socket', async () => {
    const r = await rig()
    const client = await r.client()
    const pkg = await writePackage(join(r.dir, 'pkg'), 'io.test.ipc.closing', '1.0.0', {
      files: 20,
      fileBytes: 128 * 1024,
    })
    let closing: Promise<void> | undefined
    const published = client.publish(pkg, {
      onProgress: () => {
        closing ??= r.server.close()
      },
    })
    expect((await published).id).toBe('io.test.ipc.closing')
    await closing
    await expect(stat(r.socketPath)).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await connectIpc(r.socketPath)).toBeUndefined()
    expect((await r.node.status()).records).toBe(1)
  })

  it('close() aborts what outlives its deadline', async () => {
    const r = await rig({ closeTimeoutMs: 20 })
    const c = await rawConnect(r.socketPath)
    const pkg = await writePackage(join(r.dir, 'slow'), 'io.test.ipc.slow', '1.0.0', {
      files: 60,
      fileBytes: 256 * 1024,
    })
    c.send(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'publish', params: { dir: pkg } })}\n`)
    await c.next(10_000) // first progress: the publish is running
    await r.server.close()
    let msg = await c.next()
    while (msg.method === 'progress') msg = await c.next()
    expect(msg).toMatchObject({ id: 1, error: { code: -32004 } })
    await c.ended
  })
})

describe('limits', () => {
  it('answers 100 concurrent requests over 5 connections', async () => {
    const r = await rig()
    const clients = await Promise.all(Array.from({ length: 5 }, () => r.client()))
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const c = clients[i % 5]!
        return i % 2 === 0 ? c.status().then((s) => s.peerId) : c.keys().then((k) => k.publisher)
      }),
    )
    expect(answers).toHaveLength(100)
    expect(new Set(answers).size).toBe(2)
  })

  it('refuses requests past the in-flight limit of one connection, not of others', async () => {
    const r = await rig({ maxInFlight: 3 })
    const c = await rawConnect(r.socketPath)
    for (let id = 1; id <= 3; id++) c.send(`{"jsonrpc":"2.0","id":${id},"method":"watch"}\n`)
    c.send('{"jsonrpc":"2.0","id":4,"method":"status"}\n')
    const refused = await c.next()
    expect(refused).toMatchObject({ id: 4, error: { code: -32002 } })
    expect(refused.error.message).toContain('limit 3')
    expect((await (await r.client()).status()).mode).toBe('daemon')
    c.send('{"jsonrpc":"2.0","method":"cancel","params":{"request":1}}\n')
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 1, result: null })
    c.send('{"jsonrpc":"2.0","id":5,"method":"status"}\n')
    expect(await c.next()).toMatchObject({ id: 5, result: expect.any(Object) })
    c.close()
  })

  it('answers connections past the limit with -32002 and closes them', async () => {
    const r = await rig({ maxConnections: 2 })
    const a = await rawConnect(r.socketPath)
    const b = await rawConnect(r.socketPath)
    const c = await rawConnect(r.socketPath)
    expect(await c.next()).toMatchObject({ id: null, error: { code: -32002 } })
    await c.ended
    a.close()
    b.close()
    await delay(50)
    expect((await (await r.client()).status()).mode).toBe('daemon')
  })

  it('skips progress and ends a watch with -32006 for a client that lags, instead of buffering', async () => {
    // a limit no client can meet: every notification finds the client "behind"
    const r = await rig({ maxBufferedBytes: -1 })
    const c = await rawConnect(r.socketPath)
    c.send('{"jsonrpc":"2.0","id":1,"method":"watch"}\n')
    for (let i = 0; i < 100 && r.node.events.listenerCount('event') === 0; i++) await delay(10)
    const client = await r.client()
    let progress = 0
    const pkg = await writePackage(join(r.dir, 'lag'), 'io.test.ipc.lag', '1.0.0')
    expect((await client.publish(pkg, { onProgress: () => progress++ })).id).toBe('io.test.ipc.lag')
    expect(progress).toBe(0)
    const ended = await c.next()
    expect(ended).toMatchObject({ id: 1, error: { code: -32006 } })
    c.close()
  })

  it('times out a request past its deadline with -32003 and aborts it', async () => {
    const r = await rig({ longRequestTimeoutMs: 30 })
    const client = await r.client()
    const pkg = await writePackage(join(r.dir, 'late'), 'io.test.ipc.late', '1.0.0', {
      files: 60,
      fileBytes: 256 * 1024,
    })
    const err = await client.publish(pkg).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_IPC_TIMEOUT', rpcCode: -32003 })
    await delay(300)
    expect((await client.status()).records).toBe(0)
  })
})
