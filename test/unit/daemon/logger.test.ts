/**
 * The daemon log: JSON lines appended to HOME/logs/daemon.log at the configured level,
 * readable lines on a terminal, everything written by the time `close()` resolves.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createDaemonLogger, formatLine } from '../../../daemon/logger.js'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ggen-log-'))
})
afterEach(async () => rm(dir, { recursive: true, force: true }))

function capture(isTTY: boolean) {
  const chunks: string[] = []
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, cb) {
        chunks.push(String(chunk))
        cb()
      },
    }),
    { isTTY },
  )
  return { stream, text: () => chunks.join('') }
}

const readLog = async (file: string) =>
  (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))

describe('createDaemonLogger', () => {
  it('appends JSON lines at the level and above, all flushed by close()', async () => {
    const logsDir = join(dir, 'logs')
    const first = createDaemonLogger({ logsDir, level: 'info', stderr: capture(false).stream })
    first.log.debug('hidden')
    first.log.info({ socket: '/x.sock' }, 'ready')
    for (let i = 0; i < 1000; i++) first.log.warn({ i }, 'many')
    await first.close()
    const second = createDaemonLogger({ logsDir, level: 'warn', stderr: capture(false).stream })
    second.log.info('hidden too')
    second.log.error('appended')
    await second.close()

    const lines = await readLog(first.file)
    expect(lines).toHaveLength(1002)
    expect(lines[0]).toMatchObject({ level: 30, msg: 'ready', socket: '/x.sock', pid: process.pid })
    expect(lines[1000]).toMatchObject({ msg: 'many', i: 999 })
    expect(lines[1001]).toMatchObject({ level: 50, msg: 'appended' })
    expect(typeof lines[0].time).toBe('string')
  })

  it('writes readable lines to a terminal and nothing to a pipe', async () => {
    const tty = capture(true)
    const onTty = createDaemonLogger({ logsDir: dir, level: 'info', stderr: tty.stream })
    onTty.log.warn({ record: 'bafy1', err: new Error('down') }, 'announcement failed')
    await onTty.close()
    expect(tty.text()).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}announcement failed record=bafy1 err="down"\n$/,
    )

    const pipe = capture(false)
    const onPipe = createDaemonLogger({ logsDir: dir, level: 'info', stderr: pipe.stream })
    onPipe.log.warn('quiet')
    await onPipe.close()
    expect(pipe.text()).toBe('')
  })

  it('logs nothing at level silent', async () => {
    const logger = createDaemonLogger({ logsDir: dir, level: 'silent', stderr: capture(true).stream })
    logger.log.fatal('nothing')
    await logger.close()
    expect(await readFile(logger.file, 'utf8')).toBe('')
  })
})

describe('formatLine', () => {
  it('quotes values with spaces and passes non-JSON through', () => {
    const line = formatLine(JSON.stringify({ level: 30, time: 0, msg: 'hi', home: '/a b', n: 3 }))
    expect(line).toMatch(/INFO {2}hi home="\/a b" n=3\n$/)
    expect(formatLine('plain')).toBe('plain\n')
  })
})
