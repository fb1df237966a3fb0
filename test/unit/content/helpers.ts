/** Shared fixtures of the content tests: temp dirs, package trees, block files on disk. */
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { NextToLast } from 'blockstore-fs/sharding'
import type { CID } from 'multiformats/cid'

/** A fresh temp dir and its cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-content-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Writes `files` (relative path -> content) under `root`. */
export async function writeTree(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true })
    await writeFile(join(root, path), content)
  }
}

/** Every regular file under `root`, relative path -> bytes (as hex digests, for short diffs). */
export async function readTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const abs = join(entry.parentPath, entry.name)
    out[relative(root, abs).split('\\').join('/')] = digest(await readFile(abs))
  }
  return out
}

/** sha256 hex of `bytes`. */
export function digest(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Deterministic pseudo-random bytes (xorshift), so fixtures are the same in every run. */
export function pseudoRandomBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** The file blockstore-fs keeps `cid` in, under a content store's `blocks/`. */
export function blockFile(storeDir: string, cid: CID): string {
  const { dir, file } = new NextToLast().encode(cid)
  return join(storeDir, 'blocks', dir, file)
}

/** The package fixture most tests use: nested dirs, an empty file, binary, a multi-chunk file. */
export function samplePackage(seed = 1): Record<string, string | Uint8Array> {
  return {
    'gpack.toml': '[gpack]\nid = "io.ggen.sample"\nversion = "0.1.0"\n',
    'README.md': '# Sample\n',
    'templates/empty.tmpl': '',
    'templates/nested/deep/x.tmpl': 'deep {{ name }}\n',
    'assets/logo.bin': pseudoRandomBytes(4097, seed),
    'data/big.bin': pseudoRandomBytes(1_000_000, seed + 1),
  }
}
