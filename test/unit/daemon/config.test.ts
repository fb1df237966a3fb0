/**
 * Config layering: config.toml < environment < daemon flags, with the layer of every
 * setting, and errors that name the file key, variable or flag at fault.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  defaultConfigText,
  describeConfig,
  effectiveConfig,
  loadConfig,
  readConfig,
} from '../../../src/node/config.js'

describe('effectiveConfig', () => {
  it('uses the defaults when there is no file, env or flag', () => {
    const { config, sources, unknownKeys } = effectiveConfig(undefined)
    expect(config).toEqual({
      network: 'ggen',
      max_package_bytes: 64 * 1024 * 1024,
      listen: ['/ip4/0.0.0.0/tcp/0'],
      bootstrap: [],
      mdns: true,
      log_level: 'info',
      seed: 'none',
      storage_quota_bytes: 10 * 1024 ** 3,
      ipc: {
        max_request_bytes: 1024 * 1024,
        max_concurrent_requests: 32,
        max_connections: 256,
        request_timeout_ms: 30_000,
        long_request_timeout_ms: 600_000,
      },
      net: {
        max_connections: 100,
        max_inbound_streams: 4,
        max_message_bytes: 65_536,
        messages_per_second: 50,
        message_burst: 500,
        sync_records_per_response: 500,
        sync_bytes_per_response: 4 * 1024 * 1024,
        sync_timeout_ms: 30_000,
        sync_requests_per_minute: 120,
        sync_interval_ms: 60_000,
        fetch_timeout_ms: 30_000,
      },
    })
    expect(new Set(Object.values(sources))).toEqual(new Set(['default']))
    expect(Object.keys(sources)).toContain('ipc.max_request_bytes')
    expect(Object.keys(sources)).toContain('net.max_connections')
    expect(unknownKeys).toEqual([])
  })

  it('lets env override the file and flags override env, and says where each value came from', () => {
    const file = {
      network: 'file-net',
      listen: ['/ip4/127.0.0.1/tcp/4001'],
      mdns: false,
      ipc: { max_concurrent_requests: 4 },
      net: { max_connections: 12 },
    }
    const env = {
      GGEN_MARKET_NETWORK: 'env-net',
      GGEN_MARKET_LISTEN: '/ip4/127.0.0.1/tcp/5001, /ip6/::1/tcp/5001',
      GGEN_MARKET_MDNS: '1',
      GGEN_MARKET_LOG_LEVEL: 'debug',
    }
    const { config, sources } = effectiveConfig(file, env, {
      network: 'flag-net',
      bootstrap: ['/dns4/a.example/tcp/1'],
    })
    expect(config.network).toBe('flag-net')
    expect(config.listen).toEqual(['/ip4/127.0.0.1/tcp/5001', '/ip6/::1/tcp/5001'])
    expect(config.mdns).toBe(true)
    expect(config.log_level).toBe('debug')
    expect(config.bootstrap).toEqual(['/dns4/a.example/tcp/1'])
    expect(config.ipc.max_concurrent_requests).toBe(4)
    expect(config.net.max_connections).toBe(12)
    expect(sources).toMatchObject({
      network: 'flag',
      listen: 'env',
      mdns: 'env',
      log_level: 'env',
      bootstrap: 'flag',
      'ipc.max_concurrent_requests': 'file',
      'ipc.max_request_bytes': 'default',
      'net.max_connections': 'file',
      'net.sync_interval_ms': 'default',
      seed: 'default',
    })
  })

  it('reads GGEN_MARKET_MDNS=0 and --no-mdns as off', () => {
    expect(effectiveConfig(undefined, { GGEN_MARKET_MDNS: '0' }).config.mdns).toBe(false)
    const flagged = effectiveConfig({ mdns: true }, { GGEN_MARKET_MDNS: '1' }, { mdns: false })
    expect(flagged.config.mdns).toBe(false)
    expect(flagged.sources.mdns).toBe('flag')
  })

  it('ignores empty environment variables and empty repeatable flags', () => {
    const { config, sources } = effectiveConfig(
      { listen: ['/ip4/10.0.0.1/tcp/1'] },
      { GGEN_MARKET_LISTEN: ' ' },
      { listen: [] },
    )
    expect(config.listen).toEqual(['/ip4/10.0.0.1/tcp/1'])
    expect(sources.listen).toBe('file')
  })

  it('names the variable of a bad environment value', () => {
    expect(() => effectiveConfig(undefined, { GGEN_MARKET_MDNS: 'maybe' })).toThrow(
      expect.objectContaining({
        code: 'ERR_CONFIG_INVALID',
        message: expect.stringContaining('GGEN_MARKET_MDNS'),
      }),
    )
    expect(() => effectiveConfig(undefined, { GGEN_MARKET_LISTEN: 'localhost:4001' })).toThrow(
      /GGEN_MARKET_LISTEN.*multiaddr/,
    )
    expect(() => effectiveConfig(undefined, { GGEN_MARKET_NETWORK: 'Bad Name' })).toThrow(
      /GGEN_MARKET_NETWORK/,
    )
  })

  it('makes a bad flag a usage error naming the flag', () => {
    expect(() => effectiveConfig(undefined, {}, { listen: ['tcp://0.0.0.0:1'] })).toThrow(
      expect.objectContaining({ code: 'ERR_USAGE', message: expect.stringContaining('--listen') }),
    )
    expect(() => effectiveConfig(undefined, {}, { logLevel: 'loud' })).toThrow(/--log-level/)
  })

  it('lists every bad file setting with its dotted name', () => {
    const bad = { seed: 'some', ipc: { max_request_bytes: 10 }, listen: 'x' }
    let caught: unknown
    try {
      effectiveConfig(bad, {}, {}, undefined, '/h/config.toml')
    } catch (err) {
      caught = err
    }
    expect(caught).toMatchObject({ code: 'ERR_CONFIG_INVALID' })
    const message = (caught as Error).message
    expect(message).toContain('/h/config.toml is not valid')
    for (const key of ['seed', 'ipc.max_request_bytes', 'listen']) expect(message).toContain(`${key}:`)
  })

  it('resolves a relative psk against the home in the file and against the cwd elsewhere', () => {
    const base = { home: '/homes/a', cwd: '/work' }
    expect(effectiveConfig({ psk: 'keys/swarm.key' }, {}, {}, base).config.psk).toBe(
      '/homes/a/keys/swarm.key',
    )
    expect(effectiveConfig({ psk: 'x' }, { GGEN_MARKET_PSK: 'team.key' }, {}, base).config.psk).toBe(
      '/work/team.key',
    )
    expect(effectiveConfig({}, {}, { psk: '/abs/k' }, base).config.psk).toBe('/abs/k')
  })

  it('reports keys it does not know', () => {
    expect(effectiveConfig({ mnds: false, network: 'ggen' }).unknownKeys).toEqual(['mnds'])
  })
})

describe('describeConfig', () => {
  it('flattens settings to dotted names with value and source', () => {
    const described = describeConfig(
      effectiveConfig({ ipc: { request_timeout_ms: 5000 } }, { GGEN_MARKET_NETWORK: 'lab' }),
    )
    expect(described.network).toEqual({ value: 'lab', source: 'env' })
    expect(described['ipc.request_timeout_ms']).toEqual({ value: 5000, source: 'file' })
    expect(described.psk).toEqual({ value: null, source: 'default' })
    expect(Object.keys(described)).toEqual([...Object.keys(described)].sort((a, b) => a.localeCompare(b)))
  })
})

describe('the config file', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ggen-config-'))
  })
  afterEach(async () => rm(dir, { recursive: true, force: true }))

  it('documents the defaults truthfully: uncommenting every setting changes nothing', () => {
    const text = defaultConfigText()
    const uncommented = text.replace(/^# ((\[ipc\])|([a-z_]+ = .*))$/gm, '$1')
    expect(uncommented).not.toBe(text)
    const defaults = effectiveConfig(undefined).config
    expect(effectiveConfig(parse(text)).config).toEqual(defaults)
    const all = effectiveConfig(parse(uncommented))
    expect({ ...all.config, psk: undefined }).toEqual({ ...defaults, psk: undefined })
  })

  it('loads the file with the environment on top; readConfig reads the file alone', async () => {
    const file = join(dir, 'config.toml')
    await writeFile(file, 'network = "team"\n[ipc]\nmax_concurrent_requests = 8\n')
    const loaded = await loadConfig(file, { GGEN_MARKET_LOG_LEVEL: 'warn' })
    expect(loaded.config).toMatchObject({
      network: 'team',
      log_level: 'warn',
      ipc: { max_concurrent_requests: 8 },
    })
    expect((await readConfig(file)).log_level).toBe('info')
    expect((await loadConfig(join(dir, 'missing.toml'))).config.network).toBe('ggen')
  })

  it('reports invalid TOML with line and column', async () => {
    const file = join(dir, 'config.toml')
    await writeFile(file, 'network = "a"\nmdns = yes\n')
    await expect(loadConfig(file)).rejects.toMatchObject({ code: 'ERR_TOML_SYNTAX', details: { line: 2 } })
  })
})
