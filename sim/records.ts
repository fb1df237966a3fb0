/**
 * Records the simulator publishes: releases signed by a node's own key and stored as local
 * records, so that its announcer gossips them exactly as after `ggen-market publish`.
 */
import { CID } from 'multiformats/cid'
import { signRecord } from '../src/domain/records.js'
import type { RecordBlock, ReleaseBody } from '../src/domain/types.js'
import type { LocalNode } from '../src/node/local-node.js'
import { nextLogPosition } from '../src/node/log-position.js'

/** A placeholder content CID: record scenarios move records, not packages. */
export const SIM_CONTENT = CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq')

/** The body of the next release of `id@version` by `node`'s key. */
export function releaseBody(node: LocalNode, id: string, version: string, time = Date.now()): ReleaseBody {
  return {
    type: 'release',
    network: node.config.network,
    publisher: node.key.did,
    time,
    ...nextLogPosition(node.store, node.key.did),
    id,
    version,
    cid: SIM_CONTENT,
    size: 10,
    manifest: {
      id,
      name: `Package ${id}`,
      version,
      description: `simulated templates for ${id}`,
      license: 'MIT',
      authors: [],
      keywords: ['sim'],
      categories: [],
      dependencies: {},
      extra: {},
    },
  }
}

/** Signs and stores a release on `node` as a local record (the announcer gossips it); its CID. */
export function publishRelease(node: LocalNode, id: string, version: string): RecordBlock {
  const block = signRecord(releaseBody(node, id, version), node.key)
  node.ingest(block.bytes, { expectedCid: block.cid, source: 'local' })
  return block
}
