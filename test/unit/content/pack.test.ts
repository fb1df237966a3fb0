import { rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ContentStore, openContentStore } from '../../../src/content/blockstore.js'
import { hashDirectory } from '../../../src/content/hash-dir.js'
import { type PackProgressEvent, packDirectory } from '../../../src/content/pack.js'
import { scanPackageDir } from '../../../src/content/scan.js'
import { extractPackage } from '../../../src/content/unpack.js'
import { listDag } from '../../../src/content/walk.js'
import { ContentError } from '../../../src/domain/errors.js'
import { blockFile, pseudoRandomBytes, readTree, samplePackage, tempDir, writeTree } from './helpers.js'

describe('packDirectory / hashDirectory / extractPackage', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const stores: ContentStore[] = []
  const open = async (name: string): Promise<ContentStore> => {
    const store = await openContentStore(join(dir, name))
    stores.push(store)
    return store
  }
  const scanned = async (root: string) => {
    const scan = await scanPackageDir(root)
    expect(scan.problems).toEqual([])
    return scan.files
  }

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
    await cleanup()
  })

  it('round-trips a package byte for byte: nested dirs, an empty file, binary, a multi-chunk file', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, samplePackage())
    const store = await open('store')
    const events: PackProgressEvent[] = []

    const packed = await packDirectory(store, await scanned(pkg), { onProgress: (e) => events.push(e) })
    const result = await extractPackage(store, packed.cid, join(dir, 'out'))

    expect(await readTree(join(dir, 'out'))).toEqual(await readTree(pkg))
    expect(packed.cid.version).toBe(1)
    const sample = Object.values(samplePackage())
    expect(packed.size).toBe(
      sample.reduce((n, c) => n + (typeof c === 'string' ? Buffer.byteLength(c) : c.byteLength), 0),
    )
    expect(result).toEqual({ files: 6, bytes: packed.size })
    expect(events.map((e) => [e.path, e.bytes, e.files])).toEqual([
      ['README.md', 9, 1],
      ['assets/logo.bin', 4097, 2],
      ['data/big.bin', 1_000_000, 3],
      ['gpack.toml', 48, 4],
      ['templates/empty.tmpl', 0, 5],
      ['templates/nested/deep/x.tmpl', 16, 6],
    ])
    expect(events.every((e) => e.type === 'pack:file' && e.totalFiles === 6)).toBe(true)
  })

  it('splits a 1 MB file into 256 KiB raw leaves under one file node', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, { 'big.bin': pseudoRandomBytes(1_000_000, 7) })
    const store = await open('store')
    const { fileCids } = await hashDirectory(await scanned(pkg))
    await packDirectory(store, await scanned(pkg))

    const fileCid = fileCids.get('big.bin')!
    expect(fileCid.code).toBe(0x70) // dag-pb file node
    const { decode } = await import('@ipld/dag-pb')
    const links = decode(await readBlock(store, fileCid)).Links
    expect(links.map((l) => l.Hash.code)).toEqual([0x55, 0x55, 0x55, 0x55]) // raw leaves
    expect(links.map((l) => l.Tsize)).toEqual([262_144, 262_144, 262_144, 1_000_000 - 3 * 262_144])
  })

  it('gives the same CID for the same files in two stores, and a new CID when one byte changes', async () => {
    const a = join(dir, 'a')
    const b = join(dir, 'b')
    await writeTree(a, samplePackage())
    await writeTree(b, samplePackage())

    const first = await packDirectory(await open('s1'), await scanned(a))
    const second = await packDirectory(await open('s2'), await scanned(b))
    const shuffled = await packDirectory(await open('s3'), (await scanned(b)).reverse())
    expect(second.cid.toString()).toBe(first.cid.toString())
    expect(shuffled.cid.toString()).toBe(first.cid.toString())

    const big = samplePackage()['data/big.bin'] as Uint8Array
    big[500_000] = big[500_000]! ^ 1
    await writeFile(join(b, 'data/big.bin'), big)
    const changed = await packDirectory(await open('s4'), await scanned(b))
    expect(changed.cid.toString()).not.toBe(first.cid.toString())
  })

  it('pins the CID of a known package, so an importer default changing cannot go unnoticed', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, { 'hello.txt': 'hello\n', 'sub/empty': '' })
    const { cid } = await hashDirectory(await scanned(pkg))
    expect(cid.toString()).toMatchInlineSnapshot(
      `"bafybeiesiviuyak343tzuv5ktlfyr63yaovejgyqy6rnflof2vvfyhqhau"`,
    )
  })

  it('hashDirectory computes exactly the CIDs packDirectory stores, without storing anything', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, samplePackage(3))
    const files = await scanned(pkg)
    const store = await open('store')

    const hashed = await hashDirectory(files)
    const packed = await packDirectory(store, files)

    expect(hashed.cid.toString()).toBe(packed.cid.toString())
    const listed = new Map<string, string>()
    for await (const f of listDag(store, packed.cid)) listed.set(f.path, f.cid.toString())
    expect(new Map([...hashed.fileCids].map(([p, c]) => [p, c.toString()]))).toEqual(listed)
  })

  it('matches hashDirectory and packDirectory on a directory big enough to be HAMT-sharded', async () => {
    const pkg = join(dir, 'pkg')
    const files: Record<string, string> = {}
    // Past 256 KiB of links (name + CID bytes) a directory is sharded: 1200 x (200 + 36) is.
    for (let i = 0; i < 1200; i++) files[`many/${'x'.repeat(190)}-${String(i).padStart(5, '0')}.txt`] = `${i}`
    await writeTree(pkg, files)
    const scan = await scanned(pkg)
    const store = await open('store')

    const hashed = await hashDirectory(scan)
    const packed = await packDirectory(store, scan)
    const listed: string[] = []
    for await (const f of listDag(store, packed.cid)) listed.push(f.path)

    expect(hashed.cid.toString()).toBe(packed.cid.toString())
    expect(listed.sort()).toEqual(Object.keys(files).sort())
    // The directory `many` is a HAMT shard: UnixFS type 5.
    const { decode } = await import('@ipld/dag-pb')
    const { UnixFS } = await import('ipfs-unixfs')
    const root = decode(await readBlock(store, packed.cid))
    const many = decode(await readBlock(store, root.Links[0]!.Hash))
    expect(UnixFS.unmarshal(many.Data!).type).toBe('hamt-sharded-directory')
  }, 120_000)

  it('fails with ERR_CONTENT_CHANGED when a file changed size after the scan', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, { 'a.txt': 'short' })
    const files = await scanned(pkg)
    await writeFile(join(pkg, 'a.txt'), 'much longer now')

    const err = await packDirectory(await open('store'), files).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ContentError)
    expect(err).toMatchObject({ code: 'ERR_CONTENT_CHANGED', details: { path: 'a.txt' } })
  })

  it('fails with ERR_CONTENT_READ when a file was swapped for a symlink after the scan', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, { 'a.txt': 'short', 'elsewhere.txt': 'short' })
    const files = await scanned(pkg)
    await rm(join(pkg, 'a.txt'))
    await symlink(join(pkg, 'elsewhere.txt'), join(pkg, 'a.txt'))

    const err = await packDirectory(await open('store'), files).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ERR_CONTENT_READ', details: { path: 'a.txt' } })
    expect((err as Error).message).toMatch(/replaced by a symbolic link/)
  })

  it('packs an empty file list as the empty directory', async () => {
    const packed = await packDirectory(await open('store'), [])
    expect(packed.cid.toString()).toBe('bafybeiczsscdsbs7ffqz55asqdf3smv6klcw3gofszvwlyarci47bgf354')
    expect(packed.size).toBe(0)
  })

  it('stores blocks as files under DIR/blocks', async () => {
    const pkg = join(dir, 'pkg')
    await writeTree(pkg, { 'a.txt': 'abc' })
    const store = await open('store')
    const packed = await packDirectory(store, await scanned(pkg))
    const { readFile } = await import('node:fs/promises')
    expect((await readFile(blockFile(join(dir, 'store'), packed.cid))).byteLength).toBeGreaterThan(0)
  })
})

async function readBlock(store: ContentStore, cid: import('multiformats/cid').CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = []
  for await (const chunk of store.blockstore.get(cid)) chunks.push(chunk)
  return Buffer.concat(chunks)
}
