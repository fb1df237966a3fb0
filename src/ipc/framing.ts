/**
 * Newline-delimited framing with a hard cap on line length. Bytes are kept only until a
 * line ends or the cap is crossed; past the cap the rest of that line is dropped as it
 * arrives, so a peer that never sends a newline costs no memory, only a slot.
 */
import { isUtf8 } from 'node:buffer'
import { DEFAULT_MAX_LINE_BYTES } from './protocol.js'

/** A line that could not be delivered. */
export type FramingError =
  /** The line passed the cap; `head` is its first bytes (enough to find a request id). */
  | { kind: 'oversize'; head: string }
  /** The line is not valid UTF-8. */
  | { kind: 'encoding' }

/** Where the splitter delivers. */
export interface LineSink {
  line(text: string): void
  error(error: FramingError): void
}

/** How many leading bytes of an oversized line are kept for the error report. */
const HEAD_BYTES = 256

/** Splits a byte stream into UTF-8 lines of at most `maxLineBytes` bytes (newline excluded). */
export class LineSplitter {
  private parts: Buffer[] = []
  private size = 0
  private discarding = false

  /** @param maxLineBytes @default 1 MiB */
  constructor(
    private readonly sink: LineSink,
    private readonly maxLineBytes: number = DEFAULT_MAX_LINE_BYTES,
  ) {}

  /** Feeds the next chunk; calls the sink for each line it completes. */
  push(chunk: Buffer): void {
    let start = 0
    while (start < chunk.length) {
      const newline = chunk.indexOf(0x0a, start)
      const end = newline === -1 ? chunk.length : newline
      if (!this.discarding) this.keep(chunk.subarray(start, end))
      if (newline === -1) return
      if (this.discarding) this.discarding = false
      else this.flush()
      start = newline + 1
    }
  }

  /** Bytes held for the line in progress (never more than the cap). */
  get buffered(): number {
    return this.size
  }

  private keep(piece: Buffer): void {
    if (piece.length === 0) return
    if (this.size + piece.length <= this.maxLineBytes) {
      this.parts.push(piece)
      this.size += piece.length
      return
    }
    const first = this.parts[0] ?? piece
    const head = first.subarray(0, HEAD_BYTES).toString('utf8')
    this.parts = []
    this.size = 0
    this.discarding = true
    this.sink.error({ kind: 'oversize', head })
  }

  private flush(): void {
    const parts = this.parts
    const size = this.size
    this.parts = []
    this.size = 0
    if (size === 0) return
    let bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1)
    if (bytes.length === 0) return
    if (!isUtf8(bytes)) {
      this.sink.error({ kind: 'encoding' })
      return
    }
    this.sink.line(bytes.toString('utf8'))
  }
}

/** One message as a wire line. JSON.stringify never emits a raw newline, so the framing holds. */
export function encodeLine(message: unknown): string {
  return `${JSON.stringify(message)}\n`
}
