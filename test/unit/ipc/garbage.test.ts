/**
 * What a broken or hostile client can send: each gets a JSON-RPC error (or is dropped),
 * and after each a fresh client's `status` still works.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { delay, type Rig, rawConnect, startRig, writePackage } from './helpers.js'

let rig: Rig
beforeEach(async () => {
  rig = await startRig()
})
afterEach(async () => {
  await expectAlive()
  await rig.cleanup()
})

async function expectAlive(): Promise<void> {
  const client = await rig.client()
  expect((await client.status()).peerId).toMatch(/^12D3KooW/)
}

const MiB = 1024 * 1024

describe('the daemon never dies of a request', () => {
  it('answers malformed JSON, non-objects and batches', async () => {
    const c = await rawConnect(rig.socketPath)
    c.send('{"jsonrpc":"2.0", "id": 1, "method": \n')
    expect(await c.next()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
    c.send('42\n"status"\nnull\n')
    for (let i = 0; i < 3; i++) expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } })
    c.send('[{"jsonrpc":"2.0","id":1,"method":"status"}]\n')
    const batch = await c.next()
    expect(batch).toMatchObject({ id: null, error: { code: -32600 } })
    expect(batch.error.message).toContain('batch')
    c.close()
  })

  it('answers invalid JSON-RPC envelopes, naming what is wrong', async () => {
    const c = await rawConnect(rig.socketPath)
    c.send('{"id":1,"method":"status"}\n')
    expect(await c.next()).toMatchObject({ id: 1, error: { code: -32600, message: 'jsonrpc must be "2.0"' } })
    for (const id of ['{"a":1}', 'true', '[1]', 'null']) {
      c.send(`{"jsonrpc":"2.0","id":${id},"method":"status"}\n`)
      expect(await c.next()).toMatchObject({ id: null, error: { code: -32600 } })
    }
    c.send('{"jsonrpc":"2.0","id":2,"method":7}\n')
    expect(await c.next()).toMatchObject({ id: 2, error: { code: -32600 } })
    c.send('{"jsonrpc":"2.0","id":3,"method":"status","params":[1,2]}\n')
    expect(await c.next()).toMatchObject({ id: 3, error: { code: -32602 } })
    c.send('{"jsonrpc":"2.0","id":4,"method":"status","params":"x"}\n')
    expect(await c.next()).toMatchObject({ id: 4, error: { code: -32602 } })
    c.send('{"jsonrpc":"2.0","id":"five","method":"status"}\n')
    expect(await c.next()).toMatchObject({ id: 'five', result: { peerId: expect.any(String) } })
    c.close()
  })

  it('answers an unknown method and bad params with the field named', async () => {
    const c = await rawConnect(rig.socketPath)
    c.send('{"jsonrpc":"2.0","id":1,"method":"rm -rf"}\n')
    expect(await c.next()).toMatchObject({ id: 1, error: { code: -32601 } })
    c.send('{"jsonrpc":"2.0","id":2,"method":"__proto__"}\n')
    expect(await c.next()).toMatchObject({ id: 2, error: { code: -32601 } })
    c.send('{"jsonrpc":"2.0","id":3,"method":"search","params":{"query":5}}\n')
    const bad = await c.next()
    expect(bad).toMatchObject({ id: 3, error: { code: -32602 } })
    expect(bad.error.message).toContain('query')
    expect(bad.error.data.details.issues[0].path).toBe('query')
    c.send('{"jsonrpc":"2.0","id":4,"method":"search","params":{"query":"x","limit":-1}}\n')
    expect((await c.next()).error.message).toContain('limit')
    c.send('{"jsonrpc":"2.0","id":5,"method":"info","params":{"spec":"a","extra":1}}\n')
    expect((await c.next()).error.message).toContain('extra')
    // an unknown notification is ignored, as JSON-RPC says: nothing comes back
    c.send('{"jsonrpc":"2.0","method":"nope"}\n{"jsonrpc":"2.0","id":6,"method":"status"}\n')
    expect(await c.next()).toMatchObject({ id: 6, result: expect.any(Object) })
    c.close()
  })

  it('survives random bytes', async () => {
    const c = await rawConnect(rig.socketPath)
    for (let i = 0; i < 20; i++) c.send(randomBytes(4096))
    c.send('\n{"jsonrpc":"2.0","id":"after","method":"status"}\n')
    let msg = await c.next()
    while (msg.id !== 'after') {
      expect(msg.error.code).toBeOneOf([-32700, -32600])
      msg = await c.next()
    }
    expect(msg.result.peerId).toMatch(/^12D3KooW/)
    c.close()
  })

  it('answers a 10 MiB line without a newline with -32001 and does not buffer it', async () => {
    const c = await rawConnect(rig.socketPath)
    c.send('{"jsonrpc":"2.0","id":77,"method":"search","params":{"query":"')
    const chunk = Buffer.alloc(MiB, 0x61)
    for (let i = 0; i < 10; i++) c.send(chunk)
    const err = await c.next()
    expect(err).toMatchObject({ id: 77, error: { code: -32001 } })
    // the same connection works again once the line ends
    c.send('"}}\n{"jsonrpc":"2.0","id":78,"method":"status"}\n')
    expect(await c.next()).toMatchObject({ id: 78, result: expect.any(Object) })
    c.close()
  })

  it('answers a 10 MiB line with a newline with -32001, then serves the next request', async () => {
    const c = await rawConnect(rig.socketPath)
    const line = Buffer.concat([Buffer.alloc(10 * MiB, 0x20), Buffer.from('\n')])
    c.send(line)
    expect(await c.next(10_000)).toMatchObject({ id: null, error: { code: -32001 } })
    c.send('{"jsonrpc":"2.0","id":1,"method":"keys"}\n')
    expect(await c.next()).toMatchObject({ id: 1, result: { publisher: expect.any(String) } })
    c.close()
  })

  it('aborts a publish whose client disconnects mid-stream, and stores nothing', async () => {
    const pkg = await writePackage(join(rig.dir, 'big'), 'io.test.ipc.big', '1.0.0', {
      files: 60,
      fileBytes: 256 * 1024,
    })
    const c = await rawConnect(rig.socketPath)
    c.send(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'publish', params: { dir: pkg } })}\n`)
    expect(await c.next(10_000)).toMatchObject({ method: 'progress', params: { request: 1 } })
    c.close()
    await delay(300)
    expect((await rig.node.status()).records).toBe(0)
  })

  it('drops a watch whose client disconnects, and keeps publishing for others', async () => {
    const c = await rawConnect(rig.socketPath)
    c.send('{"jsonrpc":"2.0","id":1,"method":"watch"}\n')
    await delay(50)
    expect(rig.node.events.listenerCount('event')).toBe(1)
    c.close()
    for (let i = 0; i < 100 && rig.node.events.listenerCount('event') > 0; i++) await delay(10)
    expect(rig.node.events.listenerCount('event')).toBe(0)
    const client = await rig.client()
    const pkg = await writePackage(join(rig.dir, 'w'), 'io.test.ipc.after-watch', '1.0.0')
    expect((await client.publish(pkg)).id).toBe('io.test.ipc.after-watch')
  })

  it('answers a duplicate in-flight id and a cancel of a request that is not running', async () => {
    const c = await rawConnect(rig.socketPath)
    c.send('{"jsonrpc":"2.0","id":1,"method":"watch"}\n{"jsonrpc":"2.0","id":1,"method":"watch"}\n')
    expect(await c.next()).toMatchObject({ id: 1, error: { code: -32600 } })
    c.send('{"jsonrpc":"2.0","id":2,"method":"cancel","params":{"request":99}}\n')
    expect(await c.next()).toMatchObject({ id: 2, result: { cancelled: false } })
    c.send('{"jsonrpc":"2.0","id":3,"method":"cancel","params":{"request":1}}\n')
    const answers = [await c.next(), await c.next()].sort((a, b) => a.id - b.id)
    expect(answers).toEqual([
      { jsonrpc: '2.0', id: 1, result: null },
      { jsonrpc: '2.0', id: 3, result: { cancelled: true } },
    ])
    c.close()
  })
})
