/**
 * Content over Bitswap: a node that holds only the record of a package installs it by
 * fetching the blocks from a peer that published it; the files equal the originals.
 */
import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startPeer, type TestPeer, tempRoot, waitFor } from './helpers.js'

const EXAMPLES = join(import.meta.dirname, '..', '..', '..', 'examples')

let root: { dir: string; cleanup(): Promise<void> }
const peers: TestPeer[] = []

beforeEach(async () => {
  root = await tempRoot()
})
afterEach(async () => {
  for (const p of peers.splice(0).reverse()) await p.stop()
  await root.cleanup()
})

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    out[relative(dir, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
  }
  return out
}

describe('content over Bitswap', () => {
  it('installs on C a package whose blocks only A holds, byte for byte', async () => {
    const a = await startPeer(root.dir)
    peers.push(a)
    const c = await startPeer(root.dir, { bootstrap: [a.addr] })
    peers.push(c)
    const published = await a.node.publish(join(EXAMPLES, 'macros-std'))
    await waitFor('C to hold the record', () => c.node.store.versions(published.id).length === 1)
    const content = await c.node.content()
    const { CID } = await import('multiformats/cid')
    expect(await content.blockstore.has(CID.parse(published.cid))).toBe(false)

    const dir = join(root.dir, 'project')
    const result = await c.node.install({ specs: [published.id], dir })
    expect(result.installed).toMatchObject([{ id: published.id, cid: published.cid }])
    const installed = await tree(result.installed[0]!.path)
    const original = await tree(join(EXAMPLES, 'macros-std'))
    expect(installed).toEqual(original)
  }, 60_000)
})
