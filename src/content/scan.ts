/**
 * Walks a package directory and lists the files a publish would pack, checking SPEC 3's
 * content guards on the way: no symlink (even one pointing inside the package: the DAG
 * would carry a link the installer must then trust), no device, FIFO or socket, no path
 * outside the root, and size limits. Problems are reported, not thrown, so the publish
 * flow can show them together with the manifest's.
 *
 * Version-control and install metadata (`SKIPPED_NAMES`: `.git`, `.hg`, `.svn`, `.ggen`)
 * is skipped wherever it appears: users expect `git` history not to be published, and a
 * package's own `.ggen/` holds what it installed, not what it ships. Empty directories are
 * not represented in the DAG, so they are not listed either.
 */
import { constants } from 'node:fs'
import { access, lstat, readdir, readlink, realpath } from 'node:fs/promises'
import { isAbsolute, join, relative } from 'node:path'
import type { Problem } from '../domain/errors.js'

/** The default `max_package_bytes`: total size of a package's files. */
export const DEFAULT_MAX_PACKAGE_BYTES = 64 * 1024 * 1024

/** The default `max_package_files`: how many files a package may have. */
export const DEFAULT_MAX_PACKAGE_FILES = 10_000

/** Directory entries never published, at any depth; see the module comment. */
export const SKIPPED_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn', '.ggen'])

/** One regular file to pack. */
export interface PackFile {
  /** Path relative to the package root, '/'-separated. */
  path: string
  /** Absolute path on disk. */
  absPath: string
  /** Size in bytes when scanned. */
  size: number
}

/** Limits of a scan. */
export interface ScanOptions {
  /** Most bytes of file content. @default DEFAULT_MAX_PACKAGE_BYTES */
  maxBytes?: number
  /** Most files; the walk stops once it is exceeded. @default DEFAULT_MAX_PACKAGE_FILES */
  maxFiles?: number
  signal?: AbortSignal
}

/** What a scan found. */
export interface ScanResult {
  /** Regular files, sorted by `path`. */
  files: PackFile[]
  totalBytes: number
  /** Every content guard that failed; empty when the directory can be published. */
  problems: Problem[]
  /** Relative paths left out on purpose (`SKIPPED_NAMES`). */
  skipped: string[]
}

/** Scans the package directory `root`; see the module comment. */
export async function scanPackageDir(root: string, options: ScanOptions = {}): Promise<ScanResult> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PACKAGE_BYTES
  const maxFiles = options.maxFiles ?? DEFAULT_MAX_PACKAGE_FILES
  const result: ScanResult = { files: [], totalBytes: 0, problems: [], skipped: [] }
  const problem = (file: string, reason: string): void => {
    result.problems.push({ file, field: 'content', reason })
  }

  let base: string
  try {
    base = await realpath(root)
    if (!(await lstat(base)).isDirectory()) {
      problem('.', `${root} is not a directory; publish takes the package's directory`)
      return result
    }
  } catch (err) {
    problem('.', `cannot read the package directory ${root}: ${errorText(err)}`)
    return result
  }

  const pending: string[] = ['']
  walk: while (pending.length > 0) {
    options.signal?.throwIfAborted()
    const dirRel = pending.pop()!
    let names: string[]
    try {
      names = (await readdir(join(base, dirRel))).sort()
    } catch (err) {
      problem(dirRel || '.', `cannot read this directory: ${errorText(err)}`)
      continue
    }
    const entries = names.map((name) => ({ name, rel: dirRel === '' ? name : `${dirRel}/${name}` }))
    // One directory's entries are examined concurrently (libuv runs the stats in parallel),
    // then handled in name order, so the result does not depend on timing.
    const kinds = await Promise.all(
      entries.map(({ name, rel }) => (SKIPPED_NAMES.has(name) ? undefined : classify(base, rel))),
    )
    for (const [i, { rel }] of entries.entries()) {
      const kind = kinds[i]
      if (kind === undefined) {
        result.skipped.push(rel)
        continue
      }
      switch (kind.type) {
        case 'directory':
          pending.push(rel)
          break
        case 'file':
          if (result.files.length >= maxFiles) {
            problem(
              '.',
              `the package has more than ${maxFiles} files; remove generated or vendored files, or raise max_package_files in the node config`,
            )
            break walk
          }
          result.files.push({ path: rel, absPath: join(base, rel), size: kind.size })
          result.totalBytes += kind.size
          break
        default:
          problem(rel, kind.reason)
      }
    }
  }

  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
  result.files.sort((a, b) => byPath(a.path, b.path))
  result.problems.sort((a, b) => byPath(a.file, b.file))
  result.skipped.sort()
  if (result.totalBytes > maxBytes) {
    problem(
      '.',
      `the package's files total ${formatBytes(result.totalBytes)} (${result.totalBytes} bytes), over the limit of ${formatBytes(maxBytes)}; remove large files (build output, archives) or raise max_package_bytes in the node config`,
    )
  }
  return result
}

type EntryKind = { type: 'directory' } | { type: 'file'; size: number } | { type: 'refused'; reason: string }

async function classify(base: string, rel: string): Promise<EntryKind> {
  const abs = join(base, rel)
  const back = relative(base, abs)
  if (back === '' || back.startsWith('..') || isAbsolute(back)) {
    return { type: 'refused', reason: 'resolves outside the package directory; rename it' }
  }
  try {
    const st = await lstat(abs)
    if (st.isSymbolicLink()) {
      const target = await readlink(abs).catch(() => '?')
      return {
        type: 'refused',
        reason: `is a symbolic link (to ${target}); symlinks are not published: replace it with a copy of what it points to`,
      }
    }
    if (st.isDirectory()) return { type: 'directory' }
    if (st.isFile()) {
      await access(abs, constants.R_OK)
      return { type: 'file', size: st.size }
    }
    const what = st.isFIFO()
      ? 'a FIFO (named pipe)'
      : st.isSocket()
        ? 'a socket'
        : st.isCharacterDevice()
          ? 'a character device'
          : st.isBlockDevice()
            ? 'a block device'
            : 'a special file'
    return { type: 'refused', reason: `is ${what}; only regular files and directories can be published` }
  } catch (err) {
    return { type: 'refused', reason: `cannot be read: ${errorText(err)}` }
  }
}

/** `64 MiB`, `1.5 KiB`, `12 bytes`. */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  const text = unit === 0 || Number.isInteger(value) ? String(value) : value.toFixed(1)
  return `${text} ${units[unit]}`
}

function errorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied'
  if (code === 'ENOENT') return 'it does not exist (or was removed during the scan)'
  return err instanceof Error ? err.message : String(err)
}
