/** An in-memory catalogue and release builder for the resolve tests. */
import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { Catalogue, VersionEntry } from '../../../src/domain/catalogue.js'

/** Publisher keys with distinct 8-character fingerprints. */
export const ALICE = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGtaAL1CE111'
export const BOB = 'did:key:z6MkpTHR8VNsBxYAAWHut2Geadd9jSwuBV8xRoAnwWsdBoBB2222'
export const CAROL = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDCARo3333'
/** A key that rotated its ids to CAROL. */
export const CAROL_OLD = 'did:key:z6MktwupdmLXVVqTzCw4i46r4uGyosGXRnR3XjN4Zq7oLD4444'

/** A deterministic, well-formed CID string for `seed`. */
export function cidOf(seed: string, codec = 0x70): string {
  const hash = createHash('sha256').update(seed).digest()
  return CID.createV1(codec, createDigest(0x12, hash)).toString()
}

/** Options of {@link release}. */
export interface ReleaseOptions {
  publisher?: string
  owner?: string
  deps?: Record<string, string>
  yanked?: boolean
  conflicted?: boolean
  /** Seed for the content CID; distinct seeds make distinct contents. */
  content?: string
  published?: number
}

/** One release as the store would list it. */
export function release(id: string, version: string, opts: ReleaseOptions = {}): VersionEntry {
  const publisher = opts.publisher ?? ALICE
  const content = opts.content ?? `${id}@${version}`
  return {
    id,
    version,
    cid: cidOf(`content:${content}`),
    record: cidOf(`record:${id}@${version}:${publisher}:${content}`, 0x71),
    publisher,
    owner: opts.owner ?? publisher,
    published: opts.published ?? 1_700_000_000_000,
    size: 100,
    manifest: {
      id,
      name: id,
      version,
      description: `the ${id} package`,
      license: 'MIT',
      authors: [],
      keywords: [],
      categories: [],
      dependencies: opts.deps ?? {},
      extra: {},
    },
    yanked: opts.yanked ?? false,
    conflicted: opts.conflicted ?? false,
  }
}

/** A catalogue over a fixed list of releases. */
export function catalogueOf(entries: readonly VersionEntry[]): Catalogue {
  return { versions: (id) => entries.filter((e) => e.id === id) }
}
