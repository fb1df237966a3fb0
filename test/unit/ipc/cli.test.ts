/**
 * The built CLI against a served home: it finds the daemon on the home's socket, the
 * network commands need it (exit 3 without), `watch --json` streams one JSON object per
 * line until SIGINT, and paths reach the daemon absolute.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { initHome } from '../../../src/node/init.js'
import { CLI, cli, tempDir } from '../../helpers/cli.js'
import { cliAsync } from '../../helpers/daemon.js'
import { delay, type Rig, startRig, writePackage } from './helpers.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function served(): Promise<Rig> {
  const rig = await startRig({}, { atHome: true })
  cleanups.push(() => rig.cleanup())
  return rig
}

describe('the CLI and the daemon socket', () => {
  it('network commands exit 3 and say how to start the daemon when none runs', async () => {
    const tmp = await tempDir()
    cleanups.push(tmp.cleanup)
    const home = join(tmp.path, 'home')
    await initHome(home)
    for (const args of [['peers'], ['connect', '/ip4/127.0.0.1/tcp/4001'], ['watch', '--json']]) {
      const res = cli(['--home', home, ...args])
      expect(res.status, args.join(' ')).toBe(3)
      expect(res.stderr).toContain(`no daemon is running on ${home}; start it with \`ggen-market daemon\``)
    }
  })

  it('uses the daemon when one answers: status, peers, and publish with a relative path', async () => {
    const rig = await served()
    // async runs: the served node lives in this process, whose event loop must keep going
    const status = await cliAsync(['--home', rig.home, 'status', '--json'])
    expect(status.status, status.stderr).toBe(0)
    expect(status.json()).toMatchObject({ mode: 'daemon', home: rig.home })

    const peers = await cliAsync(['--home', rig.home, 'peers', '--json'])
    expect(peers.status, peers.stderr).toBe(0)
    expect(peers.json()).toEqual([])

    await writePackage(join(rig.dir, 'work', 'pkg'), 'io.test.cli.rel', '1.0.0')
    const published = await cliAsync(['--home', rig.home, 'publish', 'pkg', '--json'], {
      cwd: join(rig.dir, 'work'),
    })
    expect(published.status, published.stderr).toBe(0)
    expect(published.json()).toMatchObject({ id: 'io.test.cli.rel', version: '1.0.0' })
    expect(published.stderr).toBe('') // no progress bar when stderr is not a terminal
    expect((await rig.node.status()).records).toBe(1)
  })

  it('watch --json prints one JSON object per line and exits 0 on SIGINT', async () => {
    const rig = await served()
    const child = spawn(process.execPath, [CLI, '--home', rig.home, 'watch', '--json'], {
      env: { ...process.env, NO_COLOR: '1' },
    })
    let stdout = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    for (let i = 0; i < 200 && rig.node.events.listenerCount('event') === 0; i++) await delay(25)
    expect(rig.node.events.listenerCount('event')).toBe(1)

    const client = await rig.client()
    const ids = ['io.test.cli.w1', 'io.test.cli.w2']
    for (const id of ids) await client.publish(await writePackage(join(rig.dir, id), id, '0.1.0'))
    for (let i = 0; i < 200 && stdout.split('\n').length < 3; i++) await delay(25)
    child.kill('SIGINT')
    expect(await exited).toBe(0)

    const lines = stdout.trim().split('\n')
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      ids.map((id) => expect.objectContaining({ type: 'record', kind: 'release', id, version: '0.1.0' })),
    )
    for (let i = 0; i < 100 && rig.node.events.listenerCount('event') > 0; i++) await delay(10)
    expect(rig.node.events.listenerCount('event')).toBe(0)
  })
})
