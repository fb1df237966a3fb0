/**
 * The node home (SPEC 5): where one node keeps its config, keys, content, database and
 * logs. Only paths and directory creation live here; what goes into the files is owned by
 * the modules that write them.
 */
import { mkdir, stat } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { GgenError } from '../domain/errors.js'

/** Every path of a home, derived from its root. */
export interface HomeLayout {
  root: string
  config: string
  keysDir: string
  publisherKey: string
  peerKey: string
  /** Parent of the content store's blocks/ and datastore/. */
  contentDir: string
  database: string
  indexFile: string
  logsDir: string
  socket: string
  lock: string
}

/** `--home DIR`, else `$GGEN_MARKET_HOME`, else `~/.ggen-market`. */
export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? env.GGEN_MARKET_HOME ?? join(homedir(), '.ggen-market')
  return resolve(chosen)
}

/** The layout of the home at `root`. */
export function homeLayout(root: string): HomeLayout {
  return {
    root,
    config: join(root, 'config.toml'),
    keysDir: join(root, 'keys'),
    publisherKey: join(root, 'keys', 'publisher.key'),
    peerKey: join(root, 'keys', 'peer.key'),
    contentDir: join(root, 'content'),
    database: join(root, 'market.db'),
    indexFile: join(root, 'index', 'search.json'),
    logsDir: join(root, 'logs'),
    socket: socketPathFor(root),
    lock: join(root, 'daemon.lock'),
  }
}

/** Longest socket path we use directly; sun_path holds 108 bytes on Linux, 104 on macOS. */
const MAX_SOCKET_PATH = 100

/**
 * The daemon socket of a home: `HOME/daemon.sock`, or, when that path is too long for a
 * Unix socket, `$XDG_RUNTIME_DIR` (else the temp dir) `/ggen-market-UID/<hash of HOME>.sock`.
 * Daemon and CLI both derive it from the home, so they always agree.
 */
export function socketPathFor(root: string, env: NodeJS.ProcessEnv = process.env): string {
  const direct = join(root, 'daemon.sock')
  if (Buffer.byteLength(direct) <= MAX_SOCKET_PATH) return direct
  // node:crypto is loaded only here: most homes never need it, and the CLI starts faster
  const { createHash } = process.getBuiltinModule('node:crypto')
  const digest = createHash('sha256').update(root).digest('hex').slice(0, 24)
  const base = env.XDG_RUNTIME_DIR || tmpdir()
  return join(base, `ggen-market-${process.getuid?.() ?? 'user'}`, `${digest}.sock`)
}

/** Creates the home's directories; the root and keys/ are 0700 because they hold secrets. */
export async function createHomeDirs(layout: HomeLayout): Promise<void> {
  await mkdir(layout.root, { recursive: true, mode: 0o700 })
  await mkdir(layout.keysDir, { recursive: true, mode: 0o700 })
  await mkdir(layout.contentDir, { recursive: true })
  await mkdir(join(layout.root, 'index'), { recursive: true })
  await mkdir(layout.logsDir, { recursive: true })
}

/** Throws a clear error when the home has not been initialised. */
export async function assertHomeExists(layout: HomeLayout): Promise<void> {
  try {
    await stat(layout.publisherKey)
  } catch {
    throw new GgenError(
      'ERR_NO_HOME',
      `no ggen-market home at ${layout.root}; create one with \`ggen-market init --home ${layout.root}\``,
      { home: layout.root },
    )
  }
}
