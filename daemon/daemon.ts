/**
 * The daemon: the composition root of a long-lived node. `start()` builds the parts in
 * dependency order and `stop()` takes them down in exactly the reverse order; both are
 * written out here, in one place, so that the order can be read and checked.
 *
 *   start: config -> lock -> logger -> node (keys, SQLite; content on first use) -> network -> announcer -> IPC server
 *   stop:  IPC server -> announcer -> network -> node -> logger -> lock
 */
import { stat } from 'node:fs/promises'
import type { Logger } from 'pino'
import { GgenError } from '../src/domain/errors.js'
import { type IpcServer, startIpcServer } from '../src/ipc/server.js'
import type { Network } from '../src/net/network.js'
import { Announcer } from '../src/node/announcer.js'
import { type ConfigFlags, describeConfig, type EffectiveConfig, loadConfig } from '../src/node/config.js'
import { assertHomeExists, type HomeLayout, homeLayout } from '../src/node/home.js'
import { LocalNode } from '../src/node/local-node.js'
import { DaemonHandle } from './handle.js'
import { acquireHomeLock, type HomeLock, type LivenessCheck } from './lock.js'
import { createDaemonLogger, type DaemonLogger } from './logger.js'

/** What a daemon is started with. */
export interface DaemonInit {
  /** The home (already resolved: `--home`, `$GGEN_MARKET_HOME` or `~/.ggen-market`). */
  home: string
  /** Environment variables (GGEN_MARKET_*). @default process.env */
  env?: NodeJS.ProcessEnv
  /** Daemon flags, the top config layer. @default {} */
  flags?: ConfigFlags
  /** Where relative paths in env and flags are resolved. @default process.cwd() */
  cwd?: string
  /** Where the ready line (and, on a TTY, the log) goes. @default process.stderr */
  stderr?: NodeJS.WritableStream & { isTTY?: boolean }
  /** Replaces the lock's liveness check (tests). */
  isRunning?: LivenessCheck
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

/** A node daemon on one home. */
export class Daemon {
  readonly layout: HomeLayout
  #state: State = 'idle'
  #stopping: Promise<void> | undefined
  #effective: EffectiveConfig | undefined
  #lock: HomeLock | undefined
  #logger: DaemonLogger | undefined
  #node: LocalNode | undefined
  #network: Network | undefined
  #announcer: Announcer | undefined
  #ipc: IpcServer | undefined

  constructor(private readonly init: DaemonInit) {
    this.layout = homeLayout(init.home)
  }

  /** The socket the daemon serves. */
  get socketPath(): string {
    return this.layout.socket
  }

  /** The logger, once started. */
  get log(): Logger | undefined {
    return this.#logger?.log
  }

  /** The merged configuration, once started. */
  get config(): EffectiveConfig | undefined {
    return this.#effective
  }

  /** The node, while running. */
  get node(): LocalNode | undefined {
    return this.#node
  }

  /** The network, while running. */
  get network(): Network | undefined {
    return this.#network
  }

  /** The logger's file, for a forced exit. */
  get logger(): DaemonLogger | undefined {
    return this.#logger
  }

  /** Starts every part in order; a failure stops what was started (the lock last) and rethrows. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') throw new Error(`the daemon cannot start from state ${this.#state}`)
    this.#state = 'starting'
    const { home } = this.init
    const env = this.init.env ?? process.env
    try {
      // 1. Config: config.toml < environment < flags. Read before the lock so that a typo
      //    fails fast, but nothing is written yet.
      await assertHomeExists(this.layout)
      this.#effective = await loadConfig(this.layout.config, env, this.init.flags, {
        home,
        cwd: this.init.cwd ?? process.cwd(),
      })
      const { config } = this.#effective
      await checkPskFile(config.psk)

      // 2. Lock: one daemon per home. Before the socket: a live daemon's socket is never touched.
      const { lock, stale } = await acquireHomeLock(this.layout.lock, {
        home,
        socket: this.layout.socket,
        ...(this.init.isRunning ? { isRunning: this.init.isRunning } : {}),
      })
      this.#lock = lock

      // 3. Logger.
      this.#logger = createDaemonLogger({
        logsDir: this.layout.logsDir,
        level: config.log_level,
        ...(this.init.stderr ? { stderr: this.init.stderr } : {}),
      })
      const log = this.#logger.log
      log.info({ home, config: describeConfig(this.#effective) }, 'daemon starting')
      if (stale)
        log.warn(
          { stale: stale.info, reason: stale.reason },
          'recovered a stale lock left by a daemon that did not stop cleanly',
        )
      if (this.#effective.unknownKeys.length > 0) {
        log.warn(
          { keys: this.#effective.unknownKeys },
          `${this.layout.config} has settings this version does not know`,
        )
      }

      // 4. Node: keys, SQLite and the search index. The content store (Helia) opens on the
      //    first publish, install or verify: loading it costs ~70 MB that an idle daemon
      //    does not need (scripts/measure-daemon.mjs).
      this.#node = await LocalNode.open(home, env, { config })

      // 5. Network: libp2p (config.listen, bootstrap, mdns, psk), the records topic, catch-up
      //    and Bitswap, after the stores it serves and before the announcer, to which it is
      //    the AnnounceTarget. Loaded here, not at import: the CLI never needs libp2p.
      const { Network } = await import('../src/net/network.js')
      this.#network = await Network.start(this.#node, {
        limits: config.net,
        onTopicPeer: () => void this.#announcer?.wake(),
        onWarning: (message, details) => log.warn(details, message),
      })
      const network = this.#network
      log.info({ peerId: this.#node.peerId, addresses: network.addresses() }, 'network started')

      // 6. Announcer: local records go out on the records topic, oldest first.
      this.#announcer = new Announcer(this.#node, {
        target: network,
        onError: (err, cid) => log.warn({ err, record: cid }, 'announcement failed; will retry'),
      })
      this.#announcer.start()

      // 7. IPC server: last, so that no request arrives before the node can answer it.
      const announcer = this.#announcer
      const handle = new DaemonHandle(this.#node, {
        config: describeConfig(this.#effective),
        pendingAnnouncements: () => announcer.pending(),
        network,
      })
      this.#ipc = await startIpcServer({
        socketPath: this.layout.socket,
        handle,
        logger: log.child({ component: 'ipc' }),
        limits: {
          maxLineBytes: config.ipc.max_request_bytes,
          maxInFlight: config.ipc.max_concurrent_requests,
          maxConnections: config.ipc.max_connections,
          requestTimeoutMs: config.ipc.request_timeout_ms,
          longRequestTimeoutMs: config.ipc.long_request_timeout_ms,
        },
      })
      this.#state = 'running'
      log.info({ socket: this.layout.socket, pendingAnnouncements: announcer.pending() }, 'daemon ready')
    } catch (err) {
      this.#logger?.log.fatal({ err }, 'daemon failed to start')
      await this.stop()
      throw err
    }
  }

  /**
   * Stops in the exact reverse order of start; every step runs even if one before it
   * failed, and the first failure is rethrown at the end. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#state = 'stopping'
    const log = this.#logger?.log
    log?.info('daemon stopping')
    const failures: unknown[] = []
    const step = async (name: string, fn: () => Promise<void> | void) => {
      try {
        await fn()
      } catch (err) {
        failures.push(err)
        log?.error({ err, step: name }, 'shutdown step failed')
      }
    }
    // 7. IPC server: stop accepting, let in-flight requests finish, remove the socket.
    await step('ipc', () => this.#ipc?.close())
    // 6. Announcer: waits for a delivery in flight.
    await step('announcer', () => this.#announcer?.stop())
    // 5. Network: stops catch-up and Bitswap, then libp2p.
    await step('network', () => this.#network?.stop())
    this.#network = undefined
    // 4. Node: saves the search index, closes the content store and SQLite.
    await step('node', () => this.#node?.close())
    this.#node = undefined
    // 3. Logger: the last line, then flush the file.
    log?.info('daemon stopped')
    await step('logger', () => this.#logger?.close())
    // 2. Lock: released last, once nothing of this daemon touches the home any more.
    await step('lock', () => this.#lock?.release())
    this.#state = 'stopped'
    if (failures.length > 0) throw failures[0]
  }
}

/** Fails start with a clear message when the configured pre-shared key file is missing. */
async function checkPskFile(psk: string | undefined): Promise<void> {
  if (psk === undefined) return
  try {
    const s = await stat(psk)
    if (!s.isFile()) throw new Error('not a file')
  } catch {
    throw new GgenError(
      'ERR_PSK_MISSING',
      `the pre-shared key file ${psk} (psk) does not exist or is not a file; create it or drop --psk / GGEN_MARKET_PSK / psk`,
      { psk },
    )
  }
}
