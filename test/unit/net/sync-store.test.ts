/**
 * The read side of catch-up over a real home: a log with a gap (seq 3 held, seq 2 not) is
 * summarised with its gap-free prefix instead of failing, so a node that got a record ahead
 * of its predecessor still serves catch-up.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { publishRelease } from '../../../sim/records.js'
import { SyncStore } from '../../../src/net/sync-store.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'

let root: string | undefined
const open: { close(): unknown }[] = []

afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close()
  if (root !== undefined) await rm(root, { recursive: true, force: true })
  root = undefined
})

async function node(name: string): Promise<LocalNode> {
  root ??= await mkdtemp(join(tmpdir(), 'ggen-sync-store-'))
  const home = join(root, name)
  await initHome(home)
  const n = await LocalNode.open(home, {})
  open.push(n)
  return n
}

describe('SyncStore.logs', () => {
  it('a log holding seq 1 and 3 but not 2 is contiguous up to 1', async () => {
    const publisher = await node('publisher')
    const blocks = [1, 2, 3].map((i) => publishRelease(publisher, `io.ggen.gap-${i}`, '1.0.0'))
    const receiver = await node('receiver')
    for (const b of [blocks[0], blocks[2]]) receiver.ingest(b?.bytes as Uint8Array, { source: 'network' })
    const sync = new SyncStore(receiver.layout.database)
    open.push(sync)
    expect(sync.logs().get(publisher.key.did)).toEqual({
      seq: 3,
      cid: blocks[2]?.cid.toString(),
      count: 2,
      contiguous: 1,
    })
  })
})

describe('SyncStore.logs between writes', () => {
  it('answers the same summary until the store commits, then the new one', async () => {
    const publisher = await node('publisher')
    const sync = new SyncStore(publisher.layout.database)
    open.push(sync)
    publishRelease(publisher, 'io.ggen.cached-1', '1.0.0')
    const first = sync.logs()
    expect(sync.logs()).toBe(first)
    expect(first.get(publisher.key.did)).toMatchObject({ seq: 1, count: 1 })

    const second = publishRelease(publisher, 'io.ggen.cached-2', '1.0.0')
    const after = sync.logs()
    expect(after).not.toBe(first)
    expect(after.get(publisher.key.did)).toEqual({
      seq: 2,
      cid: second.cid.toString(),
      count: 2,
      contiguous: 2,
    })
  })
})
