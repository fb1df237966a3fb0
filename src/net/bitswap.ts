/**
 * Content over the network (SPEC 7): plugs a Bitswap block broker, over this node's libp2p,
 * into the content store's Helia. From then on a block install reads and does not hold is
 * fetched from peers (and checked against its CID by Helia before it is stored), and
 * blocks this node holds are served to peers that want them. The blockstore keeps the same
 * interface, so install and verify do not change.
 */
import { withBitswap } from '@helia/bitswap'
import type { BlockBroker, Helia } from '@helia/interface'
import type { Libp2p } from '@libp2p/interface'
import { base64 } from 'multiformats/bases/base64'
import { CID } from 'multiformats/cid'

/** A broker plugged into a Helia node; `detach()` stops it and takes it out. */
export interface AttachedBitswap {
  detach(): Promise<void>
}

interface Mixin {
  start(helia: unknown): Promise<void>
}

/**
 * Adds Bitswap to an already started Helia. `withBitswap` only acts while a Helia node
 * starts, so it is run against a stand-in that lends it this Helia's parts and libp2p.
 */
export async function attachBitswap(helia: Helia, libp2p: Libp2p): Promise<AttachedBitswap> {
  let mixin: Mixin | undefined
  let broker: (BlockBroker & { stop?(): Promise<void> }) | undefined
  const standIn = {
    libp2p,
    blockstore: helia.blockstore,
    routing: helia.routing,
    logger: helia.logger,
    getHasher: helia.getHasher,
    status: 'starting',
    hasBlockBroker: () => false,
    addBlockBroker: (b: BlockBroker) => {
      broker = b
    },
    addMixin: (m: Mixin) => {
      mixin = m
    },
  }
  withBitswap(standIn as unknown as Parameters<typeof withBitswap>[0])
  await mixin?.start(standIn)
  if (broker === undefined) throw new Error('@helia/bitswap did not create its block broker')
  const started = broker
  serveRepeatedWants(started)
  helia.addBlockBroker(started)
  return {
    detach: async () => {
      const brokers = (helia as unknown as { blockBrokers?: BlockBroker[] }).blockBrokers
      const at = brokers?.indexOf(started) ?? -1
      if (at >= 0) brokers?.splice(at, 1)
      await started.stop?.()
    },
  }
}

interface WantEntry {
  status: string
}
interface PeerWantLists {
  ledgerMap: { get(peer: unknown): { wants: Map<string, WantEntry> } | undefined }
  receiveMessage(
    peer: unknown,
    message: { wantlist?: { entries: { cid: Uint8Array; cancel?: boolean }[] } },
  ): void
}

/**
 * @helia/bitswap (4.x) never sends the cancel a received block should produce, so the
 * serving side keeps the want as 'sent' and folds a later want of the same block into it:
 * a peer that lost a block (evicted as damaged, or an install resumed) would wait for ever.
 * A want for a block already sent is a new want here, so the 'sent' entry is dropped first.
 */
function serveRepeatedWants(broker: BlockBroker): void {
  const lists = (broker as unknown as { bitswap?: { peerWantLists?: PeerWantLists } }).bitswap?.peerWantLists
  if (lists === undefined) return
  const receive = lists.receiveMessage.bind(lists)
  lists.receiveMessage = (peer, message) => {
    const wants = lists.ledgerMap.get(peer)?.wants
    for (const entry of message.wantlist?.entries ?? []) {
      if (wants === undefined || entry.cancel === true) continue
      const key = base64.baseEncode(CID.decode(entry.cid).multihash.bytes)
      if (wants.get(key)?.status === 'sent') wants.delete(key)
    }
    receive(peer, message)
  }
}
