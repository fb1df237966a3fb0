/**
 * verify: re-hash every installed package against ggen.lock. A package whose files hash to
 * the locked CID is intact; otherwise the files that differ are named, using the locked
 * DAG when the local store has it.
 */
import { stat } from 'node:fs/promises'
import { CID } from 'multiformats/cid'
import { type ContentStore, hashDirectory, listDag, scanPackageDir } from '../content/index.js'
import { UsageError } from '../domain/errors.js'
import { lockfilePath, readLockfile } from '../resolve/index.js'
import type { Mismatch, VerifyResult } from './api.js'
import { packageDir } from './install.js'

/** Verifies the installs of the project in `dir`. */
export async function verifyInstall(content: ContentStore, dir: string): Promise<VerifyResult> {
  const lock = await readLockfile(dir)
  if (lock === undefined)
    throw new UsageError(`no ggen.lock in ${dir}; nothing to verify (run \`ggen-market install\` first)`)
  const mismatches: Mismatch[] = []
  for (const pin of lock.packs) {
    const root = packageDir(dir, pin.id)
    if (!(await stat(root).catch(() => undefined))?.isDirectory()) {
      mismatches.push({ id: pin.id, reason: 'missing', expected: pin.cid })
      continue
    }
    const scan = await scanPackageDir(root, { maxBytes: Number.MAX_SAFE_INTEGER })
    for (const p of scan.problems)
      mismatches.push({ id: pin.id, path: p.file, reason: 'modified', actual: p.reason })
    const hashed = await hashDirectory(scan.files)
    if (hashed.cid.toString() === pin.cid) continue
    const files = await lockedFiles(content, CID.parse(pin.cid))
    if (files === undefined) {
      mismatches.push({ id: pin.id, reason: 'cid', expected: pin.cid, actual: hashed.cid.toString() })
      continue
    }
    for (const [path, expected] of files) {
      const actual = hashed.fileCids.get(path)
      if (actual === undefined)
        mismatches.push({ id: pin.id, path, reason: 'missing', expected: expected.toString() })
      else if (actual.toString() !== expected.toString()) {
        mismatches.push({
          id: pin.id,
          path,
          reason: 'modified',
          expected: expected.toString(),
          actual: actual.toString(),
        })
      }
    }
    for (const path of hashed.fileCids.keys())
      if (!files.has(path)) mismatches.push({ id: pin.id, path, reason: 'added' })
    if (!mismatches.some((m) => m.id === pin.id)) {
      // same files, yet another root: the lockfile itself names a CID these files never had
      mismatches.push({ id: pin.id, reason: 'cid', expected: pin.cid, actual: hashed.cid.toString() })
    }
  }
  return { ok: mismatches.length === 0, lockfile: lockfilePath(dir), packages: lock.packs.length, mismatches }
}

/** The files of a locked package DAG, or undefined when the local store lacks its blocks. */
async function lockedFiles(content: ContentStore, cid: CID): Promise<Map<string, CID> | undefined> {
  try {
    const files = new Map<string, CID>()
    // Offline: verify judges the install against what this node holds; with a network it
    // would otherwise wait on Bitswap for a block no peer may have.
    for await (const entry of listDag(content, cid, { offline: true })) files.set(entry.path, entry.cid)
    return files
  } catch {
    return undefined
  }
}
