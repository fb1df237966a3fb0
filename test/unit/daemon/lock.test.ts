/**
 * The home lock: one holder at a time, a clear refusal naming the holder's PID, and
 * recovery of locks left by processes that are gone (or whose PID was reused).
 */
import { spawnSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acquireHomeLock, processIsRunning, processStartTime } from '../../../daemon/lock.js'

let dir: string
let file: string
const opts = () => ({ home: dir, socket: join(dir, 'daemon.sock') })

/** A PID that existed a moment ago and no longer runs. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  })
  return Number(child.stdout)
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-lock-'))
  file = join(dir, 'daemon.lock')
})
afterEach(async () => rm(dir, { recursive: true, force: true }))

describe('acquireHomeLock', () => {
  it('writes {pid, startedAt, socket} to a 0600 file and removes it on release', async () => {
    const { lock, stale } = await acquireHomeLock(file, opts())
    expect(stale).toBeUndefined()
    const info = JSON.parse(await readFile(file, 'utf8'))
    expect(info).toMatchObject({ pid: process.pid, socket: join(dir, 'daemon.sock') })
    expect(Date.parse(info.startedAt)).toBeGreaterThan(Date.now() - 60_000)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    await lock.release()
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' })
    await lock.release() // idempotent
  })

  it('refuses a second holder while the first runs, naming its PID', async () => {
    const { lock } = await acquireHomeLock(file, opts())
    await expect(acquireHomeLock(file, opts())).rejects.toMatchObject({
      code: 'ERR_DAEMON_RUNNING',
      message: expect.stringContaining(
        `a daemon (pid ${process.pid}) is already running on ${dir}; stop it first`,
      ),
      details: { pid: process.pid },
    })
    expect(JSON.parse(await readFile(file, 'utf8')).startedAt).toBe(lock.info.startedAt)
    await lock.release()
  })

  it('takes over a lock whose process is gone and reports it', async () => {
    const pid = deadPid()
    const left = { pid, startedAt: '2020-01-01T00:00:00.000Z', socket: join(dir, 'daemon.sock') }
    await writeFile(file, JSON.stringify(left))
    const { lock, stale } = await acquireHomeLock(file, opts())
    expect(stale).toEqual({ info: left, reason: `process ${pid} is not running` })
    expect(JSON.parse(await readFile(file, 'utf8')).pid).toBe(process.pid)
    await lock.release()
  })

  it('takes over a lock whose PID now belongs to another process', async () => {
    if (processStartTime(process.pid) === undefined) return expect(process.platform).not.toBe('linux')
    // Our own PID, but recorded with a start time that is not ours: the PID was reused.
    const left = { pid: process.pid, startedAt: '2020-01-01T00:00:00.000Z', socket: 's', processStart: '1' }
    await writeFile(file, JSON.stringify(left))
    const { lock, stale } = await acquireHomeLock(file, opts())
    expect(stale?.info).toEqual(left)
    await lock.release()
  })

  it('takes over an empty or garbled lock file (a daemon killed while writing it)', async () => {
    await writeFile(file, '')
    const { lock, stale } = await acquireHomeLock(file, opts())
    expect(stale).toEqual({ reason: 'the lock file is unreadable' })
    await lock.release()
  })

  it('uses the liveness check it is given', async () => {
    await writeFile(file, JSON.stringify({ pid: deadPid(), startedAt: 'x', socket: 's' }))
    await expect(acquireHomeLock(file, { ...opts(), isRunning: () => true })).rejects.toMatchObject({
      code: 'ERR_DAEMON_RUNNING',
    })
  })

  it('does not remove a lock that another daemon took after ours was released', async () => {
    const { lock } = await acquireHomeLock(file, opts())
    const theirs = JSON.stringify({ pid: 1, startedAt: 'later', socket: 's' })
    await writeFile(file, theirs)
    await lock.release()
    expect(await readFile(file, 'utf8')).toBe(theirs)
  })
})

describe('processIsRunning', () => {
  it('tells a live process from a dead one', () => {
    expect(processIsRunning({ pid: process.pid, startedAt: '', socket: '' })).toBe(true)
    expect(processIsRunning({ pid: deadPid(), startedAt: '', socket: '' })).toBe(false)
  })
})
