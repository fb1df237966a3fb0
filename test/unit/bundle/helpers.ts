/**
 * Fixtures of the bundle tests: real homes (initHome + LocalNode), package directories
 * with dependencies, and CAR surgery for the hostile-bundle cases (done with @ipld/car's
 * own reader and writer, not the project's code path).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CarReader } from '@ipld/car/reader'
import { CarWriter } from '@ipld/car/writer'
import type { CID } from 'multiformats/cid'
import { initHome } from '../../../src/node/init.js'
import { LocalNode } from '../../../src/node/local-node.js'

/** A temp directory and its cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ggen-bundle-'))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

/** Creates a home at `root` and opens it. */
export async function openHome(root: string): Promise<LocalNode> {
  await initHome(root)
  return LocalNode.open(root, {})
}

/** One package to write: id, version, dependencies and files besides the manifest. */
export interface PackageSpec {
  id: string
  version: string
  description?: string
  keywords?: string[]
  dependencies?: Record<string, string>
  files?: Record<string, string | Uint8Array>
}

/** Writes a gpack directory for `spec` under `parent`; returns its path. */
export async function writePackage(parent: string, spec: PackageSpec): Promise<string> {
  const dir = join(parent, `${spec.id}-${spec.version}`)
  await mkdir(dir, { recursive: true })
  const deps = Object.entries(spec.dependencies ?? {})
    .map(([id, range]) => `"${id}" = "${range}"`)
    .join('\n')
  await writeFile(
    join(dir, 'gpack.toml'),
    `[gpack]
id = "${spec.id}"
name = "${spec.id} templates"
version = "${spec.version}"
description = "${spec.description ?? `Templates for ${spec.id}`}"
license = "MIT"
keywords = [${(spec.keywords ?? []).map((k) => `"${k}"`).join(', ')}]

[dependencies]
${deps}

[templates]
patterns = ["*.tmpl"]
`,
  )
  await writeFile(join(dir, 'README.md'), `# ${spec.id}\n`)
  const files = spec.files ?? { 'main.tmpl': `{{ name }} from ${spec.id}@${spec.version}\n` }
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true })
    await writeFile(join(dir, path), content)
  }
  return dir
}

/** Publishes every spec from `node`, in order. */
export async function publishAll(
  node: LocalNode,
  parent: string,
  specs: readonly PackageSpec[],
): Promise<void> {
  for (const spec of specs) await node.publish(await writePackage(parent, spec))
}

/** How many blocks a home's content store holds on disk. */
export async function blockCount(home: string): Promise<number> {
  const dir = join(home, 'content', 'blocks')
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile() && e.name.endsWith('.data')).length
}

/** A CAR file's roots and blocks, read with @ipld/car's CarReader. */
export async function readCar(
  file: string,
): Promise<{ roots: CID[]; blocks: { cid: CID; bytes: Uint8Array }[] }> {
  const reader = await CarReader.fromBytes(await readFile(file))
  const blocks: { cid: CID; bytes: Uint8Array }[] = []
  for await (const block of reader.blocks()) blocks.push({ cid: block.cid, bytes: block.bytes })
  return { roots: await reader.getRoots(), blocks }
}

/** Writes a CAR file with @ipld/car's CarWriter. */
export async function writeCar(
  file: string,
  roots: CID[],
  blocks: readonly { cid: CID; bytes: Uint8Array }[],
): Promise<void> {
  const { writer, out } = CarWriter.create(roots)
  const chunks: Uint8Array[] = []
  const drained = (async () => {
    for await (const chunk of out) chunks.push(chunk)
  })()
  for (const block of blocks) await writer.put(block)
  await writer.close()
  await drained
  await writeFile(file, Buffer.concat(chunks))
}
