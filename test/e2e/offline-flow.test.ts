/**
 * The single-node marketplace, offline, through the real binary: init, publish the example
 * gpacks, search, info, install with dependencies, ggen.lock, reinstall from the lockfile,
 * verify, yank.
 */
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, EXAMPLES, tempDir } from '../helpers/cli.js'

const EXAMPLE_IDS = {
  'macros-std': 'io.ggen.macros.std',
  'rust-cli-subcommand': 'io.ggen.rust.cli-subcommand',
  'rust-cli-app': 'io.ggen.rust.cli-app',
}

let work: Awaited<ReturnType<typeof tempDir>>
let home: string

beforeAll(async () => {
  work = await tempDir()
  home = join(work.path, 'home')
})
afterAll(async () => work.cleanup())

const run = (...args: string[]) => cli(['--home', home, ...args])

describe('offline flow', () => {
  it('init creates the home, a 0600 publisher key and a peer identity', async () => {
    const init = run('init', '--json')
    expect(init.status, init.stderr).toBe(0)
    const out = init.json()
    expect(out.home).toBe(home)
    expect(out.publisher).toMatch(/^did:key:z6Mk/)
    expect(out.peerId).toMatch(/^12D3KooW/)
    expect((await stat(join(home, 'keys', 'publisher.key'))).mode & 0o777).toBe(0o600)
    expect((await stat(join(home, 'keys', 'peer.key'))).mode & 0o777).toBe(0o600)

    const again = run('init', '--json').json()
    expect(again.publisher).toBe(out.publisher)
    expect(again.peerId).toBe(out.peerId)
    expect(again.created).toBe(false)
  })

  it('publishes the example gpacks', () => {
    for (const pack of ['macros-std', 'rust-cli-subcommand', 'rust-cli-app']) {
      const res = run('publish', join(EXAMPLES, pack), '--json')
      expect(res.status, res.stderr).toBe(0)
      const out = res.json()
      expect(out.cid).toMatch(/^bafy/)
      expect(out.record).toMatch(/^bafy/)
      expect(out.publisher).toMatch(/^did:key:/)
      expect(out.warnings).toEqual([])
    }
    const status = run('status', '--json').json()
    expect(status).toMatchObject({ packages: 3, records: 3, peers: 0, addresses: [] })
  })

  it('finds packages by prefix and with a typo', () => {
    const typo = run('search', 'subcomand', '--json').json()
    expect(typo.results[0].id).toBe('io.ggen.rust.cli-subcommand')
    const prefix = run('search', 'subcomm', '--json').json()
    expect(prefix.results.map((r: { id: string }) => r.id)).toContain('io.ggen.rust.cli-subcommand')
    const none = run('search', 'kubernetes', '--json').json()
    expect(none).toEqual({ total: 0, results: [] })
  })

  it('shows info with versions and the publisher', () => {
    const info = run('info', 'io.ggen.rust.cli-app', '--json').json()
    expect(info.id).toBe('io.ggen.rust.cli-app')
    expect(info.latest).toBe('0.2.0')
    expect(info.versions).toHaveLength(1)
    expect(info.versions[0]).toMatchObject({ version: '0.2.0', yanked: false })
    expect(info.claimants).toHaveLength(1)
  })

  it('installs with dependencies, writes a sorted ggen.lock, and verifies', async () => {
    const project = join(work.path, 'project')
    const res = run('install', 'io.ggen.rust.cli-app', '--dir', project, '--json')
    expect(res.status, res.stderr).toBe(0)
    const out = res.json()
    expect(out.installed.map((p: { id: string }) => p.id).sort()).toEqual([
      'io.ggen.macros.std',
      'io.ggen.rust.cli-app',
      'io.ggen.rust.cli-subcommand',
    ])
    for (const [pack, id] of Object.entries(EXAMPLE_IDS)) {
      const installed = out.installed.find((p: { id: string }) => p.id === id)
      expect(installed.path).toBe(join(project, '.ggen', 'packages', id))
      await expectSameTree(join(EXAMPLES, pack), installed.path)
    }
    const lock = await readFile(join(project, 'ggen.lock'), 'utf8')
    const ids = [...lock.matchAll(/^id = "(.+)"$/gm)].map((m) => m[1])
    expect(ids).toEqual(['io.ggen.macros.std', 'io.ggen.rust.cli-app', 'io.ggen.rust.cli-subcommand'])

    const verify = run('verify', '--dir', project, '--json')
    expect(verify.status).toBe(0)
    expect(verify.json()).toMatchObject({ ok: true, mismatches: [] })
  })

  it('installs exactly what ggen.lock pins into another checkout', async () => {
    const first = join(work.path, 'project')
    const second = join(work.path, 'checkout')
    await mkdir(second, { recursive: true })
    await writeFile(join(second, 'ggen.lock'), await readFile(join(first, 'ggen.lock')))
    const res = run('install', '--dir', second, '--json')
    expect(res.status, res.stderr).toBe(0)
    expect(res.json().installed).toHaveLength(3)
    expect(await readFile(join(second, 'ggen.lock'), 'utf8')).toBe(
      await readFile(join(first, 'ggen.lock'), 'utf8'),
    )
    await expectSameTree(join(first, '.ggen', 'packages'), join(second, '.ggen', 'packages'))
  })

  it('verify names a modified file and exits 1', async () => {
    const project = join(work.path, 'project')
    const dir = join(project, '.ggen', 'packages', 'io.ggen.macros.std')
    const file = (await readdir(dir, { recursive: true, withFileTypes: true })).find((e) => e.isFile())!
    const rel = join(file.parentPath, file.name).slice(dir.length + 1)
    await writeFile(join(dir, rel), 'tampered\n')
    const res = run('verify', '--dir', project, '--json')
    expect(res.status).toBe(1)
    const out = res.json()
    expect(out.ok).toBe(false)
    expect(out.mismatches).toContainEqual(
      expect.objectContaining({ id: 'io.ggen.macros.std', path: rel, reason: 'modified' }),
    )
  })

  it('yank withdraws a version from new resolutions but info still lists it', () => {
    const yank = run('yank', 'io.ggen.rust.cli-app@0.2.0', '--reason', 'broken template', '--json')
    expect(yank.status, yank.stderr).toBe(0)
    const info = run('info', 'io.ggen.rust.cli-app', '--json').json()
    expect(info.versions[0]).toMatchObject({ version: '0.2.0', yanked: true, yankReason: 'broken template' })
    expect(info.latest).toBeUndefined()
    const install = run('install', 'io.ggen.rust.cli-app', '--dir', join(work.path, 'fresh'), '--json')
    expect(install.status).toBe(1)
    expect(install.json().error.code).toBe('ERR_NO_MATCH')
    expect(install.stderr).toContain('yanked')
  })
})

/** Asserts two directory trees hold the same files with the same bytes. */
async function expectSameTree(a: string, b: string): Promise<void> {
  const list = async (root: string) =>
    (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
      .sort()
  const filesA = await list(a)
  expect(await list(b)).toEqual(filesA)
  for (const f of filesA) expect(await readFile(join(b, f))).toEqual(await readFile(join(a, f)))
}
