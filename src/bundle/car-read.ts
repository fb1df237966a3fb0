/**
 * Reads a CAR v1 stream one block at a time with @ipld/car's decoder, holding one block
 * (and the read-ahead of the stream) in memory, so a bundle larger than memory imports.
 * It uses the decoder's section reader rather than `CarBlockIterator` so that a section
 * claiming an absurd length is refused before its bytes are buffered: a corrupt length
 * must not make the importer read the rest of a 50 GB file into memory.
 */
import { asyncIterableReader, type BytesReader, readBlockHead, readHeader } from '@ipld/car/decoder'
import { varint } from 'multiformats'
import type { CID } from 'multiformats/cid'
import { MAX_BLOCK_BYTES } from './format.js'

/** A CAR header holds a version and a few roots: anything near this size is not one. */
const MAX_HEADER_BYTES = 64 * 1024

/** One section of the file, not yet verified. */
export interface CarSection {
  cid: CID
  bytes: Uint8Array
}

/** Why reading stopped early: the stream ended mid-section, or the bytes are not CAR. */
export class CarReadError extends Error {
  constructor(
    readonly kind: 'truncated' | 'malformed',
    message: string,
  ) {
    super(message)
    this.name = 'CarReadError'
  }
}

/** A CAR v1 stream, header read. */
export class CarStreamReader {
  private constructor(
    private readonly reader: BytesReader,
    /** The roots the header names. */
    readonly roots: CID[],
  ) {}

  /** Reads the header of `source`; throws CarReadError when it is not a CAR v1 header. */
  static async open(source: AsyncIterable<Uint8Array>): Promise<CarStreamReader> {
    const reader = asyncIterableReader(source)
    let header: Awaited<ReturnType<typeof readHeader>>
    try {
      const first = await reader.upTo(8)
      if (first.length === 0) throw new CarReadError('truncated', 'the file is empty')
      // Checked before the decoder buffers it, like a section's length.
      const [length] = varint.decode(first)
      if (length > MAX_HEADER_BYTES) {
        throw new CarReadError('malformed', `not a CAR file: it claims a ${length}-byte header`)
      }
      header = await readHeader(reader)
    } catch (err) {
      throw asReadError(err, 'not a CAR file')
    }
    if (header.version !== 1) {
      throw new CarReadError('malformed', `CAR version ${header.version}; bundles are CAR v1`)
    }
    return new CarStreamReader(reader, header.roots)
  }

  /** Bytes of the stream consumed so far. */
  get position(): number {
    return this.reader.pos
  }

  /** The next section, or undefined at a clean end of the stream. */
  async next(): Promise<CarSection | undefined> {
    try {
      if ((await this.reader.upTo(8)).length === 0) return undefined
      const head = await readBlockHead(this.reader)
      if (head.blockLength < 0 || head.blockLength > MAX_BLOCK_BYTES) {
        throw new CarReadError(
          'malformed',
          `the section at byte ${this.reader.pos} claims a ${head.blockLength}-byte block; blocks are at most ${MAX_BLOCK_BYTES} bytes`,
        )
      }
      // A copy: the decoder's buffer is shared with the read-ahead, and records are kept.
      const bytes = (await this.reader.exactly(head.blockLength, true)).slice()
      return { cid: head.cid, bytes }
    } catch (err) {
      throw asReadError(err, `unreadable section at byte ${this.reader.pos}`)
    }
  }
}

function asReadError(err: unknown, context: string): CarReadError {
  if (err instanceof CarReadError) return err
  const message = err instanceof Error ? err.message : String(err)
  if (/unexpected end of data/i.test(message)) {
    return new CarReadError('truncated', `the file ends in the middle of a block (${context})`)
  }
  return new CarReadError('malformed', `${context}: ${message}`)
}
