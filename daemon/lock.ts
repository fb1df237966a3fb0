/**
 * One daemon per home (SPEC 5): `HOME/daemon.lock`, created with O_EXCL, names the daemon
 * that holds the home. A lock whose process is gone (killed with -9, a crash, a reboot) is
 * stale: the next start recognises it, says so, and takes the home over. The lock is taken
 * before the socket is touched, so a running daemon's socket is never removed by another.
 */
import { readFileSync } from 'node:fs'
import { open, readFile, unlink } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { GgenError } from '../src/domain/errors.js'

/** What the lock file says about the daemon holding the home. */
export interface LockInfo {
  pid: number
  /** When that daemon started, ISO 8601. */
  startedAt: string
  /** The socket it serves. */
  socket: string
  /** The process's start time in clock ticks since boot (Linux), to tell a reused PID apart. */
  processStart?: string
}

/** Another daemon holds the home. */
export class DaemonRunningError extends GgenError {
  constructor(home: string, info: LockInfo) {
    super(
      'ERR_DAEMON_RUNNING',
      `a daemon (pid ${info.pid}) is already running on ${home}; stop it first (kill ${info.pid}, or \`systemctl --user stop ggen-market\`)`,
      { home, pid: info.pid, startedAt: info.startedAt, socket: info.socket },
    )
  }
}

/** A lock found but left by a process that no longer runs. */
export interface StaleLock {
  /** What the stale file said, when it could be read. */
  info?: LockInfo
  /** Why it was judged stale. */
  reason: string
}

/** Whether the process a lock names still runs; a test can replace it. */
export type LivenessCheck = (info: LockInfo) => boolean

/** The held lock of a home. */
export class HomeLock {
  #released = false

  constructor(
    readonly file: string,
    readonly info: LockInfo,
  ) {}

  /** Removes the lock file if it is still ours; idempotent. */
  async release(): Promise<void> {
    if (this.#released) return
    this.#released = true
    const current = parseLock(await readFile(this.file, 'utf8').catch(() => ''))
    if (current?.pid !== this.info.pid || current.startedAt !== this.info.startedAt) return
    await unlink(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}

/** Options of `acquireHomeLock`. */
export interface AcquireOptions {
  /** The home, for messages. */
  home: string
  /** The socket the daemon will serve, recorded in the lock. */
  socket: string
  /** @default processIsRunning */
  isRunning?: LivenessCheck
}

/** The lock and, when one was taken over, the stale lock it replaced. */
export interface AcquiredLock {
  lock: HomeLock
  stale?: StaleLock
}

/**
 * Takes the home's lock. Throws `DaemonRunningError` when a live daemon holds it; takes a
 * stale lock over and reports it.
 */
export async function acquireHomeLock(file: string, options: AcquireOptions): Promise<AcquiredLock> {
  const isRunning = options.isRunning ?? processIsRunning
  const info: LockInfo = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    socket: options.socket,
    ...optional('processStart', processStartTime(process.pid)),
  }
  let stale: StaleLock | undefined
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await tryCreate(file, info)) return { lock: new HomeLock(file, info), ...(stale ? { stale } : {}) }
    const { text, holder } = await readHolder(file)
    if (text === undefined) continue // removed meanwhile: try again
    if (holder !== undefined && isRunning(holder)) throw new DaemonRunningError(options.home, holder)
    stale = holder
      ? { info: holder, reason: `process ${holder.pid} is not running` }
      : { reason: 'the lock file is unreadable' }
    // Remove only the file we judged: another starting daemon may have replaced it since.
    if ((await readFile(file, 'utf8').catch(() => undefined)) === text) {
      await unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err
      })
    }
  }
  throw new GgenError(
    'ERR_LOCK_CONTENDED',
    `could not take ${file}: other daemons keep starting on this home; start one at a time`,
    { file },
  )
}

/** Creates the lock file with O_EXCL and its contents; false when it exists. */
async function tryCreate(file: string, info: LockInfo): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(file, 'wx', 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw err
  }
  try {
    await handle.writeFile(`${JSON.stringify(info)}\n`)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(file).catch(() => {})
    throw err
  }
  await handle.close()
  return true
}

/**
 * Reads the lock; a file that stays empty or garbled is a daemon killed between creating
 * and writing it, but a daemon writing it right now gets a moment to finish.
 */
async function readHolder(file: string): Promise<{ text?: string; holder?: LockInfo }> {
  for (let i = 0; ; i++) {
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw err
    }
    const holder = parseLock(text)
    if (holder !== undefined || i >= 10) return { text, ...(holder ? { holder } : {}) }
    await sleep(50)
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>
    if (!Number.isSafeInteger(value.pid) || (value.pid as number) <= 0) return undefined
    return {
      pid: value.pid as number,
      startedAt: String(value.startedAt ?? ''),
      socket: String(value.socket ?? ''),
      ...optional('processStart', typeof value.processStart === 'string' ? value.processStart : undefined),
    }
  } catch {
    return undefined
  }
}

/**
 * Whether the lock's process runs: signal 0 tells whether the PID exists (EPERM: it does,
 * under another user); where /proc exists, a different start time means the PID was reused.
 */
export function processIsRunning(info: LockInfo): boolean {
  try {
    process.kill(info.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  if (info.processStart === undefined) return true
  const now = processStartTime(info.pid)
  return now === undefined || now === info.processStart
}

/** Field 22 of /proc/PID/stat (start time since boot), or undefined off Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses; fields after it do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return fields[19]
  } catch {
    return undefined
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}
