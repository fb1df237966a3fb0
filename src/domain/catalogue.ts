/**
 * The read model of the catalogue, as the store produces it and as search, resolution and
 * the CLI consume it. Plain data with CIDs as strings, so it crosses the IPC socket as JSON.
 */
import type { Manifest } from './types.js'

/** One release of one package by one publisher, as stored. */
export interface VersionEntry {
  id: string
  version: string
  /** UnixFS root CID of the package content (string form). */
  cid: string
  /** Record id (envelope CID) of the release record. */
  record: string
  /** The key that signed the release, `did:key:...`. */
  publisher: string
  /**
   * The key that owns this release's id today: the publisher, or the key the id was
   * handed to by a rotation record of the publisher (followed transitively).
   */
  owner: string
  /** Publish time claimed by the record, ms since the epoch. */
  published: number
  size: number
  manifest: Manifest
  yanked: boolean
  yankReason?: string
  /** True when the same publisher signed two different CIDs for this (id, version). */
  conflicted: boolean
}

/** The minimal read interface resolution needs. */
export interface Catalogue {
  /** Every stored release of `id`, any publisher, any state (yanked, conflicted). */
  versions(id: string): VersionEntry[]
}
