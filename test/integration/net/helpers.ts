/**
 * Multi-node fixtures over real TCP on loopback: a node is a temp home, a LocalNode, its
 * Network and an announcer wired as the daemon wires them.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CID } from 'multiformats/cid'
import { signRecord } from '../../../src/domain/records.js'
import type { ReleaseBody } from '../../../src/domain/types.js'
import { DEFAULT_NET_LIMITS, type NetLimits } from '../../../src/net/limits.js'
import { recordsTopic } from '../../../src/net/names.js'
import { Network } from '../../../src/net/network.js'
import { Announcer } from '../../../src/node/announcer.js'
import { loadConfig } from '../../../src/node/config.js'
import { homeLayout } from '../../../src/node/home.js'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'
import { nextLogPosition } from '../../../src/node/log-position.js'

/** One running test node. */
export interface TestPeer {
  home: string
  node: LocalNode
  net: Network
  announcer: Announcer
  /** The address others dial: its loopback TCP multiaddr with /p2p/. */
  addr: string
  stop(): Promise<void>
}

/** Options of a test node. */
export interface PeerOptions {
  bootstrap?: string[]
  psk?: string
  limits?: Partial<NetLimits>
  /** Reuse an existing home (restart). */
  home?: string
  content?: boolean
  /** The seeding policy and its quota (config.toml `seed`, `storage_quota_bytes`). */
  seed?: 'none' | 'trusted' | 'all'
  storageQuotaBytes?: number
}

/** A temp directory removed by `cleanup`. */
export async function tempRoot(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-net-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

let count = 0

/** Starts a node on a new (or given) home under `root`, listening on 127.0.0.1. */
export async function startPeer(root: string, options: PeerOptions = {}): Promise<TestPeer> {
  const home = options.home ?? join(root, `node-${count++}`)
  await initHome(home)
  const { config } = await loadConfig(
    homeLayout(home).config,
    {},
    {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      mdns: false,
      ...(options.bootstrap ? { bootstrap: options.bootstrap } : {}),
      ...(options.psk ? { psk: options.psk } : {}),
    },
    { home, cwd: root },
  )
  const node = await LocalNode.open(
    home,
    {},
    {
      config: {
        ...config,
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.storageQuotaBytes === undefined
          ? {}
          : { storage_quota_bytes: options.storageQuotaBytes }),
      },
    },
  )
  let announcer: Announcer | undefined
  const net = await Network.start(node, {
    onTopicPeer: () => void announcer?.wake(),
    limits: { ...DEFAULT_NET_LIMITS, ...options.limits },
    ...(options.content === undefined ? {} : { content: options.content }),
    ...(process.env.GGEN_NET_DEBUG ? { onWarning: (m: string, d: unknown) => console.error(m, d) } : {}),
  })
  announcer = new Announcer(node, { target: net, retryMs: 200 })
  announcer.start()
  const addr = net.addresses().find((a) => a.startsWith('/ip4/127.0.0.1/tcp/'))!
  return {
    home,
    node,
    net,
    announcer,
    addr,
    stop: async () => {
      await announcer.stop()
      await net.stop()
      await node.close()
    },
  }
}

/** Signs and stores a release of `id@version` by the node's own key, as a local record. */
export async function publishRecord(node: LocalNode, id: string, version: string): Promise<string> {
  const body: ReleaseBody = {
    type: 'release',
    network: node.config.network,
    publisher: node.key.did,
    time: Date.now(),
    ...nextLogPosition(node.store, node.key.did),
    id,
    version,
    cid: CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq'),
    size: 10,
    manifest: {
      id,
      name: `Package ${id}`,
      version,
      description: `templates for ${id}`,
      license: 'MIT',
      authors: [],
      keywords: ['net'],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
  const block = signRecord(body, node.key)
  node.ingest(block.bytes, { expectedCid: block.cid, source: 'local' })
  return block.cid.toString()
}

/** Polls `check` until it returns true; fails after `timeoutMs` with `what`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Waits until every peer's gossip mesh holds all the peers it is connected to. */
export async function waitForMesh(peers: TestPeer[]): Promise<void> {
  await waitFor('the gossip mesh to form', () =>
    peers.every((p) => {
      const pubsub = p.net.libp2p.services.pubsub as unknown as { getMeshPeers(topic: string): string[] }
      const mesh = pubsub.getMeshPeers(recordsTopic(p.node.config.network))
      return p.net.peers().every((q) => mesh.includes(q.peerId))
    }),
  )
}
