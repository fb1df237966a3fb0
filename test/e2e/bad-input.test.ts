/**
 * Bad input through the real binary: each case gets a clear error naming what is wrong,
 * the right exit code, and nothing stored or changed.
 */
import { execFileSync } from 'node:child_process'
import { chmod, cp, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli, EXAMPLES, tempDir } from '../helpers/cli.js'

let work: Awaited<ReturnType<typeof tempDir>>
let home: string

const run = (...args: string[]) => cli(['--home', home, ...args])

beforeAll(async () => {
  work = await tempDir()
  home = join(work.path, 'home')
  expect(run('init').status).toBe(0)
})
afterAll(async () => work.cleanup())

/** A copy of an example gpack that a test may break. */
async function packageCopy(name: string, example = 'macros-std'): Promise<string> {
  const dir = join(work.path, name)
  await cp(join(EXAMPLES, example), dir, { recursive: true })
  return dir
}

function records(): number {
  return run('status', '--json').json().records
}

describe('manifests', () => {
  it('malformed TOML names the line and column', async () => {
    const dir = await packageCopy('bad-toml')
    await writeFile(join(dir, 'gpack.toml'), '[gpack]\nid = "io.x.bad"\nversion = 1.0.0\n')
    const res = run('publish', dir, '--json')
    expect(res.status).toBe(1)
    expect(res.json().error.code).toBe('ERR_TOML_SYNTAX')
    expect(res.stderr).toMatch(/gpack\.toml:3:\d+/)
  })

  it('reports a missing id, an invalid version and an invalid license at once', async () => {
    const dir = await packageCopy('bad-fields')
    await writeFile(
      join(dir, 'gpack.toml'),
      '[gpack]\nversion = "1.0"\nlicense = "Not A License"\ndescription = "x"\n',
    )
    const before = records()
    const res = run('publish', dir, '--json')
    expect(res.status).toBe(1)
    const problems = res.json().error.details.problems as { field: string }[]
    expect(problems.map((p) => p.field)).toEqual(
      expect.arrayContaining(['gpack.id', 'gpack.version', 'gpack.license']),
    )
    expect(res.stderr).toContain('gpack.id')
    expect(res.stderr).toContain('gpack.version')
    expect(res.stderr).toContain('gpack.license')
    expect(records()).toBe(before)
  })

  it('an invalid id is named', async () => {
    const dir = await packageCopy('bad-id')
    const text = await readFile(join(dir, 'gpack.toml'), 'utf8')
    await writeFile(join(dir, 'gpack.toml'), text.replace('id = "io.ggen.macros.std"', 'id = "Io Ggen!"'))
    const res = run('publish', dir)
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('Io Ggen!')
  })
})

describe('package content', () => {
  it('refuses a symlink and a FIFO, naming both paths', async () => {
    const dir = await packageCopy('bad-content')
    await symlink('/etc/passwd', join(dir, 'passwd'))
    execFileSync('mkfifo', [join(dir, 'pipe')])
    const res = run('publish', dir, '--json')
    expect(res.status).toBe(1)
    const files = (res.json().error.details.problems as { file: string }[]).map((p) => p.file)
    expect(files).toEqual(expect.arrayContaining(['passwd', 'pipe']))
  })

  it('refuses a package over the configured size limit', async () => {
    const small = join(work.path, 'small-home')
    expect(cli(['--home', small, 'init']).status).toBe(0)
    const config = join(small, 'config.toml')
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace(/max_package_bytes = \d+/, 'max_package_bytes = 100'),
    )
    const res = cli(['--home', small, 'publish', join(EXAMPLES, 'macros-std')])
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('max_package_bytes')
  })
})

describe('versions and ownership', () => {
  it('republishing an existing version is refused and changes nothing', () => {
    expect(run('publish', join(EXAMPLES, 'macros-std')).status).toBe(0)
    const before = records()
    const res = run('publish', join(EXAMPLES, 'macros-std'), '--json')
    expect(res.status).toBe(1)
    expect(res.json().error.code).toBe('ERR_VERSION_EXISTS')
    expect(res.stderr).toContain('bump')
    expect(records()).toBe(before)
  })

  it('another key publishing an existing id takes nothing over; install names the claimants', async () => {
    // a second publisher key on the same node: CI style, from the environment
    const other = join(work.path, 'other-home')
    expect(cli(['--home', other, 'init']).status).toBe(0)
    const otherKey = await readFile(join(other, 'keys', 'publisher.key'), 'utf8')
    const otherDid = cli(['--home', other, 'keys', 'show', '--json']).json().publisher
    const mine = run('keys', 'show', '--json').json().publisher

    const dir = await packageCopy('squat')
    const text = await readFile(join(dir, 'gpack.toml'), 'utf8')
    await writeFile(join(dir, 'gpack.toml'), text.replace('version = "0.1.0"', 'version = "9.9.9"'))
    const squat = cli(['--home', home, 'publish', dir, '--json'], { env: { GGEN_MARKET_KEY: otherKey } })
    expect(squat.status, squat.stderr).toBe(0)
    expect(squat.json().publisher).toBe(otherDid)
    expect(squat.json().warnings.join('\n')).toContain(mine)

    const info = run('info', 'io.ggen.macros.std', '--json').json()
    expect(info.claimants.map((c: { publisher: string }) => c.publisher).sort()).toEqual(
      [mine, otherDid].sort(),
    )

    const project = join(work.path, 'ambiguous')
    const res = run('install', 'io.ggen.macros.std', '--dir', project, '--json')
    expect(res.status).toBe(1)
    expect(res.json().error.code).toBe('ERR_AMBIGUOUS_OWNER')
    expect(res.stderr).toContain('--publisher')

    const pick = run('install', 'io.ggen.macros.std', '--dir', project, '--publisher', mine, '--json')
    expect(pick.status, pick.stderr).toBe(0)
    expect(pick.json().installed[0]).toMatchObject({ version: '0.1.0', publisher: mine })

    expect(run('trust', 'add', otherDid).status).toBe(0)
    const trusted = run('install', 'io.ggen.macros.std', '--dir', join(work.path, 'trusting'), '--json')
    expect(trusted.status, trusted.stderr).toBe(0)
    expect(trusted.json().installed[0]).toMatchObject({ version: '9.9.9', publisher: otherDid })
    expect(run('trust', 'remove', otherDid).status).toBe(0)
  })
})

describe('install failures leave the previous install intact', () => {
  async function blockFiles(): Promise<string[]> {
    const root = join(home, 'content')
    return (await readdir(root, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile() && e.parentPath.includes('blocks'))
      .map((e) => join(e.parentPath, e.name))
  }

  it('a corrupted block fails the install and keeps the old files', async () => {
    const project = join(work.path, 'corrupt')
    const mine = run('keys', 'show', '--json').json().publisher
    expect(run('install', 'io.ggen.macros.std', '--dir', project, '--publisher', mine).status).toBe(0)
    const lockBefore = await readFile(join(project, 'ggen.lock'), 'utf8')
    const pkg = join(project, '.ggen', 'packages', 'io.ggen.macros.std')
    const before = await readdir(pkg, { recursive: true })

    const blocks = await blockFiles()
    const saved = new Map<string, Buffer>()
    for (const file of blocks) {
      const bytes = await readFile(file)
      saved.set(file, bytes)
      const broken = Buffer.from(bytes)
      broken[broken.length - 1] = (broken[broken.length - 1] ?? 0) ^ 0xff
      await chmod(file, 0o644).catch(() => {})
      await writeFile(file, broken)
    }
    try {
      const res = run('install', 'io.ggen.macros.std', '--dir', project, '--publisher', mine, '--json')
      expect(res.status).toBe(1)
      expect(res.json().error.code).toBe('ERR_BLOCK_CORRUPT')
      expect(await readdir(pkg, { recursive: true })).toEqual(before)
      expect(await readFile(join(project, 'ggen.lock'), 'utf8')).toBe(lockBefore)
      expect((await readdir(join(project, '.ggen'))).filter((n) => n.startsWith('.staging'))).toEqual([])
    } finally {
      for (const [file, bytes] of saved) await writeFile(file, bytes)
    }
  })

  it('a missing block fails the install and names the block', async () => {
    const project = join(work.path, 'missing')
    const mine = run('keys', 'show', '--json').json().publisher
    const blocks = await blockFiles()
    const saved = new Map<string, Buffer>()
    for (const file of blocks) {
      saved.set(file, await readFile(file))
      await rm(file)
    }
    try {
      const res = run('install', 'io.ggen.macros.std', '--dir', project, '--publisher', mine, '--json')
      expect(res.status).toBe(1)
      expect(res.json().error.code).toBe('ERR_BLOCK_MISSING')
      expect(
        await stat(join(project, '.ggen', 'packages', 'io.ggen.macros.std')).catch(() => undefined),
      ).toBeUndefined()
    } finally {
      for (const [file, bytes] of saved) {
        await mkdir(join(file, '..'), { recursive: true })
        await writeFile(file, bytes)
      }
    }
  })

  it('a ggen.lock edited by hand to a wrong CID is refused by install and flagged by verify', async () => {
    const project = join(work.path, 'edited-lock')
    const mine = run('keys', 'show', '--json').json().publisher
    expect(run('install', 'io.ggen.macros.std', '--dir', project, '--publisher', mine).status).toBe(0)
    const lockFile = join(project, 'ggen.lock')
    const lock = await readFile(lockFile, 'utf8')
    const other = run('info', 'io.ggen.macros.std', '--json')
      .json()
      .versions.find((v: { version: string }) => v.version === '9.9.9').cid
    await writeFile(lockFile, lock.replace(/cid = "[^"]+"/, `cid = "${other}"`))

    const install = run('install', '--dir', project, '--json')
    expect(install.status).toBe(1)
    expect(install.json().error.code).toBe('ERR_LOCK_MISMATCH')
    const verify = run('verify', '--dir', project, '--json')
    expect(verify.status).toBe(1)
    expect(verify.json().ok).toBe(false)
  })
})

describe('keys and usage', () => {
  it('a publisher key readable by others is refused with the chmod that fixes it', async () => {
    const loose = join(work.path, 'loose-home')
    expect(cli(['--home', loose, 'init']).status).toBe(0)
    const key = join(loose, 'keys', 'publisher.key')
    await chmod(key, 0o644)
    const res = cli(['--home', loose, 'keys', 'show'])
    expect(res.status).toBe(1)
    expect(res.stderr).toContain(`chmod 600 ${key}`)
  })

  it('an unknown flag or a missing argument exits 2 with the usage', () => {
    const unknown = run('search', 'x', '--frobnicate')
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain('--frobnicate')
    const missing = run('publish')
    expect(missing.status).toBe(2)
    expect(missing.stderr).toContain('Usage')
  })

  it('network commands exit 3 when no daemon runs', () => {
    const res = run('peers')
    expect(res.status).toBe(3)
    expect(res.stderr).toContain('ggen-market daemon')
  })

  it('a command on a home that was never initialised says to run init', () => {
    const res = cli(['--home', join(work.path, 'nowhere'), 'search', 'x'])
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('ggen-market init')
  })
})
