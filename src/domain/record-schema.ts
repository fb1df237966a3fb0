/**
 * The wire schema of signed records (SPEC 4): exactly which keys and values a decoded
 * envelope may hold. Records come from untrusted peers, so every object is strict (an
 * unknown key is an error, not ignored) and every failure names the field it is about.
 */
import { CID } from 'multiformats/cid'
import semver from 'semver'
import { z } from 'zod'
import { InvalidRecordError } from './errors.js'
import { publicKeyFromDid } from './keys.js'
import type { SignedRecord } from './types.js'
import { PACKAGE_ID_RE } from './types.js'

/** Multicodec and multihash codes of a record id: CIDv1, dag-cbor, sha2-256. */
export const DAG_CBOR_CODE = 0x71
export const SHA2_256_CODE = 0x12

/** Longest yank reason, in characters. */
export const MAX_YANK_REASON = 1024

/**
 * Public keys of the did:keys seen valid so far, by did. A node sees the same few publishers
 * again and again, and decoding a did's base58 costs more than the rest of the header
 * check; the signature check needs the key bytes too. The cap bounds memory when a peer
 * sends records from many throwaway keys (oldest entries go first).
 */
const DID_CACHE_MAX = 1024
const didKeys = new Map<string, Uint8Array>()

/**
 * The 32-byte public key an Ed25519 did:key names, or undefined when `did` is not one.
 * The bytes are shared: callers must not change them.
 */
export function publisherKeyBytes(did: string): Uint8Array | undefined {
  const hit = didKeys.get(did)
  if (hit !== undefined) return hit
  let key: Uint8Array
  try {
    key = publicKeyFromDid(did)
  } catch {
    return undefined
  }
  if (didKeys.size >= DID_CACHE_MAX) didKeys.delete(didKeys.keys().next().value as string)
  didKeys.set(did, key)
  return key
}

const cid = z.custom<CID>((v) => CID.asCID(v) !== null, { message: 'must be a CID' })
const recordId = z.custom<CID>(
  (v) => {
    const c = CID.asCID(v)
    return c !== null && c.version === 1 && c.code === DAG_CBOR_CODE && c.multihash.code === SHA2_256_CODE
  },
  { message: 'must be a record id (CIDv1, dag-cbor, sha2-256)' },
)
const did = z
  .string({ error: 'must be a string' })
  .refine((v) => publisherKeyBytes(v) !== undefined, { message: 'must be an Ed25519 did:key' })
const text = z.string({ error: 'must be a string' })
const packageId = text.regex(PACKAGE_ID_RE, { message: `must match ${PACKAGE_ID_RE}` })
const version = text.refine(isCanonicalSemver, { message: 'must be a semver 2.0 version such as 1.2.3' })
const safeInt = z.int({ error: 'must be a safe integer' })

/** True for a valid semver written in its canonical form (no `v` prefix, no spaces). */
function isCanonicalSemver(v: string): boolean {
  const parsed = semver.parse(v)
  if (parsed === null) return false
  const build = parsed.build.length > 0 ? `+${parsed.build.join('.')}` : ''
  return parsed.version + build === v
}

const manifest = z.strictObject({
  id: packageId,
  name: text,
  version,
  description: text,
  license: text,
  authors: z.array(text),
  keywords: z.array(text),
  categories: z.array(text),
  repository: text.optional(),
  homepage: text.optional(),
  ggen_compat: text.optional(),
  dependencies: z.record(
    packageId,
    text.refine((r) => semver.validRange(r) !== null, 'must be a semver range'),
  ),
  extra: z.record(text, z.unknown()),
})

const header = {
  network: text.min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
  publisher: did,
  time: safeInt.min(0, 'must not be negative'),
  seq: safeInt.min(1, 'must be 1 or more'),
  prev: recordId.optional(),
}

/** `prev` links to the previous record of the log, so it is there exactly when seq > 1. */
function checkPrev(body: { seq: number; prev?: CID | undefined }, ctx: z.RefinementCtx): void {
  if (body.seq > 1 && body.prev === undefined) {
    ctx.addIssue({ code: 'custom', path: ['prev'], message: 'is required when seq > 1' })
  }
  if (body.seq === 1 && body.prev !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['prev'], message: 'must be absent when seq is 1' })
  }
}

const release = z
  .strictObject({
    ...header,
    type: z.literal('release'),
    id: packageId,
    version,
    cid,
    size: safeInt.min(0, 'must not be negative'),
    manifest,
  })
  .superRefine((body, ctx) => {
    checkPrev(body, ctx)
    if (body.manifest.id !== body.id) {
      ctx.addIssue({
        code: 'custom',
        path: ['manifest', 'id'],
        message: `must equal the record's id ${body.id}`,
      })
    }
    if (body.manifest.version !== body.version) {
      ctx.addIssue({
        code: 'custom',
        path: ['manifest', 'version'],
        message: `must equal the record's version ${body.version}`,
      })
    }
  })

const yank = z
  .strictObject({
    ...header,
    type: z.literal('yank'),
    id: packageId,
    version,
    reason: text.max(MAX_YANK_REASON, `must be at most ${MAX_YANK_REASON} characters`),
  })
  .superRefine(checkPrev)

const rotation = z
  .strictObject({ ...header, type: z.literal('rotation'), id: packageId, to: did })
  .superRefine((body, ctx) => {
    checkPrev(body, ctx)
    if (body.to === body.publisher) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be a different key than the publisher' })
    }
  })

const envelope = z.strictObject({
  body: z.discriminatedUnion('type', [release, yank, rotation]),
  sig: z
    .instanceof(Uint8Array, { message: 'must be bytes' })
    .refine((s) => s.length === 64, 'must be a 64-byte Ed25519 signature'),
})

/** Checks a decoded envelope against the schema; throws InvalidRecordError naming the first bad field. */
export function parseEnvelope(value: unknown): SignedRecord {
  const result = envelope.safeParse(value)
  if (result.success) return result.data as SignedRecord
  const issue = result.error.issues[0]!
  const at = issue.path.map(String).join('.')
  let field = at || '(envelope)'
  let reason = issue.message
  if (issue.code === 'unrecognized_keys') {
    field = issue.keys.map((k) => (at ? `${at}.${k}` : k)).join(', ')
    reason = `unknown field${issue.keys.length > 1 ? 's' : ''}`
  } else if (issue.code === 'invalid_union') {
    field = at.endsWith('type') ? at : `${at}.type`
    reason = 'must be "release", "yank" or "rotation"'
  } else if (issue.path.length === 0) {
    reason = 'must be a map {body, sig}'
  } else if (issue.code === 'invalid_type' && valueAt(value, issue.path) === undefined) {
    reason = 'is required'
  }
  return throwAt(field, reason, result.error.issues.length)
}

function throwAt(field: string, reason: string, count: number): never {
  const more = count > 1 ? ` (and ${count - 1} more problem${count > 2 ? 's' : ''})` : ''
  throw new InvalidRecordError(`${field} ${reason}${more}`, { field })
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value
  for (const key of path) {
    if (at === null || typeof at !== 'object' || !Object.hasOwn(at, key)) return undefined
    at = (at as Record<PropertyKey, unknown>)[key]
  }
  return at
}
