/**
 * The real daemon and the real CLI on temporary homes: the offline flow through the
 * daemon gives the same answers as offline mode; many concurrent clients and garbage on
 * the socket do not hurt it; a kill -9 mid-publish loses nothing committed and leaves a
 * home the next start opens; SIGTERM, a second daemon, stale locks and sockets.
 */
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createConnection, type Socket } from 'node:net'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { cli, EXAMPLES, tempDir } from '../helpers/cli.js'
import { cliAsync, killDaemons, rpc, startDaemon, until } from '../helpers/daemon.js'

const PACKS = ['macros-std', 'rust-cli-subcommand', 'rust-cli-app']

let work: Awaited<ReturnType<typeof tempDir>>
beforeAll(async () => {
  work = await tempDir('ggen-daemon-e2e-')
})
afterEach(killDaemons)
afterAll(async () => {
  await killDaemons()
  await work.cleanup()
})

/** A fresh, initialised home. */
async function newHome(name: string): Promise<string> {
  const home = join(work.path, name)
  const init = cli(['--home', home, 'init', '--json'])
  expect(init.status, init.stderr).toBe(0)
  return home
}

const on = (home: string) => ({
  run: (...args: string[]) => cli(['--home', home, ...args]),
  runAsync: (...args: string[]) => cliAsync(['--home', home, ...args]),
})

/** Replaces a project directory in a command's output so that two runs compare equal. */
const normalise = (value: unknown, dir: string): unknown =>
  JSON.parse(JSON.stringify(value).replaceAll(dir, 'DIR'))

describe('the offline flow through the daemon', () => {
  it('gives the same answers as offline mode, and status shows the daemon and its config', async () => {
    const home = await newHome('flow')
    const { run } = on(home)
    const daemon = await startDaemon(home, ['--listen', '/ip4/127.0.0.1/tcp/0'], { GGEN_MARKET_MDNS: '0' })

    const status = run('status', '--json')
    expect(status.status, status.stderr).toBe(0)
    expect(status.json()).toMatchObject({
      mode: 'daemon',
      records: 0,
      pendingAnnouncements: 0,
      config: {
        listen: { value: ['/ip4/127.0.0.1/tcp/0'], source: 'flag' },
        mdns: { value: false, source: 'env' },
        network: { value: 'ggen', source: 'file' },
        log_level: { value: 'info', source: 'default' },
      },
    })

    for (const pack of PACKS) {
      const res = run('publish', join(EXAMPLES, pack), '--json')
      expect(res.status, res.stderr).toBe(0)
      expect(res.json()).toMatchObject({ cid: expect.stringMatching(/^bafy/), warnings: [] })
    }
    const viaDaemon = {
      status: run('status', '--json').json(),
      search: run('search', 'subcomand', '--json').json(),
      prefix: run('search', 'rust', '--limit', '5', '--json').json(),
      info: run('info', 'io.ggen.rust.cli-app', '--json').json(),
      install: run('install', 'io.ggen.rust.cli-app', '--dir', join(work.path, 'p1'), '--json'),
      verify: run('verify', '--dir', join(work.path, 'p1'), '--json'),
    }
    expect(viaDaemon.status).toMatchObject({
      mode: 'daemon',
      packages: 3,
      records: 3,
      pendingAnnouncements: 3,
    })
    expect(viaDaemon.search.results[0].id).toBe('io.ggen.rust.cli-subcommand')
    expect(viaDaemon.info).toMatchObject({ id: 'io.ggen.rust.cli-app', latest: '0.2.0' })
    expect(viaDaemon.install.status, viaDaemon.install.stderr).toBe(0)
    expect(viaDaemon.install.json().installed).toHaveLength(3)
    expect(viaDaemon.verify.status).toBe(0)
    expect(viaDaemon.verify.json()).toMatchObject({ ok: true, packages: 3, mismatches: [] })

    const stopped = await daemon.stop('SIGTERM')
    expect(stopped.code).toBe(0)

    const offline = {
      status: run('status', '--json').json(),
      search: run('search', 'subcomand', '--json').json(),
      prefix: run('search', 'rust', '--limit', '5', '--json').json(),
      info: run('info', 'io.ggen.rust.cli-app', '--json').json(),
      install: run('install', 'io.ggen.rust.cli-app', '--dir', join(work.path, 'p2'), '--json'),
      verify: run('verify', '--dir', join(work.path, 'p2'), '--json'),
    }
    expect(offline.status.mode).toBe('offline')
    // Only a running daemon listens: offline mode has no addresses.
    expect(viaDaemon.status.addresses).toEqual([
      expect.stringMatching(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\//),
    ])
    expect(offline.status.addresses).toEqual([])
    const {
      mode: _m,
      config: _c,
      pendingAnnouncements: _p,
      addresses: _a,
      ...daemonStatus
    } = viaDaemon.status
    const { mode: _o, addresses: _b, ...offlineStatus } = offline.status
    expect(offlineStatus).toEqual(daemonStatus)
    expect(offline.search).toEqual(viaDaemon.search)
    expect(offline.prefix).toEqual(viaDaemon.prefix)
    expect(offline.info).toEqual(viaDaemon.info)
    expect(normalise(offline.install.json(), join(work.path, 'p2'))).toEqual(
      normalise(viaDaemon.install.json(), join(work.path, 'p1')),
    )
    expect(await readFile(join(work.path, 'p2', 'ggen.lock'), 'utf8')).toBe(
      await readFile(join(work.path, 'p1', 'ggen.lock'), 'utf8'),
    )
    expect(normalise(offline.verify.json(), join(work.path, 'p2'))).toEqual(
      normalise(viaDaemon.verify.json(), join(work.path, 'p1')),
    )
  })
})

describe('a daemon under load and abuse', () => {
  let home: string
  let expected: { search: unknown; info: unknown }

  beforeAll(async () => {
    home = await newHome('load')
    for (const pack of PACKS) expect(on(home).run('publish', join(EXAMPLES, pack)).status).toBe(0)
    expected = {
      search: on(home).run('search', 'rust', '--json').json(),
      info: on(home).run('info', 'io.ggen.macros.std', '--json').json(),
    }
  })

  it('answers 100 concurrent CLI calls correctly', async () => {
    const daemon = await startDaemon(home)
    const { runAsync } = on(home)
    const calls = Array.from({ length: 100 }, (_, i) => i)
    for (let batch = 0; batch < calls.length; batch += 25) {
      const runs = await Promise.all(
        calls.slice(batch, batch + 25).map(async (i) => {
          const kind = ['search', 'info', 'status'][i % 3] as 'search' | 'info' | 'status'
          const args = {
            search: ['search', 'rust'],
            info: ['info', 'io.ggen.macros.std'],
            status: ['status'],
          }[kind]
          return { kind, res: await runAsync(...args, '--json') }
        }),
      )
      for (const { kind, res } of runs) {
        expect(res.status, res.stderr).toBe(0)
        if (kind === 'status') expect(res.json()).toMatchObject({ mode: 'daemon', records: 3 })
        else expect(res.json()).toEqual(expected[kind])
      }
    }
    expect(daemon.proc.exitCode).toBeNull()
  })

  it('survives garbage on the socket and still serves status', async () => {
    const daemon = await startDaemon(home)
    const socket = daemon.stderr().match(/listening on (.*) \(pid/)![1]!

    // Random bytes, with and without newlines.
    const random = await exchange(socket, [randomBytes(64 * 1024), Buffer.from('\n')])
    expect(random.some((m) => m.error?.code === -32700)).toBe(true)

    // A 10 MiB line: refused as too large, the daemon does not buffer it.
    const big = Buffer.alloc(10 * 1024 * 1024, 'a')
    const tooLarge = await exchange(socket, [
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"status","params":"'),
      big,
      Buffer.from('"}\n'),
    ])
    expect(tooLarge.some((m) => m.error?.code === -32001)).toBe(true)

    // Well-formed JSON that is not valid JSON-RPC, an unknown method, bad params.
    const invalid = await exchange(socket, [
      Buffer.from(
        [
          '{"jsonrpc":"1.0","id":2,"method":"status"}',
          '[1,2,3]',
          '{"jsonrpc":"2.0","id":3,"method":"rm -rf","params":{}}',
          '{"jsonrpc":"2.0","id":4,"method":"search","params":{"query":42}}',
          '{"jsonrpc":"2.0","id":5,"method":"status","params":{}}',
          '',
        ].join('\n'),
      ),
    ])
    const byId = new Map(invalid.map((m) => [m.id, m]))
    expect(byId.get(2)?.error?.code).toBe(-32600)
    expect(byId.get(3)?.error?.code).toBe(-32601)
    expect(byId.get(4)?.error?.code).toBe(-32602)
    expect(byId.get(5)?.result?.mode).toBe('daemon')

    // Clients that vanish: mid-line, and mid-request (a publish whose caller hangs up).
    await hangUp(socket, '{"jsonrpc":"2.0","id":6,"method":"sta')
    await hangUp(
      socket,
      `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'install', params: { specs: ['io.ggen.rust.cli-app'], dir: join(work.path, 'gone') } })}\n`,
    )

    expect(await rpc(socket, 'status')).toMatchObject({ mode: 'daemon', records: 3 })
    const status = on(home).run('status', '--json')
    expect(status.status, status.stderr).toBe(0)
    expect(status.json()).toMatchObject({ mode: 'daemon' })
    expect(daemon.proc.exitCode).toBeNull()
  })
})

describe('kill -9 during a large publish', () => {
  it('keeps the database intact and the publish all-or-nothing; a retry succeeds', async () => {
    const home = await newHome('crash')
    const pkg = await bigPackage(join(work.path, 'big'), 2000, 20 * 1024)
    const daemon = await startDaemon(home)
    const blocksDir = join(home, 'content', 'blocks')
    const before = await countFiles(blocksDir)

    const publish = cliAsync(['--home', home, 'publish', pkg, '--json'])
    let finished = false
    void publish.then(() => {
      finished = true
    })
    const started = Date.now()
    await until(
      async () => finished || (await countFiles(blocksDir)) > before + 20 || Date.now() - started > 5000,
      'blocks to be written',
    )
    expect(finished, 'the publish finished before the daemon could be killed').toBe(false)
    daemon.proc.kill('SIGKILL')
    expect((await daemon.exited).signal).toBe('SIGKILL')
    const interrupted = await publish
    expect(interrupted.status).not.toBe(0)

    // The stale lock and socket are still there; the next start recovers them.
    expect(existsSync(join(home, 'daemon.lock'))).toBe(true)
    const again = await startDaemon(home)
    const db = new Database(join(home, 'market.db'), { readonly: true })
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }

    const { run } = on(home)
    const info = run('info', 'io.example.big', '--json')
    if (info.status === 0) {
      // Committed just before the kill: wholly there, installable, and immutable.
      expect(info.json().versions).toHaveLength(1)
      const install = run('install', 'io.example.big', '--dir', join(work.path, 'big-project'), '--json')
      expect(install.status, install.stderr).toBe(0)
      expect(run('publish', pkg, '--json').json().error.code).toBe('ERR_VERSION_EXISTS')
    } else {
      expect(info.json().error.code).toBe('ERR_NOT_FOUND')
      expect(run('status', '--json').json()).toMatchObject({ mode: 'daemon', records: 0 })
      const retry = run('publish', pkg, '--json')
      expect(retry.status, retry.stderr).toBe(0)
      const install = run('install', 'io.example.big', '--dir', join(work.path, 'big-project'), '--json')
      expect(install.status, install.stderr).toBe(0)
      expect(run('verify', '--dir', join(work.path, 'big-project'), '--json').json().ok).toBe(true)
    }
    expect((await again.stop()).code).toBe(0)
  })
})

describe('daemon lifecycle', () => {
  it('SIGTERM exits 0 and leaves no socket and no lock; the socket was 0600', async () => {
    const home = await newHome('term')
    const daemon = await startDaemon(home)
    const socket = daemon.stderr().match(/listening on (.*) \(pid (\d+)\)/)!
    expect(Number(socket[2])).toBe(daemon.pid)
    expect((await stat(socket[1]!)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(join(home, 'daemon.lock'), 'utf8'))).toMatchObject({
      pid: daemon.pid,
      socket: socket[1],
    })
    const exit = await daemon.stop('SIGTERM')
    expect(exit).toEqual({ code: 0, signal: null })
    expect(existsSync(socket[1]!)).toBe(false)
    expect(existsSync(join(home, 'daemon.lock'))).toBe(false)
    const log = await readFile(join(home, 'logs', 'daemon.log'), 'utf8')
    expect(log).toContain('"msg":"daemon stopped"')
  })

  it('refuses a second daemon on the same home, naming the running one', async () => {
    const home = await newHome('twice')
    const first = await startDaemon(home)
    const second = cli(['--home', home, 'daemon'])
    expect(second.status).toBe(1)
    expect(second.stderr).toContain(
      `a daemon (pid ${first.pid}) is already running on ${home}; stop it first`,
    )
    expect(on(home).run('status', '--json').json()).toMatchObject({ mode: 'daemon' })
  })

  it('recovers the stale lock and socket of a daemon killed with -9', async () => {
    const home = await newHome('stale')
    const killed = await startDaemon(home)
    const socket = killed.stderr().match(/listening on (.*) \(pid/)![1]!
    killed.proc.kill('SIGKILL')
    await killed.exited
    expect(existsSync(join(home, 'daemon.lock'))).toBe(true)
    expect(existsSync(socket)).toBe(true)
    // Offline mode works meanwhile: nobody answers on the stale socket.
    expect(on(home).run('status', '--json').json()).toMatchObject({ mode: 'offline' })

    const next = await startDaemon(home)
    expect(JSON.parse(await readFile(join(home, 'daemon.lock'), 'utf8')).pid).toBe(next.pid)
    expect(on(home).run('status', '--json').json()).toMatchObject({ mode: 'daemon' })
    const log = await readFile(join(home, 'logs', 'daemon.log'), 'utf8')
    expect(log).toContain('recovered a stale lock')
    expect(log).toContain(`"pid":${killed.pid}`)
  })

  it('exits at once on a second signal while a publish is in flight', async () => {
    const home = await newHome('force')
    const pkg = await bigPackage(join(work.path, 'big-force'), 1000, 20 * 1024)
    const daemon = await startDaemon(home)
    const blocksDir = join(home, 'content', 'blocks')
    const before = await countFiles(blocksDir)
    const publish = cliAsync(['--home', home, 'publish', pkg, '--json'])
    await until(async () => (await countFiles(blocksDir)) > before + 20, 'blocks to be written')
    daemon.proc.kill('SIGTERM')
    await until(() => daemon.stderr().length > 0 && existsSync(join(home, 'logs', 'daemon.log')), 'the log')
    await until(
      async () => (await readFile(join(home, 'logs', 'daemon.log'), 'utf8')).includes('shutting down'),
      'the first signal to be seen',
    )
    daemon.proc.kill('SIGTERM')
    expect(await daemon.exited).toEqual({ code: 143, signal: null })
    expect(daemon.stderr()).toContain('SIGTERM again, exiting now')
    await publish
  })

  it('exits 1 with a clear message when the home was never initialised', () => {
    const res = cli(['--home', join(work.path, 'never'), 'daemon'])
    expect(res.status).toBe(1)
    expect(res.stderr).toContain('ggen-market init')
  })

  it('rejects a bad flag as a usage error naming it', async () => {
    const home = await newHome('badflag')
    const res = cli(['--home', home, 'daemon', '--listen', 'localhost:4001'])
    expect(res.status).toBe(2)
    expect(res.stderr).toContain('--listen')
    expect(existsSync(join(home, 'daemon.lock'))).toBe(false)
  })
})

/** Writes a package of `files` files of `size` random bytes each. */
async function bigPackage(dir: string, files: number, size: number): Promise<string> {
  await mkdir(join(dir, 'templates'), { recursive: true })
  await writeFile(
    join(dir, 'gpack.toml'),
    '[gpack]\nid = "io.example.big"\nname = "Big"\nversion = "1.0.0"\ndescription = "A large package"\nlicense = "MIT"\n',
  )
  await writeFile(join(dir, 'README.md'), '# Big\n')
  for (let i = 0; i < files; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, files - i) }, (_, j) =>
        writeFile(join(dir, 'templates', `t${i + j}.tmpl`), randomBytes(size)),
      ),
    )
  }
  return dir
}

async function countFiles(dir: string): Promise<number> {
  try {
    return (await readdir(dir, { recursive: true })).length
  } catch {
    return 0
  }
}

// biome-ignore lint/suspicious/noExplicitAny: raw JSON-RPC messages from the daemon
type Message = { id?: unknown; result?: any; error?: { code: number; message: string } }

/** Writes `chunks` to a fresh connection and collects the answers until the daemon goes quiet or closes. */
function exchange(socketPath: string, chunks: Buffer[], quietMs = 1500): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const socket: Socket = createConnection(socketPath)
    const messages: Message[] = []
    let buffer = ''
    let timer: NodeJS.Timeout | undefined
    const done = () => {
      clearTimeout(timer)
      socket.destroy()
      resolve(messages)
    }
    const idle = () => {
      clearTimeout(timer)
      timer = setTimeout(done, quietMs)
    }
    socket.setEncoding('utf8')
    socket.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? done() : reject(err),
    )
    socket.on('close', done)
    socket.on('data', (d: string) => {
      buffer += d
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        messages.push(JSON.parse(buffer.slice(0, nl)) as Message)
        buffer = buffer.slice(nl + 1)
      }
      idle()
    })
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r))
      }
      idle()
    })
  })
}

/** Connects, writes `text` and disconnects at once. */
function hangUp(socketPath: string, text: string): Promise<void> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath, () => {
      socket.write(text, () => {
        socket.destroy()
        resolve()
      })
    })
    socket.on('error', () => resolve())
  })
}
