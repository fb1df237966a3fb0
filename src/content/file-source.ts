/**
 * Streams one scanned file from disk into the importer, a chunk at a time, so packing a
 * large package never holds a whole file in memory. The file is opened without following
 * symlinks and must still be the regular file of the size the scan saw: a file swapped
 * for a symlink, or edited, between scan and pack fails the publish instead of signing
 * content nobody checked.
 */
import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { ContentError } from '../domain/errors.js'
import { CHUNK_SIZE } from './dag-options.js'
import type { PackFile } from './scan.js'

/** `O_NOFOLLOW` where the platform has it (not on Windows, where symlinks need privileges). */
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0

/** Yields the bytes of `file`, checking it against the scan; see the module comment. */
export async function* readPackFile(file: PackFile, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(file.absPath, constants.O_RDONLY | NO_FOLLOW)
  } catch (err) {
    throw readFailed(file, err)
  }
  try {
    if (!(await handle.stat()).isFile()) throw changed(file, 'is no longer a regular file')
    let read = 0
    for (;;) {
      signal?.throwIfAborted()
      // A fresh buffer per read: the importer keeps references to the chunks it is given.
      // One byte more than expected is asked for, to notice a file that grew.
      const buf = new Uint8Array(Math.min(CHUNK_SIZE, Math.max(file.size - read, 0) + 1))
      const { bytesRead } = await handle.read(buf, 0, buf.byteLength, null).catch((err: unknown) => {
        throw readFailed(file, err)
      })
      if (bytesRead === 0) break
      read += bytesRead
      if (read > file.size) throw changed(file, 'grew')
      yield bytesRead === buf.byteLength ? buf : buf.subarray(0, bytesRead)
    }
    if (read !== file.size) throw changed(file, 'shrank')
  } finally {
    await handle.close()
  }
}

function changed(file: PackFile, how: string): ContentError {
  return new ContentError(
    'ERR_CONTENT_CHANGED',
    `${file.path} ${how} while it was being packed; wait for whatever is writing it to finish, then publish again`,
    { path: file.path },
  )
}

function readFailed(file: PackFile, err: unknown): ContentError {
  const code = (err as NodeJS.ErrnoException).code
  const reason =
    code === 'ELOOP' ? 'it was replaced by a symbolic link' : err instanceof Error ? err.message : String(err)
  return new ContentError('ERR_CONTENT_READ', `cannot read ${file.path}: ${reason}`, {
    path: file.path,
    code,
  })
}
