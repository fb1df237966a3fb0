/**
 * Realistic package directories for benchmarks: mostly small text templates in nested
 * directories, a tail of bigger files, some binary assets, sizes with a long-tailed
 * (log-normal-ish) spread scaled to a total.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Writes `count` files totalling `total` bytes under `root`, and `manifest` as its gpack.toml. */
export async function generatePackage(
  root: string,
  count: number,
  total: number,
  manifest: string,
): Promise<void> {
  const weights = Array.from({ length: count }, () => Math.exp(gaussian() * 1.6))
  const scale = total / weights.reduce((a, b) => a + b, 0)
  const sizes = weights.map((w) => Math.max(1, Math.floor(w * scale)))
  const largest = sizes.indexOf(Math.max(...sizes))
  sizes[largest]! += total - sizes.reduce((a, b) => a + b, 0)
  for (const [i, size] of sizes.entries()) {
    const binary = i % 10 === 0
    const path = join(root, `dir-${i % 12}`, `sub-${i % 5}`, `file-${i}.${binary ? 'bin' : 'tmpl'}`)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, binary ? randomBytes(size) : text(size))
  }
  await writeFile(join(root, 'gpack.toml'), manifest)
}

const WORDS =
  'fn struct impl pub let mut match self use mod crate {{ name }} {{ description }} {% for %} {% endfor %} clap Subcommand Args Parser derive Debug Clone String Vec Option Result Ok Err'.split(
    ' ',
  )

function text(size: number): Buffer {
  const picks = randomBytes(Math.ceil(size / 4))
  const parts: string[] = []
  let length = 0
  for (let i = 0; length < size; i = (i + 1) % picks.length) {
    const word = `${WORDS[picks[i]! % WORDS.length]!}${picks[i]! % 9 === 0 ? '\n' : ' '}`
    parts.push(word)
    length += word.length
  }
  return Buffer.from(parts.join('').slice(0, size))
}

function gaussian(): number {
  return Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random())
}
