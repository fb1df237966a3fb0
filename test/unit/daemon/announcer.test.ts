/**
 * The announcer over a real home: records published offline are announced once each, in
 * log order, only after delivery, and survive restarts and failed deliveries.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeRecord } from '../../../src/domain/records.js'
import { Announcer, type AnnounceTarget } from '../../../src/node/announcer.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')
const PACKS = ['macros-std', 'rust-cli-subcommand', 'rust-cli-app']

let dir: string
let home: string
let node: LocalNode
const announcers: Announcer[] = []

/** A target that records what it was given; `fail` decides per call whether delivery fails. */
function recordingTarget(fail: (call: number) => boolean | 'throw' = () => false) {
  const delivered: { cid: string; seq: number }[] = []
  let calls = 0
  const target: AnnounceTarget = {
    async announce(bytes, cid) {
      const outcome = fail(++calls)
      if (outcome === 'throw') throw new Error('network down')
      if (outcome) return false
      delivered.push({ cid, seq: decodeRecord(bytes).record.body.seq })
      return true
    },
  }
  return { target, delivered, calls: () => calls }
}

function announcer(...args: ConstructorParameters<typeof Announcer>): Announcer {
  const a = new Announcer(...args)
  announcers.push(a)
  return a
}

async function publishAll(): Promise<string[]> {
  const records: string[] = []
  for (const pack of PACKS) records.push((await node.publish(join(EXAMPLES, pack))).record)
  return records
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-announcer-'))
  home = join(dir, 'home')
  await initHome(home)
  node = await LocalNode.open(home, {})
})

afterEach(async () => {
  for (const a of announcers.splice(0)) await a.stop()
  await node.close()
  await rm(dir, { recursive: true, force: true })
})

describe('Announcer', () => {
  it('announces records published offline exactly once, in seq order, and marks them', async () => {
    const records = await publishAll()
    const rec = recordingTarget()
    const a = announcer(node, { target: rec.target })
    a.start()
    await a.wake()
    expect(rec.delivered.map((d) => d.cid)).toEqual(records)
    expect(rec.delivered.map((d) => d.seq)).toEqual([1, 2, 3])
    expect(node.store.unannounced()).toEqual([])
    expect(a.pending()).toBe(0)
  })

  it('announces nothing more after a restart', async () => {
    await publishAll()
    const first = recordingTarget()
    const a = announcer(node, { target: first.target })
    a.start()
    await a.wake()
    await a.stop()
    await node.close()

    node = await LocalNode.open(home, {})
    const second = recordingTarget()
    const b = announcer(node, { target: second.target })
    b.start()
    await b.wake()
    expect(first.delivered).toHaveLength(3)
    expect(second.calls()).toBe(0)
  })

  it('retries a failed delivery later and still delivers each record exactly once', async () => {
    const records = await publishAll()
    const errors: string[] = []
    const rec = recordingTarget((call) => call === 2)
    const a = announcer(node, { target: rec.target, retryMs: 20, onError: (_e, cid) => errors.push(cid) })
    a.start()
    await a.wake()
    expect(rec.delivered.map((d) => d.cid)).toEqual(records.slice(0, 1))
    expect(a.pending()).toBe(2)
    await vi.waitFor(() => expect(a.pending()).toBe(0), { timeout: 5000 })
    expect(rec.delivered.map((d) => d.cid)).toEqual(records)
    expect(rec.calls()).toBe(4)
    expect(errors).toEqual([])
  })

  it('treats a throwing target as a failed delivery and reports the error', async () => {
    const records = await publishAll()
    const errors: string[] = []
    const rec = recordingTarget((call) => (call === 1 ? 'throw' : false))
    const a = announcer(node, { target: rec.target, retryMs: 20, onError: (_e, cid) => errors.push(cid) })
    a.start()
    await vi.waitFor(() => expect(rec.delivered).toHaveLength(3), { timeout: 5000 })
    expect(rec.delivered.map((d) => d.cid)).toEqual(records)
    expect(errors).toEqual([records[0]])
  })

  it('keeps records queued without a target and sends them when one is plugged in', async () => {
    const records = await publishAll()
    const a = announcer(node)
    a.start()
    await a.wake()
    expect(a.pending()).toBe(3)
    const rec = recordingTarget()
    a.setTarget(rec.target)
    await a.wake()
    expect(rec.delivered.map((d) => d.cid)).toEqual(records)
    expect(a.pending()).toBe(0)
    expect(a.delivered).toBe(3)
  })

  it('announces a record published while it runs', async () => {
    const rec = recordingTarget()
    const a = announcer(node, { target: rec.target })
    a.start()
    const { record } = await node.publish(join(EXAMPLES, 'macros-std'))
    await vi.waitFor(() => expect(rec.delivered.map((d) => d.cid)).toEqual([record]), { timeout: 5000 })
    expect(a.pending()).toBe(0)
  })

  it('does not announce records that came from elsewhere', async () => {
    await publishAll()
    const a = announcer(node, { target: recordingTarget().target })
    a.start()
    await a.wake()
    // A second home's record ingested as if from the network stays out of the outbox.
    const other = join(dir, 'other')
    await initHome(other)
    const otherNode = await LocalNode.open(other, {})
    const { record } = await otherNode.publish(join(EXAMPLES, 'rust-cli-app'))
    const bytes = otherNode.store.getRecord(record)!
    await otherNode.close()
    const before = node.store.unannounced().length
    node.ingest(bytes, { source: 'network' })
    expect(node.store.hasRecord(record)).toBe(true)
    expect(node.store.unannounced().length).toBe(before)
    expect(a.pending()).toBe(0)
  })
})
