/**
 * The node's configuration: `HOME/config.toml`, then environment variables, then daemon
 * flags, each layer overriding the one before. `effectiveConfig` merges the layers and
 * remembers where every value came from, so that `status` can show why a setting is what
 * it is.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parse, TomlError } from 'smol-toml'
import { z } from 'zod'
import { GgenError, TomlSyntaxError, UsageError } from '../domain/errors.js'
import { DEFAULT_NETWORK } from '../domain/types.js'
import { netLimitsSchema } from '../net/limits.js'

/** Default cap on a package's total file size (64 MiB). */
export const DEFAULT_MAX_PACKAGE_BYTES = 64 * 1024 * 1024

/** Default listen address: TCP on all interfaces, a random port (SPEC 6). */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']

/** Log levels, most to least severe; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** A daemon log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

const MIB = 1024 * 1024
const GIB = 1024 * MIB

const multiaddr = z
  .string()
  .regex(/^(\/[^/\s]+)+$/, 'must be a multiaddr such as /ip4/0.0.0.0/tcp/4001')
  .max(1024)

const ipcSchema = z
  .object({
    /** Largest JSON-RPC request line the daemon reads; longer ones get an error. @default 1 MiB */
    max_request_bytes: z.number().int().min(1024).default(MIB),
    /** Requests in flight on one connection; more are refused as busy. @default 32 */
    max_concurrent_requests: z.number().int().positive().max(10_000).default(32),
    /** Open client connections; more are refused as busy. @default 256 */
    max_connections: z.number().int().positive().max(100_000).default(256),
    /** Deadline of quick requests (status, search, info, ...), in ms. @default 30000 */
    request_timeout_ms: z.number().int().positive().default(30_000),
    /** Deadline of publish, install and verify, in ms. @default 600000 (10 min) */
    long_request_timeout_ms: z.number().int().positive().default(600_000),
  })
  .strict()

const configSchema = z
  .object({
    /** The network name: records of other networks are refused. @default "ggen" */
    network: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'must be 1-64 of a-z, 0-9, ".", "_", "-"')
      .default(DEFAULT_NETWORK),
    /** Largest package (sum of file sizes) that publish accepts. @default 64 MiB */
    max_package_bytes: z.number().int().positive().default(DEFAULT_MAX_PACKAGE_BYTES),
    /** Multiaddrs the daemon listens on. @default ["/ip4/0.0.0.0/tcp/0"] */
    listen: z.array(multiaddr).default(DEFAULT_LISTEN),
    /** Multiaddrs of peers dialled at start to join the network. @default [] */
    bootstrap: z.array(multiaddr).default([]),
    /** Find peers on the LAN with mDNS. @default true */
    mdns: z.boolean().default(true),
    /** A libp2p pre-shared key file: only nodes holding it can connect (a private mesh). @default none */
    psk: z.string().min(1).optional(),
    /** Daemon log level (HOME/logs/daemon.log and a TTY stderr). @default "info" */
    log_level: z.enum(LOG_LEVELS).default('info'),
    /** Whose content to fetch as releases arrive: nobody's, trusted publishers', everyone's. @default "none" */
    seed: z.enum(['none', 'trusted', 'all']).default('none'),
    /** Most bytes of content seeding may keep (installs are not counted against it). @default 10 GiB */
    storage_quota_bytes: z
      .number()
      .int()
      .nonnegative()
      .default(10 * GIB),
    /** Limits of the daemon's IPC socket. */
    ipc: ipcSchema.prefault({}),
    /** Network limits: connections, streams, gossip size and rate, catch-up bounds. */
    net: netLimitsSchema.prefault({}),
  })
  .loose()

/** The effective configuration of a node. */
export type NodeConfig = z.infer<typeof configSchema>

/** Where a setting came from; later layers win. */
export type ConfigSource = 'default' | 'file' | 'env' | 'flag'

/** The settings a daemon flag can set (`ggen-market daemon --listen ... --no-mdns ...`). */
export interface ConfigFlags {
  listen?: string[]
  bootstrap?: string[]
  mdns?: boolean
  psk?: string
  network?: string
  logLevel?: string
}

/** The merged configuration and the layer each setting came from. */
export interface EffectiveConfig {
  config: NodeConfig
  /** Dotted setting name (`network`, `ipc.max_request_bytes`) -> its layer. */
  sources: Record<string, ConfigSource>
  /** Keys of the file this version does not know (a typo, or a newer version's setting). */
  unknownKeys: string[]
}

/** Where relative paths in each layer are resolved from. */
export interface ConfigBase {
  /** The home: relative paths in config.toml are relative to it. */
  home: string
  /** The working directory: relative paths in env and flags are relative to it. */
  cwd: string
}

type Key = 'network' | 'listen' | 'bootstrap' | 'mdns' | 'psk' | 'log_level'

/** The environment variables, the setting each sets, and how its text is read. */
const ENV_VARS: [string, Key, (text: string) => unknown][] = [
  ['GGEN_MARKET_NETWORK', 'network', (t) => t],
  ['GGEN_MARKET_LISTEN', 'listen', splitList],
  ['GGEN_MARKET_BOOTSTRAP', 'bootstrap', splitList],
  ['GGEN_MARKET_MDNS', 'mdns', parseSwitch],
  ['GGEN_MARKET_PSK', 'psk', (t) => t],
  ['GGEN_MARKET_LOG_LEVEL', 'log_level', (t) => t],
]

const FLAG_NAMES: Record<Key, [keyof ConfigFlags, string]> = {
  network: ['network', '--network'],
  listen: ['listen', '--listen'],
  bootstrap: ['bootstrap', '--bootstrap'],
  mdns: ['mdns', '--no-mdns'],
  psk: ['psk', '--psk'],
  log_level: ['logLevel', '--log-level'],
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function parseSwitch(text: string): unknown {
  const t = text.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(t)) return true
  if (['0', 'false', 'no', 'off'].includes(t)) return false
  return text // fails validation below with the variable's name
}

function checkField(key: Key, value: unknown, where: string, usage: boolean): unknown {
  const result = configSchema.shape[key].safeParse(value)
  if (result.success) return result.data
  const reason = result.error.issues[0]?.message ?? 'invalid value'
  const message = `${where} ${JSON.stringify(value)}: ${reason}`
  if (usage) throw new UsageError(message, { setting: key })
  throw new GgenError('ERR_CONFIG_INVALID', `${message}; fix or unset it`, { setting: key })
}

function invalidFile(file: string, problems: string[]): GgenError {
  return new GgenError(
    'ERR_CONFIG_INVALID',
    `${file} is not valid:\n  ${problems.join('\n  ')}\nfix the file or delete it to use the defaults`,
    { file, problems },
  )
}

/**
 * Merges config.toml (`file`: its parsed contents, undefined when there is none) < environment
 * < daemon flags. Bad file values are `ERR_CONFIG_INVALID`, bad flags are usage errors; both
 * name the setting. With `base`, the psk path is made absolute.
 */
export function effectiveConfig(
  file: unknown,
  env: NodeJS.ProcessEnv = {},
  flags: ConfigFlags = {},
  base?: ConfigBase,
  fileName = 'config.toml',
): EffectiveConfig {
  const raw = (file ?? {}) as Record<string, unknown>
  const parsed = configSchema.safeParse(raw)
  if (!parsed.success) {
    throw invalidFile(
      fileName,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    )
  }
  const config: NodeConfig = parsed.data
  const known = new Set(Object.keys(configSchema.shape))
  const sources: Record<string, ConfigSource> = {}
  const tables = { ipc: ipcSchema, net: netLimitsSchema }
  for (const key of known) {
    if (key in tables) continue
    sources[key] = key in raw ? 'file' : 'default'
  }
  for (const [table, schema] of Object.entries(tables)) {
    const rawTable = (typeof raw[table] === 'object' && raw[table] !== null ? raw[table] : {}) as Record<
      string,
      unknown
    >
    for (const key of Object.keys(schema.shape))
      sources[`${table}.${key}`] = key in rawTable ? 'file' : 'default'
  }
  if (config.psk !== undefined && base) config.psk = resolve(base.home, config.psk)

  const set = (key: Key, value: unknown, source: ConfigSource) => {
    Object.assign(config, { [key]: value })
    sources[key] = source
    if (key === 'psk' && base) config.psk = resolve(base.cwd, value as string)
  }
  for (const [name, key, read] of ENV_VARS) {
    const text = env[name]
    if (text === undefined || text.trim() === '') continue
    set(key, checkField(key, read(text), name, false), 'env')
  }
  for (const [key, [prop, flag]] of Object.entries(FLAG_NAMES) as [Key, [keyof ConfigFlags, string]][]) {
    const value = flags[prop]
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue
    set(key, checkField(key, value, flag, true), 'flag')
  }
  return { config, sources, unknownKeys: Object.keys(raw).filter((k) => !known.has(k)) }
}

/** Each setting with its value and layer, flattened to dotted names: what `status` shows. */
export function describeConfig(
  effective: EffectiveConfig,
): Record<string, { value: unknown; source: ConfigSource }> {
  const out: Record<string, { value: unknown; source: ConfigSource }> = {}
  for (const [name, source] of Object.entries(effective.sources).sort(([a], [b]) => a.localeCompare(b))) {
    const [head, sub] = name.split('.') as [keyof NodeConfig, string | undefined]
    const top = effective.config[head]
    const value = sub === undefined ? top : (top as Record<string, unknown>)[sub]
    out[name] = { value: value ?? null, source }
  }
  return out
}

/** The text `init` writes: every setting, commented with its default. */
export function defaultConfigText(network = DEFAULT_NETWORK): string {
  return [
    '# ggen-market node configuration. Environment variables (GGEN_MARKET_*) and daemon',
    '# flags override it; `ggen-market status` shows where each setting came from.',
    '',
    '# Network name: nodes only exchange records within one network.',
    `network = "${network}"`,
    '',
    '# Largest package (total bytes of its files) that publish accepts.',
    `max_package_bytes = ${DEFAULT_MAX_PACKAGE_BYTES}`,
    '',
    '# Where the daemon listens, and peers it dials at start (multiaddrs).',
    `# listen = ${JSON.stringify(DEFAULT_LISTEN)}`,
    '# bootstrap = []',
    '',
    '# Find peers on the LAN with mDNS.',
    '# mdns = true',
    '',
    '# A private team mesh: only nodes with this pre-shared key file can connect.',
    '# psk = "keys/swarm.key"',
    '',
    '# fatal, error, warn, info, debug, trace or silent.',
    '# log_level = "info"',
    '',
    '# Fetch the content of releases as they arrive: "none", "trusted" or "all" (a mirror),',
    '# keeping at most storage_quota_bytes of it.',
    '# seed = "none"',
    `# storage_quota_bytes = ${10 * GIB}`,
    '',
    '# Limits of the daemon socket.',
    '# [ipc]',
    `# max_request_bytes = ${MIB}`,
    '# max_concurrent_requests = 32',
    '# max_connections = 256',
    '# request_timeout_ms = 30000',
    '# long_request_timeout_ms = 600000',
    '',
  ].join('\n')
}

/** Writes the default config unless one exists (init never overwrites). */
export async function writeDefaultConfig(file: string, network?: string): Promise<void> {
  try {
    await writeFile(file, defaultConfigText(network), { flag: 'wx', mode: 0o644 })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
}

/** Reads and parses the config file; undefined when there is none. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  try {
    return parse(text)
  } catch (err) {
    if (err instanceof TomlError)
      throw new TomlSyntaxError(file, err.line, err.column, err.message.split('\n')[0] ?? '')
    throw err
  }
}

/** Reads the config file and applies the environment; a missing file means all defaults. */
export async function loadConfig(
  file: string,
  env: NodeJS.ProcessEnv = {},
  flags: ConfigFlags = {},
  base?: ConfigBase,
): Promise<EffectiveConfig> {
  return effectiveConfig(await readConfigFile(file), env, flags, base, file)
}

/** Reads and validates the config file alone (no environment); a missing file means all defaults. */
export async function readConfig(file: string): Promise<NodeConfig> {
  return (await loadConfig(file)).config
}
