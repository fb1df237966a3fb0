import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { GgenError } from '../../../src/domain/errors.js'
import {
  type LockEntry,
  type Lockfile,
  mergeLock,
  readLockfile,
  writeLockfile,
} from '../../../src/resolve/lockfile.js'
import { ALICE, BOB, cidOf } from './fixtures.js'

function entry(id: string, version: string, publisher = ALICE): LockEntry {
  return {
    id,
    version,
    cid: cidOf(`content:${id}@${version}`),
    publisher,
    record: cidOf(`record:${id}@${version}`, 0x71),
  }
}

async function failure(promise: Promise<unknown>): Promise<GgenError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof GgenError) return err
    throw err
  }
  throw new Error('expected an error')
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-lock-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('ggen.lock', () => {
  it('reads back what it wrote, sorted by id', async () => {
    const lock: Lockfile = { version: 1, packs: [entry('zeta', '2.0.0', BOB), entry('alpha', '1.0.0')] }
    const path = await writeLockfile(dir, lock)
    expect(path).toBe(join(dir, 'ggen.lock'))
    expect(await readLockfile(dir)).toEqual({
      version: 1,
      packs: [entry('alpha', '1.0.0'), entry('zeta', '2.0.0', BOB)],
    })
  })

  it('writes a stable text: header, version, one [[pack]] per package sorted by id, fixed key order', async () => {
    const b = { ...entry('io.ggen.b', '0.2.0', BOB) }
    const a = entry('io.ggen.a', '1.0.0')
    // key order of the input must not matter
    const shuffled = { record: b.record, publisher: b.publisher, cid: b.cid, version: b.version, id: b.id }
    await writeLockfile(dir, { version: 1, packs: [shuffled, a] })
    expect(await readFile(join(dir, 'ggen.lock'), 'utf8')).toBe(
      [
        '# This file is written by ggen-market. Do not edit by hand.',
        'version = 1',
        '',
        '[[pack]]',
        'id = "io.ggen.a"',
        'version = "1.0.0"',
        `cid = "${a.cid}"`,
        `publisher = "${ALICE}"`,
        `record = "${a.record}"`,
        '',
        '[[pack]]',
        'id = "io.ggen.b"',
        'version = "0.2.0"',
        `cid = "${b.cid}"`,
        `publisher = "${BOB}"`,
        `record = "${b.record}"`,
        '',
      ].join('\n'),
    )
  })

  it('writes an empty lock as just the header and version', async () => {
    await writeLockfile(dir, { version: 1, packs: [] })
    const text = await readFile(join(dir, 'ggen.lock'), 'utf8')
    expect(text).toBe('# This file is written by ggen-market. Do not edit by hand.\nversion = 1\n')
    expect(await readLockfile(dir)).toEqual({ version: 1, packs: [] })
  })

  it('is undefined when the project has no lockfile', async () => {
    expect(await readLockfile(dir)).toBeUndefined()
  })

  it('reports malformed TOML with the file, line and column', async () => {
    await writeFile(join(dir, 'ggen.lock'), 'version = 1\n\n[[pack]]\nid = "a\n')
    const err = await failure(readLockfile(dir))
    expect(err.code).toBe('ERR_LOCKFILE_INVALID')
    expect(err.message).toContain(`${join(dir, 'ggen.lock')}: line 4, column`)
    expect(err.message).toContain('invalid TOML')
    expect(err.details).toMatchObject({ file: join(dir, 'ggen.lock'), line: 4 })
  })

  it('names the pack and field of an invalid CID', async () => {
    const good = entry('alpha', '1.0.0')
    await writeLockfile(dir, { version: 1, packs: [good, { ...entry('beta', '1.0.0'), cid: 'bafynotacid' }] })
    const err = await failure(readLockfile(dir))
    expect(err.code).toBe('ERR_LOCKFILE_INVALID')
    expect(err.message).toContain('[[pack]] #2 (beta), field cid: "bafynotacid" is not a CID')
    expect(err.details).toMatchObject({ index: 1, field: 'cid' })
  })

  it('names the pack and field that is missing', async () => {
    const { record: _record, ...noRecord } = entry('alpha', '1.0.0')
    await writeFile(
      join(dir, 'ggen.lock'),
      `version = 1\n\n[[pack]]\n${Object.entries(noRecord)
        .map(([k, v]) => `${k} = "${v}"`)
        .join('\n')}\n`,
    )
    const err = await failure(readLockfile(dir))
    expect(err.message).toContain('[[pack]] #1 (alpha), field record: missing')
  })

  it('refuses a lockfile without a version, of an unknown version, or pinning one id twice', async () => {
    const path = join(dir, 'ggen.lock')
    await writeFile(path, '[[pack]]\nid = "a"\n')
    expect((await failure(readLockfile(dir))).message).toContain('version: missing')
    await writeFile(path, 'version = 2\n')
    expect((await failure(readLockfile(dir))).message).toContain('a newer ggen-market may have written it')
    await writeLockfile(dir, { version: 1, packs: [entry('a', '1.0.0')] })
    await writeFile(
      path,
      (await readFile(path, 'utf8')).replace(/\[\[pack\]\][\s\S]*/, (p) => `${p}\n${p}`),
    )
    expect((await failure(readLockfile(dir))).message).toContain(
      '[[pack]] #2 (a), field id: a is pinned twice',
    )
  })

  it('writes atomically, leaving no temporary file behind, even when the rename fails', async () => {
    await writeLockfile(dir, { version: 1, packs: [entry('a', '1.0.0')] })
    await writeLockfile(dir, { version: 1, packs: [entry('a', '1.1.0')] })
    expect(await readdir(dir)).toEqual(['ggen.lock'])

    const blocked = await mkdtemp(join(tmpdir(), 'ggen-lock-'))
    try {
      // a non-empty directory where the lockfile should go makes the final rename fail
      await mkdir(join(blocked, 'ggen.lock', 'inside'), { recursive: true })
      await expect(writeLockfile(blocked, { version: 1, packs: [] })).rejects.toThrow()
      expect(await readdir(blocked)).toEqual(['ggen.lock'])
    } finally {
      await rm(blocked, { recursive: true, force: true })
    }
  })
})

describe('mergeLock', () => {
  it('replaces what was installed and keeps every other pin', () => {
    const existing: Lockfile = {
      version: 1,
      packs: [entry('a', '1.0.0'), entry('b', '1.0.0'), entry('c', '1.0.0')],
    }
    const installed = [{ ...entry('b', '2.0.0', BOB), dependents: ['x'], locked: false }, entry('d', '0.1.0')]
    expect(mergeLock(existing, installed)).toEqual({
      version: 1,
      packs: [entry('a', '1.0.0'), entry('b', '2.0.0', BOB), entry('c', '1.0.0'), entry('d', '0.1.0')],
    })
  })

  it('starts a new lock when there was none', () => {
    expect(mergeLock(undefined, [entry('b', '1.0.0'), entry('a', '1.0.0')]).packs.map((p) => p.id)).toEqual([
      'a',
      'b',
    ])
  })
})
