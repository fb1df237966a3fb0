/**
 * Export from one real home and import into another that never saw it: what the second
 * node shows afterwards, the selections (--id with its dependency closure, --since,
 * --since-bundle, --records-only), and that repeating or reordering imports changes nothing.
 */
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ProgressEvent } from '../../../src/node/api.js'
import type { LocalNode } from '../../../src/node/local-node.js'
import { blockFile } from '../content/helpers.js'
import {
  blockCount,
  openHome,
  type PackageSpec,
  publishAll,
  readCar,
  tempDir,
  writePackage,
} from './helpers.js'

const SPECS: PackageSpec[] = [
  { id: 'io.test.base', version: '1.0.0', keywords: ['base'] },
  { id: 'io.test.base', version: '1.1.0', keywords: ['base'] },
  { id: 'io.test.util', version: '0.3.0', dependencies: { 'io.test.base': '^1.0' } },
  { id: 'io.test.app', version: '2.0.0', dependencies: { 'io.test.util': '^0.3' } },
  { id: 'io.test.other', version: '0.1.0', keywords: ['unrelated'] },
]

let work: { dir: string; cleanup: () => Promise<void> }
let source: LocalNode
let target: LocalNode

beforeEach(async () => {
  work = await tempDir()
  source = await openHome(join(work.dir, 'source'))
  target = await openHome(join(work.dir, 'target'))
  await publishAll(source, join(work.dir, 'packages'), SPECS)
})
afterEach(async () => {
  await source.close()
  await target.close()
  await work.cleanup()
})

const ids = async (node: LocalNode): Promise<string[]> =>
  (await node.search({ query: 'templates', limit: 100 })).results.map((r) => r.id).sort()

describe('a full bundle', () => {
  it('carries every record and package, so the other home searches, shows and installs the same', async () => {
    const file = join(work.dir, 'all.car')
    const progress: ProgressEvent[] = []
    const exported = await source.exportBundle({ file }, { onProgress: (e) => progress.push(e) })
    expect(exported).toMatchObject({ file, records: 5, packages: 5, skipped: [], warnings: [] })
    expect(progress.at(-1)).toEqual({
      type: 'bundle:write',
      blocks: exported.blocks,
      totalBlocks: exported.blocks,
      bytes: exported.bytes,
    })

    const imported = await target.importBundle(file)
    expect(imported).toMatchObject({
      clean: true,
      records: { added: 5, duplicate: 0, rejected: 0 },
      packages: { complete: 5, incomplete: 0 },
      problems: [],
      bytes: exported.bytes,
    })
    expect(imported.blocksAdded).toBe(imported.blocks)
    expect(imported.blocks).toBe(exported.blocks - 1 - 1 - 1 - 5) // root, 2 index blocks, 5 records

    expect(await ids(target)).toEqual(await ids(source))
    expect(await target.search({ query: 'base' })).toEqual(await source.search({ query: 'base' }))
    for (const id of ['io.test.base', 'io.test.app']) {
      expect(await target.info(id)).toEqual(await source.info(id))
    }
    const a = await source.install({ specs: ['io.test.app'], dir: join(work.dir, 'p1') })
    const b = await target.install({ specs: ['io.test.app'], dir: join(work.dir, 'p2') })
    expect(b.installed.map(({ path: _p, ...rest }) => rest)).toEqual(
      a.installed.map(({ path: _p, ...rest }) => rest),
    )
    expect((await target.verify(join(work.dir, 'p2'))).ok).toBe(true)
  })

  it('is a standard CAR: @ipld/car reads one root, the root block first', async () => {
    const file = join(work.dir, 'all.car')
    const exported = await source.exportBundle({ file })
    const car = await readCar(file)
    expect(car.roots).toHaveLength(1)
    expect(car.blocks[0]!.cid.equals(car.roots[0]!)).toBe(true)
    expect(car.blocks).toHaveLength(exported.blocks)
  })

  it('imported twice, or an older bundle after a newer one, changes nothing', async () => {
    const older = join(work.dir, 'older.car')
    await source.exportBundle({ file: older })
    await source.yank('io.test.base@1.0.0', 'superseded')
    await publishAll(source, join(work.dir, 'packages'), [{ id: 'io.test.late', version: '0.1.0' }])
    const newer = join(work.dir, 'newer.car')
    await source.exportBundle({ file: newer })

    expect((await target.importBundle(newer)).records).toEqual({ added: 7, duplicate: 0, rejected: 0 })
    const blocks = await blockCount(join(work.dir, 'target'))
    const info = await target.info('io.test.base')
    const search = await target.search({ query: 'templates', limit: 100 })

    const again = await target.importBundle(newer)
    expect(again).toMatchObject({
      clean: true,
      records: { added: 0, duplicate: 7, rejected: 0 },
      blocksAdded: 0,
    })
    const old = await target.importBundle(older)
    expect(old).toMatchObject({
      clean: true,
      records: { added: 0, duplicate: 5, rejected: 0 },
      blocksAdded: 0,
    })

    expect(await blockCount(join(work.dir, 'target'))).toBe(blocks)
    expect(await target.info('io.test.base')).toEqual(info)
    expect(info.versions.find((v) => v.version === '1.0.0')?.yanked).toBe(true)
    expect(await target.search({ query: 'templates', limit: 100 })).toEqual(search)
    expect((await target.status()).records).toBe(7)
  })

  it('reports its records to watchers as coming from a bundle', async () => {
    const file = join(work.dir, 'all.car')
    await source.exportBundle({ file })
    const sources: string[] = []
    target.events.on('event', (e) => {
      if (e.type === 'record') sources.push(e.source)
    })
    await target.importBundle(file)
    expect(sources).toEqual(['bundle', 'bundle', 'bundle', 'bundle', 'bundle'])
  })
})

describe('selections', () => {
  it('--id takes the package with the closure of its dependencies, and nothing else', async () => {
    const file = join(work.dir, 'app.car')
    const exported = await source.exportBundle({ file, ids: ['io.test.app'] })
    expect(exported).toMatchObject({ records: 4, packages: 4 })
    await target.importBundle(file)
    expect(await ids(target)).toEqual(['io.test.app', 'io.test.base', 'io.test.util'])
    const installed = await target.install({ specs: ['io.test.app'], dir: join(work.dir, 'p') })
    expect(installed.installed.map((p) => p.id).sort()).toEqual([
      'io.test.app',
      'io.test.base',
      'io.test.util',
    ])
  })

  it('--id of an unknown package is an error that names it', async () => {
    await expect(
      source.exportBundle({ file: join(work.dir, 'x.car'), ids: ['io.test.nope'] }),
    ).rejects.toThrow(/no package io\.test\.nope/)
  })

  it('--since exports only records published at or after the date', async () => {
    const cut = Date.now() + 1
    await new Promise((r) => setTimeout(r, 5))
    await publishAll(source, join(work.dir, 'packages'), [{ id: 'io.test.fresh', version: '0.1.0' }])
    const file = join(work.dir, 'since.car')
    const exported = await source.exportBundle({ file, since: cut })
    expect(exported).toMatchObject({ records: 1, packages: 1, since: new Date(cut).toISOString() })
    await target.importBundle(file)
    expect(await ids(target)).toEqual(['io.test.fresh'])
  })

  it('--since-bundle exports what the earlier bundle did not hold', async () => {
    const first = join(work.dir, 'first.car')
    await source.exportBundle({ file: first })
    await publishAll(source, join(work.dir, 'packages'), [{ id: 'io.test.next', version: '0.1.0' }])
    await source.yank('io.test.other@0.1.0', 'gone')
    const second = join(work.dir, 'second.car')
    expect(await source.exportBundle({ file: second, sinceBundle: first })).toMatchObject({
      records: 2,
      packages: 1,
    })
    await target.importBundle(first)
    const report = await target.importBundle(second)
    expect(report).toMatchObject({ clean: true, records: { added: 2, duplicate: 0, rejected: 0 } })
    expect((await target.info('io.test.other')).versions[0]!.yanked).toBe(true)
    expect(await ids(target)).toContain('io.test.next')
  })

  it('--records-only carries metadata alone: search and info work, install says content is missing', async () => {
    const file = join(work.dir, 'meta.car')
    const exported = await source.exportBundle({ file, recordsOnly: true })
    expect(exported).toMatchObject({ records: 5, packages: 0 })
    const report = await target.importBundle(file)
    expect(report).toMatchObject({ clean: true, blocks: 0, packages: { complete: 0, incomplete: 0 } })
    expect(await ids(target)).toEqual(await ids(source))
    await expect(target.install({ specs: ['io.test.other'], dir: join(work.dir, 'p') })).rejects.toThrow(
      /not in the local content store/,
    )
  })

  it('a node without the content exports the records and names the releases it could not carry', async () => {
    const meta = join(work.dir, 'meta.car')
    await source.exportBundle({ file: meta, recordsOnly: true })
    await target.importBundle(meta)
    await target.install({ specs: ['io.test.other'], dir: join(work.dir, 'p') }).catch(() => {})
    const file = join(work.dir, 'relay.car')
    const relayed = await target.exportBundle({ file })
    expect(relayed.records).toBe(5)
    expect(relayed.packages).toBe(0)
    expect(relayed.skipped.map((s) => `${s.id}@${s.version}`).sort()).toEqual(
      SPECS.map((s) => `${s.id}@${s.version}`).sort(),
    )
    expect(relayed.warnings[0]).toMatch(/5 release\(s\) went in without their content/)
  })

  it('an empty selection still makes a valid bundle', async () => {
    const file = join(work.dir, 'empty.car')
    const exported = await source.exportBundle({ file, since: Date.now() + 60_000 })
    expect(exported).toMatchObject({ records: 0, packages: 0, blocks: 1 })
    expect(await target.importBundle(file)).toMatchObject({ clean: true, records: { added: 0 } })
  })
})

it('a package directory larger than one chunk round-trips byte for byte', async () => {
  const big = new Uint8Array(700_000).map((_, i) => (i * 31) % 251)
  const dir = await writePackage(join(work.dir, 'packages'), {
    id: 'io.test.big',
    version: '1.0.0',
    files: { 'data/big.bin': big, 'a.tmpl': 'a', 'nested/deep/b.tmpl': 'b' },
  })
  await source.publish(dir)
  const file = join(work.dir, 'big.car')
  await source.exportBundle({ file, ids: ['io.test.big'] })
  const report = await target.importBundle(file)
  expect(report).toMatchObject({ clean: true, packages: { complete: 1, incomplete: 0 } })
  const res = await target.install({ specs: ['io.test.big'], dir: join(work.dir, 'p') })
  expect(res.installed).toHaveLength(1)
  expect((await target.verify(join(work.dir, 'p'))).ok).toBe(true)
})

it('an export that fails half way (a damaged block in the store) leaves no file behind', async () => {
  const file = join(work.dir, 'out.car')
  const info = await source.info('io.test.other')
  const leaf = (await readCar(await exportOf('io.test.other'))).blocks.find((b) => b.cid.code === 0x55)!
  await writeFile(blockFile(join(work.dir, 'source', 'content'), leaf.cid), 'bit rot')
  await expect(source.exportBundle({ file })).rejects.toMatchObject({ code: 'ERR_BLOCK_CORRUPT' })
  expect((await readdir(work.dir)).filter((f) => f.startsWith('out.car'))).toEqual([])
  expect(info.versions).toHaveLength(1)
})

async function exportOf(id: string): Promise<string> {
  const file = join(work.dir, `${id}.car`)
  await source.exportBundle({ file, ids: [id] })
  return file
}
