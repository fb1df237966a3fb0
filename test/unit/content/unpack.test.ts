import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as dagPb from '@ipld/dag-pb'
import { UnixFS } from 'ipfs-unixfs'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type ContentStore, openContentStore } from '../../../src/content/blockstore.js'
import { hashDirectory } from '../../../src/content/hash-dir.js'
import { packDirectory } from '../../../src/content/pack.js'
import { scanPackageDir } from '../../../src/content/scan.js'
import {
  type ExtractProgressEvent,
  extractPackage,
  recoverInterruptedExtract,
} from '../../../src/content/unpack.js'
import { listDag } from '../../../src/content/walk.js'
import { ContentError, NotFoundError } from '../../../src/domain/errors.js'
import { blockFile, pseudoRandomBytes, readTree, samplePackage, tempDir, writeTree } from './helpers.js'

describe('extractPackage', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let store: ContentStore
  let storeDir: string
  let project: string
  let dest: string

  /** Packs `files` from a fresh directory; returns the root and each file's CID. */
  const pack = async (name: string, files: Record<string, string | Uint8Array>) => {
    const root = join(dir, name)
    await writeTree(root, files)
    const scan = await scanPackageDir(root)
    const { fileCids } = await hashDirectory(scan.files)
    const { cid } = await packDirectory(store, scan.files)
    return { cid, fileCids, root }
  }
  /** Puts one dag-pb block and returns its CID. */
  const putNode = async (node: dagPb.PBNode): Promise<CID> => {
    const bytes = dagPb.encode(node)
    const cid = CID.createV1(dagPb.code, await sha256.digest(bytes))
    await store.blockstore.put(cid, bytes)
    return cid
  }
  const putRaw = async (bytes: Uint8Array): Promise<CID> => {
    const cid = CID.createV1(raw.code, await sha256.digest(bytes))
    await store.blockstore.put(cid, bytes)
    return cid
  }
  const dirNode = (links: Array<{ Name: string; Hash: CID; Tsize?: number }>): dagPb.PBNode => ({
    Data: new UnixFS({ type: 'directory' }).marshal(),
    Links: links.map((l) => ({ Tsize: 1, ...l })),
  })
  /** The project's `.ggen/packages` entries other than the package itself: leftovers. */
  const leftovers = async () => (await readdir(join(project, 'packages'))).filter((n) => n !== 'pkg')
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => expect.unreachable('should have failed'),
      (e: unknown) => e,
    )

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    storeDir = join(dir, 'content')
    store = await openContentStore(storeDir)
    project = join(dir, 'project', '.ggen')
    dest = join(project, 'packages', 'pkg')
  })
  afterEach(async () => {
    await store.close()
    await cleanup()
  })

  it('replaces a previous install completely and reports progress in blocks and files', async () => {
    const v1 = await pack('v1', { 'old-only.txt': 'gone after v2', 'a.txt': 'one' })
    const v2 = await pack('v2', samplePackage())
    await extractPackage(store, v1.cid, dest)
    const events: ExtractProgressEvent[] = []

    await extractPackage(store, v2.cid, dest, { onProgress: (e) => events.push(e) })

    expect(await readTree(dest)).toEqual(await readTree(v2.root))
    expect(await leftovers()).toEqual([])
    const files = events.filter((e) => e.type === 'extract:file')
    expect(files.map((e) => e.path)).toEqual([
      'README.md',
      'assets/logo.bin',
      'data/big.bin',
      'gpack.toml',
      'templates/empty.tmpl',
      'templates/nested/deep/x.tmpl',
    ])
    const blocks = events.filter((e) => e.type === 'extract:block')
    // root, 3 subdirs (assets, data, templates) + nested + deep, 6 files, 4 leaves of big.bin
    expect(blocks.at(-1)).toMatchObject({ blocks: blocks.length })
    expect(blocks.length).toBeGreaterThanOrEqual(1 + 5 + 6 + 4)
  })

  it('fails with ERR_BLOCK_CORRUPT on a damaged block, keeps the previous install and leaves no temp dir', async () => {
    const v1 = await pack('v1', { 'a.txt': 'version one' })
    await extractPackage(store, v1.cid, dest)
    const v2 = await pack('v2', { 'a.txt': 'version two', 'data/big.bin': pseudoRandomBytes(1_000_000, 9) })
    const bigCid = v2.fileCids.get('data/big.bin')!
    const leaf = dagPb.decode(await readFile(blockFile(storeDir, bigCid))).Links[2]!.Hash
    const file = blockFile(storeDir, leaf)
    const bytes = await readFile(file)
    bytes[1000] = bytes[1000]! ^ 0xff
    await writeFile(file, bytes)

    const err = await failure(extractPackage(store, v2.cid, dest))

    expect(err).toBeInstanceOf(ContentError)
    expect(err).toMatchObject({
      code: 'ERR_BLOCK_CORRUPT',
      details: { cid: leaf.toString(), path: 'data/big.bin', evicted: true },
    })
    expect((err as Error).message).toMatch(new RegExp(`^data/big.bin: block ${leaf} .* is damaged`))
    expect(await readTree(dest)).toEqual(await readTree(v1.root))
    expect(await leftovers()).toEqual([])

    // The damaged copy was evicted, so packing (or fetching) the content again repairs it.
    expect(await store.blockstore.has(leaf)).toBe(false)
    await packDirectory(store, (await scanPackageDir(v2.root)).files)
    await extractPackage(store, v2.cid, dest)
    expect(await readTree(dest)).toEqual(await readTree(v2.root))
  })

  it('fails with ERR_BLOCK_MISSING naming the CID and the file when a block is gone', async () => {
    const v1 = await pack('v1', { 'keep.txt': 'keep' })
    await extractPackage(store, v1.cid, dest)
    const v2 = await pack('v2', { 'a.txt': 'aaa', 'sub/b.txt': 'bbb' })
    const missing = v2.fileCids.get('sub/b.txt')!
    await unlink(blockFile(storeDir, missing))

    for (const offline of [true, false]) {
      const err = await failure(extractPackage(store, v2.cid, dest, { offline }))
      expect(err).toBeInstanceOf(NotFoundError)
      expect(err).toMatchObject({
        code: 'ERR_BLOCK_MISSING',
        details: { cid: missing.toString(), path: 'sub/b.txt' },
      })
      expect((err as Error).message).toMatch(/not in the local content store and this node is offline/)
      expect(await readTree(dest)).toEqual({ 'keep.txt': expect.any(String) })
      expect(await leftovers()).toEqual([])
    }
  })

  it('fails with ERR_BLOCK_MISSING when the root itself is not in the store', async () => {
    const absent = CID.createV1(dagPb.code, await sha256.digest(new Uint8Array([1, 2, 3])))
    const err = await failure(extractPackage(store, absent, dest))
    expect(err).toMatchObject({ code: 'ERR_BLOCK_MISSING', details: { cid: absent.toString(), path: '' } })
    expect((err as Error).message).toMatch(/^package root: block/)
  })

  it.each(['..', '.', 'a/b', 'nul\0byte', ''])('refuses a hostile DAG entry named %j', async (name) => {
    const file = await putRaw(new TextEncoder().encode('pwned'))
    const root = await putNode(dirNode([{ Name: name, Hash: file }]))
    await mkdir(join(dir, 'project'), { recursive: true })

    const err = await failure(extractPackage(store, root, dest))

    expect(err).toBeInstanceOf(ContentError)
    expect(err).toMatchObject({ code: 'ERR_DAG_UNSAFE_NAME', details: { name } })
    expect(await readdir(join(dir, 'project'))).toEqual(['.ggen'])
    expect(await readdir(project)).toEqual(['packages'])
    expect(await readdir(join(project, 'packages'))).toEqual([])
  })

  it('refuses a hostile name in a subdirectory too, and a name listed twice', async () => {
    const file = await putRaw(new TextEncoder().encode('x'))
    const sub = await putNode(dirNode([{ Name: '..', Hash: file }]))
    const nested = await putNode(dirNode([{ Name: 'sub', Hash: sub }]))
    expect(await failure(extractPackage(store, nested, dest))).toMatchObject({
      code: 'ERR_DAG_UNSAFE_NAME',
      details: { path: 'sub' },
    })

    const twice = await putNode(
      dirNode([
        { Name: 'a', Hash: file },
        { Name: 'a', Hash: file },
      ]),
    )
    expect(await failure(extractPackage(store, twice, dest))).toMatchObject({
      code: 'ERR_DAG_DUPLICATE_NAME',
    })
    expect(await leftovers()).toEqual([])
  })

  it('refuses a UnixFS symlink and a root that is a file', async () => {
    const link = await putNode({
      Data: new UnixFS({ type: 'symlink', data: new TextEncoder().encode('/etc/passwd') }).marshal(),
      Links: [],
    })
    const root = await putNode(dirNode([{ Name: 'passwd', Hash: link }]))
    expect(await failure(extractPackage(store, root, dest))).toMatchObject({
      code: 'ERR_DAG_INVALID',
      details: { path: 'passwd' },
    })

    const file = await putRaw(new TextEncoder().encode('just a file'))
    expect(await failure(extractPackage(store, file, dest))).toMatchObject({
      code: 'ERR_PACKAGE_NOT_DIRECTORY',
    })
  })

  it('refuses a file whose stated size does not match its blocks (ERR_DAG_INVALID)', async () => {
    const leaf = await putRaw(new TextEncoder().encode('abc'))
    const liar = await putNode({
      Data: new UnixFS({ type: 'file', blockSizes: [10n] }).marshal(),
      Links: [{ Name: '', Hash: leaf, Tsize: 3 }],
    })
    const root = await putNode(dirNode([{ Name: 'liar.txt', Hash: liar }]))

    const err = await failure(extractPackage(store, root, dest))

    expect(err).toBeInstanceOf(ContentError)
    expect(err).toMatchObject({ code: 'ERR_DAG_INVALID', details: { path: 'liar.txt' } })
    expect(await leftovers()).toEqual([])
  })

  it('refuses a package larger than maxBytes before writing it', async () => {
    const v = await pack('v', { 'a.bin': new Uint8Array(3000), 'b.bin': new Uint8Array(3000) })
    const err = await failure(extractPackage(store, v.cid, dest, { maxBytes: 5000 }))
    expect(err).toMatchObject({ code: 'ERR_PACKAGE_TOO_LARGE' })
    expect(await leftovers()).toEqual([])
    await expect(readdir(dest)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('stops on abort and leaves the previous install', async () => {
    const v1 = await pack('v1', { 'a.txt': 'one' })
    await extractPackage(store, v1.cid, dest)
    const v2 = await pack('v2', samplePackage())
    const controller = new AbortController()

    const err = await failure(
      extractPackage(store, v2.cid, dest, {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'extract:file') controller.abort()
        },
      }),
    )

    expect((err as Error).name).toBe('AbortError')
    expect(await readTree(dest)).toEqual(await readTree(v1.root))
    expect(await leftovers()).toEqual([])
  })

  it('listDag names each file of a stored package with its CID and size', async () => {
    const v = await pack('v', { 'a.txt': 'aaa', 'sub/b.txt': 'bb', 'sub/c/d.txt': '' })
    const listed = []
    for await (const f of listDag(store, v.cid)) listed.push([f.path, f.cid.toString(), f.size])
    expect(listed).toEqual([
      ['a.txt', v.fileCids.get('a.txt')!.toString(), 3],
      ['sub/b.txt', v.fileCids.get('sub/b.txt')!.toString(), 2],
      ['sub/c/d.txt', v.fileCids.get('sub/c/d.txt')!.toString(), 0],
    ])
  })
})

describe('recoverInterruptedExtract', () => {
  let dir: string
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => {
    await cleanup()
  })

  it('puts the set-aside install back when a kill left no target, and removes temp dirs', async () => {
    const packages = join(dir, 'packages')
    await writeTree(packages, {
      '.old-pkg-0123456789ab/a.txt': 'previous',
      '.tmp-pkg-abcdef012345/a.txt': 'half written',
      '.tmp-pkg-other-abcdef012345/x': 'another package: not ours to touch',
      'pkg-other/x': 'untouched',
    })

    const result = await recoverInterruptedExtract(join(packages, 'pkg'))

    expect(result.restored).toBe(true)
    expect(result.removed).toEqual([join(packages, '.tmp-pkg-abcdef012345')])
    expect(await readFile(join(packages, 'pkg', 'a.txt'), 'utf8')).toBe('previous')
    expect((await readdir(packages)).sort()).toEqual(['.tmp-pkg-other-abcdef012345', 'pkg', 'pkg-other'])
  })

  it('keeps a completed install and deletes what was set aside', async () => {
    const packages = join(dir, 'packages')
    await writeTree(packages, { 'pkg/a.txt': 'new', '.old-pkg-0123456789ab/a.txt': 'previous' })

    const result = await recoverInterruptedExtract(join(packages, 'pkg'))

    expect(result).toEqual({ restored: false, removed: [join(packages, '.old-pkg-0123456789ab')] })
    expect(await readFile(join(packages, 'pkg', 'a.txt'), 'utf8')).toBe('new')
  })

  it('does nothing when the parent directory does not exist', async () => {
    expect(await recoverInterruptedExtract(join(dir, 'nope', 'pkg'))).toEqual({
      restored: false,
      removed: [],
    })
  })
})
