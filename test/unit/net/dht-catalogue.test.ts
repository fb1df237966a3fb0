/**
 * DhtCatalogue.provide and blocks that are not there yet: a bundle import stores a release's
 * record before its blocks, so the provide that the record sets off may find no root block.
 * With `awaitBlocks` it looks again until the block is stored; without, it gives up (content
 * a node does not hold is never announced). libp2p is reduced to the content routing call.
 */
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { DhtCatalogue } from '../../../src/net/dht-catalogue.js'
import type { NetNode } from '../../../src/net/libp2p-node.js'

const ROOT = 'bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq'

function catalogue(stored: Set<string>): { dht: DhtCatalogue; provided: string[] } {
  const provided: string[] = []
  const libp2p = {
    contentRouting: { provide: async (cid: CID) => void provided.push(cid.toString()) },
  } as unknown as NetNode
  const dht = new DhtCatalogue(libp2p, {
    network: 'ggen',
    ingest: () => {
      throw new Error('not used')
    },
    getRecord: () => undefined,
    hasBlock: async (cid) => stored.has(cid.toString()),
    warn: () => {},
  })
  return { dht, provided }
}

describe('DhtCatalogue.provide', () => {
  it('provides a bundle release once its root block is stored', async () => {
    const stored = new Set<string>()
    const { dht, provided } = catalogue(stored)
    await dht.provide(ROOT, { awaitBlocks: true })
    expect(provided).toEqual([])
    stored.add(ROOT)
    await new Promise((r) => setTimeout(r, 2_500))
    expect(provided).toEqual([CID.parse(ROOT).toString()])
    await dht.stop()
  })

  it('does not announce content it does not hold, and stops looking when stopped', async () => {
    const stored = new Set<string>()
    const { dht, provided } = catalogue(stored)
    await dht.provide(ROOT)
    await dht.provide(ROOT, { awaitBlocks: true })
    await dht.stop()
    stored.add(ROOT)
    await new Promise((r) => setTimeout(r, 2_500))
    expect(provided).toEqual([])
  })
})
