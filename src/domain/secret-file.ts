/**
 * Files that hold secrets (the publisher key, the libp2p peer key): created with mode 0600,
 * never overwriting an existing file, written so that a crash leaves no half key, and
 * refused when group or others may read or write them, as ssh does.
 */
import { constants } from 'node:fs'
import { link, mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { KeyError } from './errors.js'

/**
 * Writes `data` to a new file with mode 0600. The data is written and synced under a
 * temporary name, then hard-linked into place: link fails if the target exists (KeyError
 * ERR_KEY_EXISTS), which rename would not, and a crash leaves no file or a whole one.
 */
export async function writeSecretFile(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path)
  await mkdir(dir, { recursive: true, mode: 0o700 })
  const temp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.tmp`)
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await unlink(temp).catch(() => {})
    throw err
  }
  await handle.close()
  try {
    await placeWithoutReplacing(temp, path)
  } finally {
    await unlink(temp).catch(() => {})
  }
  await syncDir(dir)
}

/**
 * Reads a secret file after checking its mode: ERR_KEY_MISSING (with how to create one),
 * ERR_KEY_PERMISSIONS (with the chmod that fixes it). `what` names the key in messages.
 */
export async function readSecretFile(path: string, what: string): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, constants.O_RDONLY)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeyError('ERR_KEY_MISSING', `no ${what} at ${path}; run \`ggen-market init\` to create one`, {
        path,
      })
    }
    throw err
  }
  try {
    const { mode } = await handle.stat()
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0')
      const how = mode & 0o044 ? 'readable' : mode & 0o022 ? 'writable' : 'accessible'
      throw new KeyError(
        'ERR_KEY_PERMISSIONS',
        `key file ${path} is ${how} by others (mode ${octal}); run: chmod 600 ${path}`,
        { path, mode: octal },
      )
    }
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

async function placeWithoutReplacing(temp: string, path: string): Promise<void> {
  const exists = () =>
    new KeyError('ERR_KEY_EXISTS', `a key file already exists at ${path}; it was left unchanged`, { path })
  try {
    await link(temp, path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') throw exists()
    // Some file systems have no hard links; claim the name with O_EXCL, then rename over
    // the empty placeholder (a crash here can leave an empty file, which reads as invalid).
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err
    const placeholder = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      0o600,
    ).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'EEXIST' ? exists() : e
    })
    await placeholder.close()
    await rename(temp, path)
  }
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new name durable; not possible on every platform, and harmless to skip.
  const handle = await open(dir, constants.O_RDONLY).catch(() => undefined)
  if (handle === undefined) return
  await handle.sync().catch(() => {})
  await handle.close()
}
