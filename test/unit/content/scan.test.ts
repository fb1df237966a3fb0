import { execFileSync } from 'node:child_process'
import { mkdir, symlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_MAX_PACKAGE_BYTES, scanPackageDir } from '../../../src/content/scan.js'
import { tempDir, writeTree } from './helpers.js'

describe('scanPackageDir', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let pkg: string

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    pkg = join(dir, 'pkg')
    await mkdir(pkg)
  })
  afterEach(async () => {
    await cleanup()
  })

  it('lists regular files with relative, /-separated paths, sorted, and their total size', async () => {
    await writeTree(pkg, { 'b.txt': 'bb', 'a/z.txt': 'z', 'a/b/c.txt': 'ccc', 'A.txt': '', 'a.txt': 'a' })
    await mkdir(join(pkg, 'empty-dir'))

    const scan = await scanPackageDir(pkg)

    expect(scan.problems).toEqual([])
    expect(scan.files.map((f) => [f.path, f.size])).toEqual([
      ['A.txt', 0],
      ['a.txt', 1],
      ['a/b/c.txt', 3],
      ['a/z.txt', 1],
      ['b.txt', 2],
    ])
    expect(scan.files[2]!.absPath).toBe(join(pkg, 'a', 'b', 'c.txt'))
    expect(scan.totalBytes).toBe(7)
  })

  it('skips version-control and install metadata at any depth, and says so', async () => {
    await writeTree(pkg, {
      'gpack.toml': 'x',
      '.git/HEAD': 'ref: refs/heads/main',
      '.hg/store': 'x',
      '.svn/entries': 'x',
      '.ggen/packages/dep/file': 'x',
      'sub/.git': 'gitdir: ../.git/modules/sub',
      '.gitignore': 'dist/',
    })

    const scan = await scanPackageDir(pkg)

    expect(scan.files.map((f) => f.path)).toEqual(['.gitignore', 'gpack.toml'])
    expect(scan.skipped).toEqual(['.ggen', '.git', '.hg', '.svn', 'sub/.git'])
    expect(scan.problems).toEqual([])
  })

  it('refuses a symlink, even one pointing inside the package, naming its path and target', async () => {
    await writeTree(pkg, { 'real.txt': 'x' })
    await mkdir(join(pkg, 'sub'))
    await symlink('../real.txt', join(pkg, 'sub', 'link.txt'))
    await symlink('/etc', join(pkg, 'etc'))

    const scan = await scanPackageDir(pkg)

    expect(scan.files.map((f) => f.path)).toEqual(['real.txt'])
    expect(scan.problems).toHaveLength(2)
    expect(scan.problems).toContainEqual({
      file: 'sub/link.txt',
      field: 'content',
      reason: expect.stringMatching(/symbolic link \(to \.\.\/real\.txt\)/),
    })
    expect(scan.problems.find((p) => p.file === 'etc')?.reason).toMatch(/symbolic link \(to \/etc\)/)
  })

  it('refuses a FIFO and a socket', async () => {
    await writeTree(pkg, { 'ok.txt': 'x' })
    execFileSync('mkfifo', [join(pkg, 'pipe')])
    const server: Server = createServer()
    await new Promise<void>((resolve) => server.listen(join(pkg, 'sock'), resolve))
    try {
      const scan = await scanPackageDir(pkg)

      expect(scan.files.map((f) => f.path)).toEqual(['ok.txt'])
      expect(scan.problems).toEqual([
        { file: 'pipe', field: 'content', reason: expect.stringMatching(/is a FIFO.*only regular files/) },
        { file: 'sock', field: 'content', reason: expect.stringMatching(/is a socket/) },
      ])
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('reports a package over the size limit with its size, the limit and the setting to raise', async () => {
    await writeTree(pkg, { 'a.bin': new Uint8Array(3000), 'b.bin': new Uint8Array(2000) })

    const scan = await scanPackageDir(pkg, { maxBytes: 4096 })

    expect(scan.totalBytes).toBe(5000)
    expect(scan.problems).toHaveLength(1)
    expect(scan.problems[0]).toMatchObject({ file: '.', field: 'content' })
    expect(scan.problems[0]!.reason).toMatch(/total 4\.9 KiB \(5000 bytes\), over the limit of 4 KiB/)
    expect(scan.problems[0]!.reason).toMatch(/max_package_bytes/)
  })

  it('defaults the size limit to 64 MiB', async () => {
    expect(DEFAULT_MAX_PACKAGE_BYTES).toBe(64 * 1024 * 1024)
    await writeTree(pkg, { 'a.bin': new Uint8Array(5000) })
    expect((await scanPackageDir(pkg)).problems).toEqual([])
  })

  it('stops at the file-count limit and says which setting raises it', async () => {
    await writeTree(pkg, { '1': '', '2': '', '3': '', 'd/4': '' })

    const scan = await scanPackageDir(pkg, { maxFiles: 2 })

    expect(scan.problems).toEqual([
      { file: '.', field: 'content', reason: expect.stringMatching(/more than 2 files.*max_package_files/) },
    ])
  })

  it('reports a missing or non-directory root instead of throwing', async () => {
    const missing = await scanPackageDir(join(dir, 'nope'))
    expect(missing.problems).toEqual([
      {
        file: '.',
        field: 'content',
        reason: expect.stringMatching(/cannot read the package directory .*nope/),
      },
    ])

    await writeTree(dir, { 'file.txt': 'x' })
    const notDir = await scanPackageDir(join(dir, 'file.txt'))
    expect(notDir.problems[0]!.reason).toMatch(/is not a directory/)
  })

  it('follows a symlinked root (the user named it) but no symlink inside it', async () => {
    await writeTree(pkg, { 'a.txt': 'x' })
    await symlink(pkg, join(dir, 'alias'))

    const scan = await scanPackageDir(join(dir, 'alias'))

    expect(scan.problems).toEqual([])
    expect(scan.files.map((f) => f.path)).toEqual(['a.txt'])
  })
})
