/**
 * The cluster harness: N real nodes (LocalNode + Network + Announcer, wired as the daemon
 * wires them) on homes in a temp directory, over the simulated fabric or loopback TCP;
 * topologies, publishing, convergence waits, crash and restart on the same home. Each node's
 * peer key and publisher key derive from the run's seed and the node's index, so a seed
 * names the same PeerIds and publishers on every run.
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPairFromSeed, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { publisherKeyFromSeed, writeKeyFile } from '../src/domain/keys.js'
import { writeSecretFile } from '../src/domain/secret-file.js'
import { DEFAULT_NET_LIMITS, type NetLimits } from '../src/net/limits.js'
import { recordsTopic } from '../src/net/names.js'
import { Network } from '../src/net/network.js'
import { Announcer } from '../src/node/announcer.js'
import { loadConfig } from '../src/node/config.js'
import { createHomeDirs, homeLayout } from '../src/node/home.js'
import { initHome } from '../src/node/init.js'
import { LocalNode } from '../src/node/local-node.js'
import { DEFAULT_LINK, Fabric, type LinkProfile } from './fabric.js'
import { publishRelease } from './records.js'
import type { Edge } from './topology.js'
import { simTransport } from './transport.js'

/** How the cluster's nodes are connected. */
export type TransportMode = 'memory' | 'tcp'

/** Cluster options. */
export interface ClusterOptions {
  seed: number
  /** @default 'memory' */
  mode?: TransportMode
  /** The default link of the fabric (memory mode). */
  link?: Partial<LinkProfile>
  limits?: Partial<NetLimits>
  /**
   * Which nodes run content (Helia and Bitswap over their home's blockstore, as the daemon
   * does): only those can publish packages, install and serve them. @default none
   */
  content?: (index: number) => boolean
  /** Told about network warnings (rejected gossip and the like). */
  onWarning?(node: string, message: string, details: Record<string, unknown>): void
}

/** One node of the cluster. */
export interface SimNode {
  readonly index: number
  readonly name: string
  readonly home: string
  node: LocalNode
  net: Network
  announcer: Announcer
  addr: string
  up: boolean
  /** True when the node runs content (ClusterOptions.content). */
  readonly content: boolean
  /** When (performance.now()) each record CID arrived, by any source. */
  readonly arrivals: Map<string, number>
}

/** Polls `check` every 20 ms until true; throws naming `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A running cluster; see the module comment. */
export class Cluster {
  readonly nodes: SimNode[] = []
  readonly fabric: Fabric
  readonly edges: Edge[] = []
  #peak = process.memoryUsage().rss
  readonly #sampler: NodeJS.Timeout

  private constructor(
    readonly root: string,
    readonly options: ClusterOptions,
  ) {
    this.fabric = new Fabric(options.seed, { ...DEFAULT_LINK, ...options.link })
    this.#sampler = setInterval(() => this.sampleMemory(), 250)
    this.#sampler.unref()
  }

  /** Starts `n` nodes (no connections yet). */
  static async start(n: number, options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(await mkdtemp(join(tmpdir(), 'ggen-sim-')), options)
    try {
      for (let i = 0; i < n; i++) await cluster.addNode()
    } catch (err) {
      await cluster.close()
      throw err
    }
    return cluster
  }

  get mode(): TransportMode {
    return this.options.mode ?? 'memory'
  }

  /** The largest RSS seen, in bytes. */
  get peakRss(): number {
    this.sampleMemory()
    return this.#peak
  }

  /** Records the current RSS into the peak. */
  sampleMemory(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage().rss)
  }

  /** Starts one more node on a new home; its index. */
  async addNode(): Promise<SimNode> {
    const index = this.nodes.length
    const name = `n${index}`
    const home = join(this.root, name)
    await writeSeededKeys(home, this.options.seed, index)
    await initHome(home)
    const sim = await this.#boot(index, name, home)
    this.nodes.push(sim)
    return sim
  }

  async #boot(
    index: number,
    name: string,
    home: string,
    arrivals = new Map<string, number>(),
  ): Promise<SimNode> {
    const listen = this.mode === 'memory' ? `/memory/${name}` : '/ip4/127.0.0.1/tcp/0'
    const flags = { listen: [listen], mdns: false }
    const { config } = await loadConfig(homeLayout(home).config, {}, flags, { home, cwd: this.root })
    const node = await LocalNode.open(home, {}, { config })
    node.events.on('event', (event) => {
      if (event.type === 'record' && !arrivals.has(event.record))
        arrivals.set(event.record, performance.now())
    })
    let announcer: Announcer | undefined
    const warn = this.options.onWarning
    const content = this.options.content?.(index) ?? false
    const net = await Network.start(node, {
      content,
      limits: { ...DEFAULT_NET_LIMITS, ...this.options.limits },
      onTopicPeer: () => void announcer?.wake(),
      ...(warn ? { onWarning: (m: string, d: Record<string, unknown>) => warn(name, m, d) } : {}),
      ...(this.mode === 'memory' ? { transports: [simTransport(this.fabric, name)] } : {}),
    })
    announcer = new Announcer(node, { target: net, retryMs: 100 })
    announcer.start()
    const addr = net.addresses().find((a) => a.startsWith(listen.split('/tcp/')[0] as string)) as string
    return { index, name, home, node, net, announcer, addr, up: true, content, arrivals }
  }

  /** Dials every edge (a dials b) until each is a live connection, redialling failures. */
  async connect(edges: readonly Edge[], timeoutMs = 30_000): Promise<void> {
    this.edges.push(...edges)
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const queue = edges.filter(([a, b]) => !this.linked(a, b))
      if (queue.length === 0) return
      if (performance.now() > deadline) {
        throw new Error(
          `timed out after ${timeoutMs} ms connecting the topology: ${queue.length} links missing`,
        )
      }
      const worker = async (): Promise<void> => {
        for (let edge = queue.shift(); edge !== undefined; edge = queue.shift()) {
          const [a, b] = [this.nodes[edge[0]] as SimNode, this.nodes[edge[1]] as SimNode]
          if (a.up && b.up) await a.net.connect(b.addr).catch(() => {})
        }
      }
      await Promise.all(Array.from({ length: 8 }, worker))
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  /** True when nodes `a` and `b` are connected. */
  linked(a: number, b: number): boolean {
    const [x, y] = [this.nodes[a] as SimNode, this.nodes[b] as SimNode]
    return x.up && y.up && x.net.libp2p.getPeers().some((p) => p.toString() === y.node.peerId)
  }

  /** Waits until every up node's gossip mesh holds min(its peers, 4) peers (GossipSub's D_lo). */
  async waitForMesh(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      'the gossip mesh to form',
      () =>
        this.up().every((n) => {
          const pubsub = n.net.libp2p.services.pubsub as unknown as { getMeshPeers(t: string): string[] }
          const mesh = pubsub.getMeshPeers(recordsTopic(n.node.config.network))
          return mesh.length >= Math.min(4, n.net.libp2p.getPeers().length)
        }),
      timeoutMs,
    )
  }

  /** The nodes that are up. */
  up(): SimNode[] {
    return this.nodes.filter((n) => n.up)
  }

  /** Publishes a release on node `index`; its record CID and when it was published. */
  publish(index: number, id: string, version = '1.0.0'): { cid: string; at: number } {
    const sim = this.nodes[index] as SimNode
    const before = performance.now()
    const cid = publishRelease(sim.node, id, version).cid.toString()
    // Timed from the moment the record is stored on its publisher, signing excluded.
    return { cid, at: sim.arrivals.get(cid) ?? before }
  }

  /** The up nodes holding record `cid`. */
  holders(cid: string): SimNode[] {
    return this.up().filter((n) => n.node.store.hasRecord(cid))
  }

  /** Waits until every up node holds every record in `cids`. */
  async waitForRecords(cids: readonly string[], timeoutMs = 30_000): Promise<void> {
    await waitFor(
      `${cids.length} records on ${this.up().length} nodes`,
      // The arrival log, not the store: polling 1,000 records on 20 nodes through SQLite
      // every 20 ms would take most of the CPU the nodes are being measured on.
      () => this.up().every((n) => cids.every((cid) => n.arrivals.has(cid))),
      timeoutMs,
    )
  }

  /** Crashes node `index`: connections reset without goodbye (memory mode), then its stack stops. */
  async crash(index: number): Promise<void> {
    const sim = this.nodes[index] as SimNode
    if (!sim.up) return
    sim.up = false
    if (this.mode === 'memory') this.fabric.crash(sim.name)
    await stopNode(sim)
  }

  /** Restarts node `index` on the same home and redials its topology edges. */
  async restart(index: number): Promise<SimNode> {
    const old = this.nodes[index] as SimNode
    if (old.up) return old
    this.fabric.revive(old.name)
    const sim = await this.#boot(index, old.name, old.home, old.arrivals)
    this.nodes[index] = sim
    const mine = this.edges.filter(
      ([a, b]) => (a === index || b === index) && this.nodes[a === index ? b : a]?.up,
    )
    for (const [a, b] of mine)
      await (this.nodes[a] as SimNode).net.connect((this.nodes[b] as SimNode).addr).catch(() => {})
    return sim
  }

  /** Stops every node and removes the homes. */
  async close(): Promise<void> {
    clearInterval(this.#sampler)
    for (const sim of this.nodes.filter((n) => n.up).reverse()) {
      sim.up = false
      await stopNode(sim).catch(() => {})
    }
    await rm(this.root, { recursive: true, force: true })
  }
}

/** 32 bytes derived from the run's seed, a node's index and what they are for. */
export function seededBytes(seed: number, index: number, purpose: 'peer' | 'publisher'): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`ggen-sim/${purpose}/${seed}/${index}`).digest())
}

/**
 * Writes node `index`'s seeded peer key (protobuf, as peer-identity.ts reads it) and publisher
 * key (JWK, as keys.ts reads it) into a new home; `initHome` then fills in the rest and keeps them.
 */
async function writeSeededKeys(home: string, seed: number, index: number): Promise<void> {
  const layout = homeLayout(home)
  await createHomeDirs(layout)
  const peerKey = await generateKeyPairFromSeed('Ed25519', seededBytes(seed, index, 'peer'))
  await writeSecretFile(layout.peerKey, privateKeyToProtobuf(peerKey))
  await writeKeyFile(layout.publisherKey, publisherKeyFromSeed(seededBytes(seed, index, 'publisher')))
}

async function stopNode(sim: SimNode): Promise<void> {
  await sim.announcer.stop()
  await sim.net.stop()
  await sim.node.close()
}
