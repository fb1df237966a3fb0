/** The CAR file writer (atomic, standard) and the streaming reader (bounded, honest about damage). */
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CarReader } from '@ipld/car/reader'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CarReadError, CarStreamReader } from '../../../src/bundle/car-read.js'
import { CarFileWriter } from '../../../src/bundle/car-write.js'
import { encodeBlock } from '../../../src/bundle/format.js'
import { tempDir } from './helpers.js'

let work: { dir: string; cleanup: () => Promise<void> }
beforeEach(async () => {
  work = await tempDir()
})
afterEach(async () => work.cleanup())

const blocks = Array.from({ length: 300 }, (_, i) => encodeBlock({ i, pad: 'x'.repeat(i * 37) }))

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size)
}

describe('CarFileWriter', () => {
  it('writes a CAR that @ipld/car reads back, and only under the final name once committed', async () => {
    const file = join(work.dir, 'out.car')
    const writer = await CarFileWriter.create(file, blocks[0]!.cid)
    for (const b of blocks) await writer.put(b.cid, b.bytes)
    expect(await readdir(work.dir)).toEqual([expect.stringMatching(/^out\.car\.tmp-[0-9a-f]{8}$/)])
    const size = await writer.commit()
    expect(await readdir(work.dir)).toEqual(['out.car'])
    const bytes = await readFile(file)
    expect(bytes.byteLength).toBe(size)
    const reader = await CarReader.fromBytes(bytes)
    expect((await reader.getRoots()).map(String)).toEqual([blocks[0]!.cid.toString()])
    const read: string[] = []
    for await (const b of reader.blocks()) read.push(b.cid.toString())
    expect(read).toEqual(blocks.map((b) => b.cid.toString()))
  })

  it('abort leaves the final name as it was and no temporary file', async () => {
    const file = join(work.dir, 'out.car')
    await writeFile(file, 'previous bundle')
    const writer = await CarFileWriter.create(file, blocks[0]!.cid)
    for (const b of blocks) await writer.put(b.cid, b.bytes)
    await writer.abort()
    expect(await readdir(work.dir)).toEqual(['out.car'])
    expect(await readFile(file, 'utf8')).toBe('previous bundle')
  })
})

describe('CarStreamReader', () => {
  async function car(): Promise<Uint8Array> {
    const file = join(work.dir, 'in.car')
    const writer = await CarFileWriter.create(file, blocks[0]!.cid)
    for (const b of blocks) await writer.put(b.cid, b.bytes)
    await writer.commit()
    return readFile(file)
  }

  it('yields every block whatever the chunking of the stream, and counts bytes', async () => {
    const bytes = await car()
    for (const size of [1, 7, 4096, bytes.length]) {
      const reader = await CarStreamReader.open(chunks(bytes, size))
      const seen: string[] = []
      for (let s = await reader.next(); s !== undefined; s = await reader.next()) seen.push(s.cid.toString())
      expect(seen).toHaveLength(blocks.length)
      expect(reader.position).toBe(bytes.length)
    }
  })

  it('says truncated when the stream ends inside a block', async () => {
    const bytes = await car()
    const reader = await CarStreamReader.open(chunks(bytes.subarray(0, bytes.length - 3), 1000))
    let error: unknown
    try {
      while ((await reader.next()) !== undefined);
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(CarReadError)
    expect(error).toMatchObject({ kind: 'truncated' })
  })

  it('refuses a header that claims to be huge, and a CAR v2 pragma', async () => {
    await expect(
      CarStreamReader.open(chunks(new Uint8Array([0xff, 0xff, 0xff, 0x7f, 1, 2]), 8)),
    ).rejects.toMatchObject({
      kind: 'malformed',
      message: expect.stringMatching(/header/),
    })
    // the CARv2 pragma: a v1-style header saying version 2, then a fixed 40-byte header
    const pragma = new Uint8Array([0x0a, 0xa1, 0x67, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x02])
    const v2 = new Uint8Array([...pragma, ...new Uint8Array(40)])
    v2[11 + 16] = 51 // data offset just after the headers
    await expect(CarStreamReader.open(chunks(v2, 64))).rejects.toMatchObject({ message: /CAR version 2/ })
  })
})
