/**
 * Files that hold secrets (the publisher key, the peer key): created with mode 0600,
 * written to a temporary file, fsynced and renamed so a crash never leaves half a key, never
 * overwriting an existing file, and refused when group or others can read them, as ssh does.
 */
import { randomBytes } from 'node:crypto'
import { link, open, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { KeyError } from './errors.js'

/** Writes `data` to `file` (mode 0600) atomically; throws ERR_KEY_EXISTS if the file exists. */
export async function writeSecretFile(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = join(dirname(file), `.${randomBytes(6).toString('hex')}.tmp`)
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    // link() fails with EEXIST instead of replacing, which rename() would do silently.
    await link(tmp, file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KeyError('ERR_KEY_EXISTS', `${file} already exists; ggen-market never overwrites a key`, {
        file,
      })
    }
    throw err
  } finally {
    await unlink(tmp).catch(() => {})
  }
  const dir = await open(dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** Throws ERR_KEY_MISSING or ERR_KEY_PERMISSIONS (with the chmod that fixes it). */
export async function assertPrivateMode(file: string): Promise<void> {
  let mode: number
  try {
    mode = (await stat(file)).mode
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeyError('ERR_KEY_MISSING', `no key at ${file}; create one with \`ggen-market init\``, {
        file,
      })
    }
    throw err
  }
  if ((mode & 0o077) !== 0) {
    const octal = (mode & 0o777).toString(8).padStart(4, '0')
    throw new KeyError(
      'ERR_KEY_PERMISSIONS',
      `key file ${file} is accessible by group or others (mode ${octal}); run: chmod 600 ${file}`,
      { file, mode: octal },
    )
  }
}
