/**
 * Writes a CAR v1 file with @ipld/car's `CarWriter`, atomically: blocks go to a temporary
 * file next to the target (`FILE.tmp-<hex>`), which is fsynced and renamed onto FILE only
 * on `commit`. A failed or killed export leaves no half bundle under the final name.
 * Output is gathered into ~1 MiB writes, so many small record blocks cost few syscalls.
 */
import { randomBytes } from 'node:crypto'
import { type FileHandle, open, rename, rm } from 'node:fs/promises'
import { CarWriter } from '@ipld/car/writer'
import type { CID } from 'multiformats/cid'

/** Bytes gathered before one write to the file. */
const WRITE_BATCH_BYTES = 1024 * 1024

/** A CAR file being written; see the module comment. */
export class CarFileWriter {
  private written = 0
  private pending: Uint8Array[] = []
  private pendingBytes = 0
  private readonly drained: Promise<void>
  private readonly failed: Promise<never>
  private done = false

  private constructor(
    /** The final file name. */
    readonly file: string,
    private readonly tmp: string,
    private readonly handle: FileHandle,
    private readonly writer: ReturnType<typeof CarWriter.create>['writer'],
    out: AsyncIterable<Uint8Array>,
  ) {
    this.drained = this.drain(out)
    // put() waits for the drain to take its bytes; if the drain dies, put must fail, not hang.
    this.failed = this.drained.then(
      () => new Promise<never>(() => {}),
      (err: unknown) => Promise.reject(err),
    )
    this.failed.catch(() => {})
  }

  /** Starts `file` (through its temporary file) with the header naming `root`. */
  static async create(file: string, root: CID): Promise<CarFileWriter> {
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`
    const handle = await open(tmp, 'wx', 0o644)
    const { writer, out } = CarWriter.create([root])
    return new CarFileWriter(file, tmp, handle, writer, out)
  }

  /** Bytes handed to the file so far (the header included once the first block is put). */
  get bytes(): number {
    return this.written + this.pendingBytes
  }

  /** Appends one block. */
  async put(cid: CID, bytes: Uint8Array): Promise<void> {
    await Promise.race([this.writer.put({ cid, bytes }), this.failed])
  }

  /** Finishes the file, syncs it and renames it onto the final name; returns its size. */
  async commit(): Promise<number> {
    await Promise.race([this.writer.close(), this.failed])
    await this.drained
    await this.handle.sync()
    await this.handle.close()
    this.done = true
    await rename(this.tmp, this.file)
    return this.written
  }

  /** Removes the temporary file; the final name is never touched. Safe after a failure. */
  async abort(): Promise<void> {
    if (this.done) return
    this.done = true
    await this.handle.close().catch(() => {})
    await rm(this.tmp, { force: true })
  }

  private async drain(out: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of out) {
      this.pending.push(chunk)
      this.pendingBytes += chunk.byteLength
      if (this.pendingBytes >= WRITE_BATCH_BYTES) await this.flush()
    }
    await this.flush()
  }

  private async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const chunks = this.pending
    const size = this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
    const buffer = Buffer.concat(chunks, size)
    for (let offset = 0; offset < size; ) {
      const { bytesWritten } = await this.handle.write(buffer, offset, size - offset)
      offset += bytesWritten
    }
    this.written += size
  }
}
