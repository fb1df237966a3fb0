/**
 * What adversarial nodes send: forged records (a bad signature, another owner's id signed by
 * the wrong key), replays of valid old records, oversized messages, valid spam from throwaway
 * keys and junk. They go out as raw gossipsub publishes from the adversary's libp2p node,
 * which never runs its own validator on what it publishes, so honest validators see them.
 * A withholder runs content and publishes real packages, but its Bitswap never answers.
 */
import { createHash } from 'node:crypto'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import * as dagCbor from '@ipld/dag-cbor'
import type { PeerId } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { generatePublisherKey, type PublisherKey, sign } from '../src/domain/keys.js'
import { signingBytes, signRecord } from '../src/domain/records.js'
import type { ReleaseBody } from '../src/domain/types.js'
import { recordsTopic } from '../src/net/names.js'
import type { SimNode } from './cluster.js'
import type { Prng } from './prng.js'
import { releaseBody, SIM_CONTENT } from './records.js'

/** Publishes `bytes` on the records topic of `sim` without validating or storing them; false if it failed. */
export async function rawPublish(sim: SimNode, bytes: Uint8Array): Promise<boolean> {
  try {
    await sim.net.libp2p.services.pubsub.publish(recordsTopic(sim.node.config.network), bytes)
    return true
  } catch {
    return false
  }
}

/** A release by `sim`'s key whose signature has one byte flipped. */
export function badSignature(sim: SimNode, id: string): Uint8Array {
  const block = signRecord(releaseBody(sim.node, id, '1.0.0'), sim.node.key)
  const sig = Uint8Array.from(block.record.sig)
  sig[0] = (sig[0] as number) ^ 0xff
  return dagCbor.encode({ body: block.record.body, sig })
}

/** The next release of `victim`'s id in `victim`'s name, signed by `forger`'s key instead. */
export function impersonation(victim: SimNode, forger: SimNode, id: string, version: string): Uint8Array {
  const body = withoutUndefined(releaseBody(victim.node, id, version))
  return dagCbor.encode({ body, sig: sign(forger.node.key, signingBytes(body)) })
}

/** A valid release signed by a fresh throwaway key: spam nobody can tell from a real first release. */
export function throwawayRelease(network: string, id: string, key: PublisherKey = generatePublisherKey()) {
  const body: ReleaseBody = {
    type: 'release',
    network,
    publisher: key.did,
    time: Date.now(),
    seq: 1,
    id,
    version: '1.0.0',
    cid: SIM_CONTENT,
    size: 10,
    manifest: {
      id,
      name: `Spam ${id}`,
      version: '1.0.0',
      description: 'throwaway',
      license: 'MIT',
      authors: [],
      keywords: ['spam'],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
  return signRecord(body, key)
}

interface WantMessage {
  wantlist?: { entries: { cid: Uint8Array; cancel?: boolean }[] }
}

/** The parts of @helia/bitswap (4.x) a withholder and its observers touch; not on its public types. */
interface BitswapParts {
  peerWantLists: { receiveMessage(peer: PeerId, message: WantMessage): void }
  wantList: {
    addEventListener(type: 'block', listener: (evt: CustomEvent<{ sender: PeerId }>) => void): void
  }
}

/** The Bitswap that Network plugged into `sim`'s content store (bitswap.ts, attachBitswap). */
async function bitswapOf(sim: SimNode): Promise<BitswapParts> {
  if (!sim.content) throw new Error(`${sim.name} runs no content: start the cluster with content for it`)
  const helia = (await sim.node.content()).helia as unknown as { blockBrokers?: unknown[] }
  for (const broker of helia.blockBrokers ?? []) {
    const bitswap = (broker as { bitswap?: BitswapParts }).bitswap
    if (bitswap?.peerWantLists !== undefined) return bitswap
  }
  throw new Error(`${sim.name} has no Bitswap block broker`)
}

/**
 * Turns `sim` into a withholder; the wants it was sent so far, by peer. It keeps everything a
 * provider shows: its connections, its releases, the blocks they name (so its DHT provider
 * records are true) and the Bitswap protocol, whose streams it accepts and reads. It only
 * drops every want it receives, answering neither the block nor DONT_HAVE. Deleting the
 * blocks instead would model a node that lost them, not one that withholds, and its honest
 * DONT_HAVE would let the asker move on at once: silence is the case that costs the asker.
 */
export async function withhold(sim: SimNode): Promise<Map<string, number>> {
  const bitswap = await bitswapOf(sim)
  const asked = new Map<string, number>()
  bitswap.peerWantLists.receiveMessage = (peer, message) => {
    const wants = (message.wantlist?.entries ?? []).filter((e) => e.cancel !== true).length
    if (wants > 0) asked.set(peer.toString(), (asked.get(peer.toString()) ?? 0) + wants)
  }
  return asked
}

/** Counts the blocks `sim`'s Bitswap receives from here on, by sender PeerId. */
export async function blockSenders(sim: SimNode): Promise<Map<string, number>> {
  const senders = new Map<string, number>()
  ;(await bitswapOf(sim)).wantList.addEventListener('block', (evt) => {
    const sender = evt.detail.sender.toString()
    senders.set(sender, (senders.get(sender) ?? 0) + 1)
  })
  return senders
}

/**
 * Writes a package directory drawn from `rng` under `dir`: a gpack.toml for `id`, a few text
 * templates and one binary asset large enough to span several blocks.
 */
export async function writeSimPackage(dir: string, id: string, rng: Prng): Promise<void> {
  const files: Record<string, Uint8Array | string> = {
    'gpack.toml': [
      '[gpack]',
      `id = "${id}"`,
      `name = "Simulated ${id}"`,
      'version = "1.0.0"',
      'description = "A package the simulator publishes with real content"',
      'license = "MIT"',
      'keywords = ["sim"]',
      '',
      '[templates]',
      'includes = ["templates/**/*.tera"]',
      '',
    ].join('\n'),
    'assets/blob.bin': junk(rng, 600_000),
  }
  for (let i = 0; i < 8; i++) {
    const words = Array.from({ length: 50 + rng.int(400) }, () => `w${rng.int(1000)}`)
    files[`templates/part-${i}/file-${i}.tera`] = `{{ name }} ${words.join(' ')}\n`
  }
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true })
    await writeFile(join(dir, path), body)
  }
}

/** The SHA-256 of every file under `dir`, by relative path: equal trees, equal maps. */
export async function fileDigests(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const file = join(entry.parentPath, entry.name)
    out[relative(dir, file)] = createHash('sha256')
      .update(await readFile(file))
      .digest('hex')
  }
  return out
}

/**
 * How the installer meets the holder: `connected` dials both providers first, so Bitswap asks
 * both at once and the withholder's silence costs nothing; `dht` dials only the withholder
 * (and hangs up on the holder if the topology linked them), so the blocks come only once
 * the fetch has found the holder among the DHT's providers and dialled it: a fallback.
 */
export type FallbackPath = 'connected' | 'dht'

/** What the install of the withheld package did. */
export interface InstallFigures {
  via: FallbackPath
  succeeded: boolean
  error: string | null
  ms: number
  filesEqual: boolean
  /**
   * Who was asked, as far as it is observable: the withholder counts the wants it dropped,
   * the others are known by the blocks they sent (arrivals: a block sent twice counts twice).
   */
  wantsDroppedByWithholder: number
  blocksFromHolder: number
  blocksFromWithholder: number
  blocksFromOthers: number
  /** True when the installer was connected to the holder only after the install began. */
  holderDialledDuringInstall: boolean
  /** Times the installer's connection to the holder closed during the install. */
  holderDisconnects: number
}

/** The withheld package: its release, content, where its files are, and the wants its withholder dropped. */
export interface WithheldPackage {
  id: string
  record: string
  cid: string
  dir: string
  dropped: Map<string, number>
}

/**
 * The withholder stops serving, then publishes a real package drawn from `rng` (its files
 * under `root`); `holder` gets the release and its content from a bundle the withholder
 * exported (offline, before anyone asked), as a mirror would, and provides it in the DHT.
 */
export async function publishWithheld(
  withholder: SimNode,
  holder: SimNode,
  id: string,
  rng: Prng,
  root: string,
): Promise<WithheldPackage> {
  const dropped = await withhold(withholder)
  const dir = join(root, 'withheld-package')
  await writeSimPackage(dir, id, rng)
  const published = await withholder.node.publish(dir)
  const bundle = join(root, 'withheld.bundle')
  await withholder.node.exportBundle({ file: bundle, ids: [published.id] })
  // The holder provides the content itself once the import has stored its blocks.
  await holder.node.importBundle(bundle)
  return { id: published.id, record: published.record, cid: published.cid, dir, dropped }
}

/** `installer` installs the withheld package into `dir`, meeting the holder `via` a path (FallbackPath). */
export async function installWithheld(
  installer: SimNode,
  withholder: SimNode,
  holder: SimNode,
  pkg: WithheldPackage,
  dir: string,
  via: FallbackPath,
): Promise<InstallFigures> {
  const senders = await blockSenders(installer)
  const linkedToHolder = (): boolean =>
    installer.net.libp2p.getPeers().some((p) => p.toString() === holder.node.peerId)
  let error: string | null = null
  let filesEqual = false
  let ms = 0
  let holderDialledDuringInstall = false
  let holderDisconnects = 0
  try {
    // Connected and known to speak Bitswap (identify done), so the first wants reach it.
    await installer.net.connect(withholder.addr).catch(() => {})
    await waitForBitswap(installer, withholder)
    if (via === 'connected') {
      await installer.net.connect(holder.addr).catch(() => {})
      await waitForBitswap(installer, holder)
    } else {
      // The holder's provide runs in the background after its import: wait until it is findable.
      await waitForProvider(installer, holder, pkg.cid)
      // Then cut any link to the holder, the topology's or one the DHT query opened.
      const holderId = installer.net.libp2p.getPeers().find((p) => p.toString() === holder.node.peerId)
      if (holderId !== undefined) await installer.net.libp2p.hangUp(holderId)
      if (linkedToHolder()) throw new Error(`${installer.name} is still connected to ${holder.name}`)
    }
    const before = linkedToHolder()
    const started = performance.now()
    const onDisconnect = (evt: CustomEvent<PeerId>): void => {
      if (evt.detail.toString() === holder.node.peerId) holderDisconnects++
    }
    installer.net.libp2p.addEventListener('peer:disconnect', onDisconnect)
    const result = await installer.node.install({ specs: [pkg.id], dir }).finally(() => {
      ms = Math.round(performance.now() - started)
      installer.net.libp2p.removeEventListener('peer:disconnect', onDisconnect)
    })
    holderDialledDuringInstall = !before && linkedToHolder()
    const path = result.installed[0]?.path
    filesEqual = path !== undefined && isDeepStrictEqual(await fileDigests(path), await fileDigests(pkg.dir))
  } catch (err) {
    error = (err as Error).message
  }
  const from = (sim: SimNode): number => senders.get(sim.node.peerId) ?? 0
  const all = [...senders.values()].reduce((a, b) => a + b, 0)
  return {
    via,
    succeeded: error === null,
    error,
    ms,
    filesEqual,
    wantsDroppedByWithholder: pkg.dropped.get(installer.node.peerId) ?? 0,
    blocksFromHolder: from(holder),
    blocksFromWithholder: from(withholder),
    blocksFromOthers: all - from(holder) - from(withholder),
    holderDialledDuringInstall,
    holderDisconnects,
  }
}

/** Waits (30 s at most) until `sim`'s DHT names `provider` among the providers of `cid`. */
async function waitForProvider(sim: SimNode, provider: SimNode, cid: string): Promise<void> {
  const deadline = performance.now() + 30_000
  const root = CID.parse(cid)
  while (performance.now() < deadline) {
    try {
      const signal = AbortSignal.timeout(5_000)
      for await (const found of sim.net.libp2p.contentRouting.findProviders(root, { signal }))
        if (found.id.toString() === provider.node.peerId) return
    } catch {
      // timed out or ran out of peers: ask again
    }
    await new Promise((r) => setTimeout(r, 200))
  }
  throw new Error(`${provider.name} was not found as a provider of ${cid} within 30 s`)
}

/** Bitswap's protocol, as identify reports it. */
const BITSWAP_PROTOCOL = '/ipfs/bitswap/1.2.0'

/** Waits (10 s at most) until `sim` is connected to `peer` and has learnt by identify that it speaks Bitswap. */
async function waitForBitswap(sim: SimNode, peer: SimNode): Promise<void> {
  const deadline = performance.now() + 10_000
  for (;;) {
    const id = sim.net.libp2p.getPeers().find((p) => p.toString() === peer.node.peerId)
    const known = id === undefined ? undefined : await sim.net.libp2p.peerStore.get(id).catch(() => undefined)
    if (known?.protocols.includes(BITSWAP_PROTOCOL)) return
    if (performance.now() > deadline)
      throw new Error(`${sim.name} did not see ${peer.name} speak Bitswap within 10 s`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `size` random bytes: junk, or an oversized message when larger than the cap. */
export function junk(rng: Prng, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = rng.int(256)
  return bytes
}

function withoutUndefined<T extends object>(body: T): T {
  return Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as T
}
