/**
 * Every NodeHandle operation through a real socket: the client gets what the in-process
 * node returns, streams arrive, and errors keep their project codes.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { connectIpc } from '../../../src/ipc/client.js'
import type { ProgressEvent, WatchEvent } from '../../../src/node/api.js'
import { delay, type Rig, startRig, writePackage } from './helpers.js'

let rig: Rig
beforeEach(async () => {
  rig = await startRig()
})
afterEach(async () => rig.cleanup())

describe('IpcClient against a served LocalNode', () => {
  it('answers status, keys and peers like the node, in daemon mode', async () => {
    const client = await rig.client()
    expect(client.mode).toBe('daemon')
    const local = await rig.node.status()
    const status = await client.status()
    expect(status).toEqual({ ...local, mode: 'daemon' })
    expect(await client.keys()).toEqual(await rig.node.keys())
    expect(await client.peers()).toEqual([])
  })

  it('publishes with progress, then searches, shows info, installs with progress and verifies', async () => {
    const client = await rig.client()
    const pkg = await writePackage(join(rig.dir, 'pkg'), 'io.test.ipc.alpha', '1.0.0', { files: 3 })
    const publishEvents: ProgressEvent[] = []
    const published = await client.publish(pkg, { onProgress: (e) => publishEvents.push(e) })
    expect(published).toMatchObject({ id: 'io.test.ipc.alpha', version: '1.0.0', warnings: [] })
    expect(published.cid).toMatch(/^bafy/)
    expect(publishEvents.filter((e) => e.type === 'pack:file')).toHaveLength(6)
    expect(publishEvents.at(-1)).toMatchObject({ type: 'pack:file', files: 6, totalFiles: 6 })

    const found = await client.search({ query: 'alpha', limit: 5 })
    expect(found.total).toBe(1)
    expect(found.results[0]).toMatchObject({ id: 'io.test.ipc.alpha', version: '1.0.0' })

    const info = await client.info('io.test.ipc.alpha')
    expect(info).toEqual(await rig.node.info('io.test.ipc.alpha'))
    expect(info.versions[0]).toMatchObject({ version: '1.0.0', record: published.record })

    const project = join(rig.dir, 'project')
    await mkdir(project)
    const installEvents: ProgressEvent[] = []
    const installed = await client.install(
      { specs: ['io.test.ipc.alpha@^1'], dir: project },
      { onProgress: (e) => installEvents.push(e) },
    )
    expect(installed.installed).toEqual([
      expect.objectContaining({ id: 'io.test.ipc.alpha', version: '1.0.0', cid: published.cid }),
    ])
    expect(installEvents[0]).toMatchObject({ type: 'install:package', id: 'io.test.ipc.alpha', total: 1 })
    expect(installEvents.some((e) => e.type === 'extract:file')).toBe(true)
    expect(installEvents.some((e) => e.type === 'extract:block')).toBe(true)

    expect(await client.verify(project)).toMatchObject({ ok: true, packages: 1, mismatches: [] })

    const yanked = await client.yank('io.test.ipc.alpha@1.0.0', 'test yank')
    expect(yanked).toMatchObject({ id: 'io.test.ipc.alpha', version: '1.0.0' })
    const after = await client.info('io.test.ipc.alpha')
    expect(after.versions[0]).toMatchObject({ yanked: true, yankReason: 'test yank' })
  })

  it('manages trust', async () => {
    const client = await rig.client()
    const key = (await client.keys()).publisher
    expect(await client.trustList()).toEqual([])
    const entry = await client.trustAdd(key, 'ourselves')
    expect(entry).toMatchObject({ key, note: 'ourselves' })
    expect(await client.trustList()).toEqual([entry])
    expect(await client.trustRemove(key)).toEqual({ key, removed: true })
    expect(await client.trustRemove(key)).toEqual({ key, removed: false })
  })

  it('re-raises project errors with their code, message and details', async () => {
    const client = await rig.client()
    const notFound = await client.info('io.test.missing').catch((e: unknown) => e)
    const local = await rig.node.info('io.test.missing').catch((e: unknown) => e)
    expect(notFound).toMatchObject({
      code: (local as { code: string }).code,
      message: (local as Error).message,
      name: (local as Error).name,
    })

    const bad = join(rig.dir, 'bad')
    await mkdir(bad)
    const invalid = await client.publish(bad).catch((e: unknown) => e)
    expect(invalid).toMatchObject({ code: 'ERR_VALIDATION', name: 'ValidationError' })
    expect((invalid as { details: { problems: unknown[] } }).details.problems.length).toBeGreaterThan(0)

    const usage = await client.trustAdd('not-a-key').catch((e: unknown) => e)
    expect(usage).toMatchObject({ code: 'ERR_USAGE' })
    const noDaemon = await client.connect('/ip4/127.0.0.1/tcp/1').catch((e: unknown) => e)
    expect(noDaemon).toMatchObject({ code: 'ERR_NO_DAEMON' })
  })

  it('refuses a relative path (the daemon does not share the CLI working directory)', async () => {
    const client = await rig.client()
    const err = await client.publish('relative/dir').catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_IPC_PARAMS', rpcCode: -32602 })
    expect((err as Error).message).toContain('dir: must be an absolute path')
  })

  it('streams watch events for a record published through another client until aborted', async () => {
    const watcher = await rig.client()
    const publisher = await rig.client()
    const events: WatchEvent[] = []
    const controller = new AbortController()
    const watching = watcher.watch((e) => events.push(e), { signal: controller.signal })
    await delay(50) // let the subscription reach the node
    const pkg = await writePackage(join(rig.dir, 'pkg-w'), 'io.test.ipc.watched', '0.1.0')
    const published = await publisher.publish(pkg)
    for (let i = 0; i < 100 && events.length === 0; i++) await delay(10)
    expect(events).toEqual([
      {
        type: 'record',
        kind: 'release',
        id: 'io.test.ipc.watched',
        version: '0.1.0',
        publisher: published.publisher,
        record: published.record,
        source: 'local',
      },
    ])
    controller.abort()
    await expect(watching).resolves.toBeUndefined()
    // the subscription is gone on the daemon side too
    for (let i = 0; i < 100 && rig.node.events.listenerCount('event') > 0; i++) await delay(10)
    expect(rig.node.events.listenerCount('event')).toBe(0)
    expect((await watcher.status()).records).toBe(1)
  })

  it('rejects an aborted publish with the abort reason and cancels it on the daemon', async () => {
    const client = await rig.client()
    const pkg = await writePackage(join(rig.dir, 'pkg-big'), 'io.test.ipc.big', '1.0.0', {
      files: 40,
      fileBytes: 256 * 1024,
    })
    const controller = new AbortController()
    const result = client.publish(pkg, { signal: controller.signal, onProgress: () => controller.abort() })
    await expect(result).rejects.toMatchObject({ name: 'AbortError' })
    await delay(200)
    expect((await client.status()).records).toBe(0)
  })

  it('connectIpc returns undefined when no daemon listens', async () => {
    expect(await connectIpc(join(rig.dir, 'nothing.sock'))).toBeUndefined()
  })

  it('fails pending requests when the daemon goes away', async () => {
    const client = await rig.client()
    const watching = client.watch(() => {}, { signal: new AbortController().signal }).catch((e: unknown) => e)
    await delay(50)
    await rig.server.close()
    expect(await watching).toMatchObject({ code: 'ERR_DAEMON_STOPPING' })
    await expect(client.status()).rejects.toMatchObject({ code: 'ERR_DAEMON_GONE' })
  })
})
