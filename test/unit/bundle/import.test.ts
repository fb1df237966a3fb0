/**
 * readBundle against a target that fails or is cancelled part way: the error surfaces,
 * no write is still running once it has, and a cancelled import stops reading.
 */
import { createReadStream } from 'node:fs'
import { join } from 'node:path'
import type { CID } from 'multiformats/cid'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type ImportTarget, readBundle, unixfsLinks } from '../../../src/bundle/index.js'
import type { LocalNode } from '../../../src/node/local-node.js'
import { openHome, publishAll, tempDir } from './helpers.js'

let work: { dir: string; cleanup: () => Promise<void> }
let node: LocalNode
let bundle: string

beforeEach(async () => {
  work = await tempDir()
  node = await openHome(join(work.dir, 'home'))
  const big = new Uint8Array(3_000_000).map((_, i) => (i * 7) % 253)
  await publishAll(node, join(work.dir, 'packages'), [
    { id: 'io.test.a', version: '1.0.0', files: { 'a.bin': big } },
    { id: 'io.test.b', version: '1.0.0' },
  ])
  bundle = join(work.dir, 'b.car')
  await node.exportBundle({ file: bundle })
})
afterEach(async () => {
  await node.close()
  await work.cleanup()
})

/** A target over memory maps; `put` runs `onPut` first. */
async function memoryTarget(
  onPut: (n: number) => void,
): Promise<{ target: ImportTarget; stored: Map<string, Uint8Array> }> {
  const helia = (await node.content()).helia
  const stored = new Map<string, Uint8Array>()
  let puts = 0
  const target: ImportTarget = {
    network: 'ggen',
    ingest: (records) => records.map(() => ({ status: 'added' })),
    isSigned: () => true,
    blocks: {
      has: async (cid: CID) => stored.has(cid.toString()),
      get: async (cid: CID) => stored.get(cid.toString())!,
      put: async (cid: CID, bytes: Uint8Array) => {
        onPut(++puts)
        await new Promise((r) => setTimeout(r, 2))
        stored.set(cid.toString(), bytes)
      },
    },
    links: unixfsLinks((code) => helia.getCodec(code)),
  }
  return { target, stored }
}

it('a failing write (a full disk) ends the import with that error, and nothing writes after', async () => {
  const { target, stored } = await memoryTarget((n) => {
    if (n === 5) throw new Error('ENOSPC: no space left on device')
  })
  await expect(readBundle(bundle, createReadStream(bundle), target)).rejects.toThrow(/ENOSPC/)
  const after = stored.size
  await new Promise((r) => setTimeout(r, 30))
  expect(stored.size).toBe(after)
  expect(after).toBeGreaterThanOrEqual(4)
})

it('a cancelled import stops reading and leaves no write running', async () => {
  const controller = new AbortController()
  const { target, stored } = await memoryTarget((n) => {
    if (n === 3) controller.abort(new Error('cancelled by the user'))
  })
  await expect(
    readBundle(bundle, createReadStream(bundle), target, { signal: controller.signal }),
  ).rejects.toThrow(/cancelled by the user/)
  const after = stored.size
  await new Promise((r) => setTimeout(r, 30))
  expect(stored.size).toBe(after)
  expect(after).toBeLessThan(12)
})

it('the same import into a memory target reports every block and package', async () => {
  const { target, stored } = await memoryTarget(() => {})
  const report = await readBundle(bundle, createReadStream(bundle), target)
  expect(report).toMatchObject({
    clean: true,
    records: { added: 2 },
    packages: { complete: 2, incomplete: 0 },
  })
  expect(report.blocks).toBe(stored.size)
  expect(report.blocksAdded).toBe(stored.size)
})
