/**
 * publish: validate a package directory, pack it into the content store, sign a release
 * record and ingest it. Every failing rule of the manifest and the content is reported at
 * once, and nothing is stored unless all of them pass.
 */

import type { ContentStore } from '../content/index.js'
import { packDirectory, scanPackageDir } from '../content/index.js'
import { ConflictError, ValidationError } from '../domain/errors.js'
import type { PublisherKey } from '../domain/keys.js'
import { readManifest } from '../domain/manifest.js'
import { signRecord } from '../domain/records.js'
import type { ReleaseBody } from '../domain/types.js'
import type { Store } from '../store/index.js'
import type { OperationOptions, PublishResult } from './api.js'
import { type IngestContext, ingestRecord } from './ingest.js'
import { nextLogPosition } from './log-position.js'

/** What publish needs from the node. */
export interface PublishContext {
  ingest: IngestContext
  store: Store
  content: ContentStore
  key: PublisherKey
  network: string
  maxPackageBytes: number
}

/** Publishes the package in `dir`; see the module comment. */
export async function publishPackage(
  ctx: PublishContext,
  dir: string,
  options: OperationOptions = {},
): Promise<PublishResult> {
  const read = await readManifest(dir)
  const scan = await scanPackageDir(dir, { maxBytes: ctx.maxPackageBytes })
  const problems = [...read.problems, ...scan.problems]
  if (problems.length > 0) throw new ValidationError(problems)
  const { manifest } = read

  const existing = ctx.store
    .versions(manifest.id)
    .find((v) => v.version === manifest.version && v.publisher === ctx.key.did)
  if (existing !== undefined) {
    throw new ConflictError(
      'ERR_VERSION_EXISTS',
      `${manifest.id}@${manifest.version} is already published by this key (content ${existing.cid}); versions are immutable, so bump "version" in ${read.file} and publish again`,
      { id: manifest.id, version: manifest.version, cid: existing.cid },
    )
  }

  options.signal?.throwIfAborted()
  const packed = await packDirectory(ctx.content, scan.files, options)
  options.signal?.throwIfAborted()

  const body: ReleaseBody = {
    type: 'release',
    network: ctx.network,
    publisher: ctx.key.did,
    time: Date.now(),
    ...nextLogPosition(ctx.store, ctx.key.did),
    id: manifest.id,
    version: manifest.version,
    cid: packed.cid,
    size: packed.size,
    manifest,
  }
  const block = await signRecord(body, ctx.key)
  ingestRecord(ctx.ingest, block.bytes, { expectedCid: block.cid, source: 'local' })

  const warnings = [...read.warnings]
  const others = ctx.store.claimants(manifest.id).filter((c) => c.owner !== ctx.key.did)
  if (others.length > 0) {
    warnings.push(
      `${manifest.id} is also claimed by ${others.map((c) => c.owner).join(', ')}; installs will ask users to choose a publisher`,
    )
  }
  return {
    id: manifest.id,
    version: manifest.version,
    cid: packed.cid.toString(),
    record: block.cid.toString(),
    publisher: ctx.key.did,
    size: packed.size,
    warnings,
  }
}
