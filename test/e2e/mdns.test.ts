/**
 * LAN discovery (SPEC 7): two daemons with no bootstrap peers and no configuration find each
 * other by mDNS, a release published on one is found and installed on the other. The LAN is
 * a network namespace the test creates (`unshare -n` as root, `unshare -rn` otherwise) whose
 * loopback carries multicast; the daemons run inside it. The CLI runs outside and reaches
 * them through their Unix sockets, which are files, not network addresses.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StatusResult } from '../../src/node/api.js'
import { CLI, cli, EXAMPLES, tempDir } from '../helpers/cli.js'
import { until } from '../helpers/daemon.js'

const unshare = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n']

/** Brings up multicast on the namespace's loopback, then runs both daemons until killed. */
const LAN = `
ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo || exit 97
"$NODE" "$CLI" daemon --home "$A" 2>"$A.log" &
"$NODE" "$CLI" daemon --home "$B" 2>"$B.log" &
wait
`

let work: Awaited<ReturnType<typeof tempDir>>
let lan: ChildProcess
let lanExit: Promise<number | null>
const home = (name: string) => join(work.path, name)
const run = (name: string, ...args: string[]) => cli(['--home', home(name), ...args])

beforeAll(async () => {
  const probe = spawnSync('unshare', [...unshare, 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    throw new Error(
      `this test needs a network namespace of its own (\`unshare ${unshare.join(' ')}\` and iproute2): ${probe.error?.message ?? probe.stderr}`,
    )
  }
  work = await tempDir('ggen-mdns-')
  for (const name of ['a', 'b']) expect(run(name, 'init', '--json').status).toBe(0)
  lan = spawn('unshare', [...unshare, 'sh', '-c', LAN], {
    detached: true,
    stdio: 'ignore',
    env: {
      ...process.env,
      NODE: process.execPath,
      CLI,
      A: home('a'),
      B: home('b'),
      NO_COLOR: '1',
      GGEN_MARKET_HOME: undefined,
      GGEN_MARKET_KEY: undefined,
      GGEN_MARKET_LISTEN: '/ip4/127.0.0.1/tcp/0',
      GGEN_MARKET_BOOTSTRAP: undefined,
      GGEN_MARKET_MDNS: '1',
      GGEN_MARKET_PSK: undefined,
    },
  })
  lanExit = new Promise((resolve) => lan.once('exit', (code) => resolve(code)))
})

afterAll(async () => {
  if (lan?.pid !== undefined && lan.exitCode === null) {
    process.kill(-lan.pid, 'SIGTERM')
    const stopped = await Promise.race([lanExit, new Promise((r) => setTimeout(() => r('late'), 15_000))])
    if (stopped === 'late') process.kill(-lan.pid, 'SIGKILL')
  }
  await work?.cleanup()
})

describe('mDNS on a LAN', () => {
  it('two daemons with no bootstrap peers find each other, share a release and its content', async () => {
    const ready = async (name: string) =>
      until(
        () => {
          const status = run(name, 'status', '--json')
          return (
            status.status === 0 &&
            status.json<StatusResult>().mode === 'daemon' &&
            status.json<StatusResult>()
          )
        },
        `daemon ${name} to answer (log: ${home(name)}.log)`,
        60_000,
      )
    const [a, b] = [await ready('a'), await ready('b')]
    for (const status of [a, b]) {
      expect(status.config?.bootstrap?.value).toEqual([])
      expect(status.config?.mdns).toEqual({ value: true, source: 'env' })
    }

    const peersOf = (name: string) => run(name, 'peers', '--json').json<{ peerId: string }[]>()
    await until(() => peersOf('a').some((p) => p.peerId === b.peerId), 'A to find B by mDNS', 60_000)
    await until(() => peersOf('b').some((p) => p.peerId === a.peerId), 'B to find A by mDNS', 60_000)

    const published = run('a', 'publish', join(EXAMPLES, 'macros-std'), '--json')
    expect(published.status, published.stderr).toBe(0)
    await until(
      () => run('b', 'info', 'io.ggen.macros.std', '--json').status === 0,
      'the release to reach B',
      30_000,
    )
    const project = join(work.path, 'project')
    const installed = run('b', 'install', 'io.ggen.macros.std', '--dir', project, '--json')
    expect(installed.status, installed.stderr).toBe(0)
    const [pack] = installed.json<{ installed: { id: string; path: string }[] }>().installed
    expect(pack?.id).toBe('io.ggen.macros.std')
    for (const file of ['gpack.toml', join('macros', 'header.tera'), join('macros', 'case.tera')]) {
      expect(await readFile(join(pack!.path, file), 'utf8')).toBe(
        await readFile(join(EXAMPLES, 'macros-std', file), 'utf8'),
      )
    }
  }, 180_000)
})
