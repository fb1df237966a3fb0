/**
 * Signed release records for benchmarks: synthetic releases spread over `publishers`
 * keys, each key with its own hash-linked log (seq/prev), all pointing at one content CID.
 */
import { CID } from 'multiformats/cid'
import { generatePublisherKey, type PublisherKey } from '../../src/domain/keys.js'
import { signRecord } from '../../src/domain/records.js'
import type { ReleaseBody } from '../../src/domain/types.js'
import { syntheticReleases } from './synthetic.js'

const CONTENT = CID.parse('bafybeid3hdtxez34fts5fhhatcsitglnq2gm3myuvyzwlktpskdwwa7mlq')

/** `count` encoded signed release records for `network`. */
export function signedReleaseRecords(
  count: number,
  options: { network?: string; seed?: number; publishers?: number } = {},
): Uint8Array[] {
  const keys: PublisherKey[] = Array.from({ length: options.publishers ?? 100 }, () => generatePublisherKey())
  const heads = new Map<string, { seq: number; cid: CID }>()
  return syntheticReleases(count, { seed: options.seed ?? 7, sharedIdRate: 0 }).map((r, i) => {
    const key = keys[i % keys.length]!
    const head = heads.get(key.did)
    const body: ReleaseBody = {
      type: 'release',
      network: options.network ?? 'ggen',
      publisher: key.did,
      time: Date.now(),
      seq: (head?.seq ?? 0) + 1,
      ...(head ? { prev: head.cid } : {}),
      id: r.id,
      version: r.version,
      cid: CONTENT,
      size: 4096,
      manifest: { ...r.manifest, dependencies: {} },
    }
    const block = signRecord(body, key)
    heads.set(key.did, { seq: body.seq, cid: block.cid })
    return block.bytes
  })
}
