/**
 * Fetching a package's blocks for install (SPEC 7): walks the DAG from its root, reads
 * a block that is already stored from disk and asks the network (Bitswap, through Helia)
 * only for the ones that are not, so a fetch that was cut off resumes where it stopped.
 * Of the blocks found so far, those earliest in depth-first link order are asked for first
 * (the order an extraction reads the package in), and each block goes to `onBlock`, so the
 * package can be extracted while it arrives.
 * A fetch that makes no progress for `timeoutMs` fails with ERR_CONTENT_UNAVAILABLE naming
 * the package and the peers that were asked, instead of waiting for ever.
 */
import type { CodecLoader } from '@helia/interface'
import { createUnsafe } from 'multiformats/block'
import type { CID } from 'multiformats/cid'
import { GgenError } from '../domain/errors.js'

/** Progress of a content fetch: one event per block, then one when the DAG is complete. */
export type FetchProgressEvent =
  | { type: 'fetch:block'; id: string; cid: string; bytes: number; fetched: number; present: number }
  | { type: 'fetch:done'; id: string; cid: string; fetched: number; present: number; bytes: number }

/** What a fetch reads from and writes to: the content store's Helia. */
export interface FetchContext {
  blockstore: {
    /** Helia's: reports 'blocks:get:blockstore:put' when it stores a block it fetched. */
    get(
      cid: CID,
      options?: { signal?: AbortSignal; onProgress?: (event: { type: string }) => void },
    ): AsyncIterable<Uint8Array> | Iterable<Uint8Array>
  }
  getCodec: CodecLoader
  /** The peers a missing block can come from, for the error message. */
  peers(): string[]
  /** Failing after this long without a new block, in ms. */
  timeoutMs: number
}

/** The package whose blocks are fetched. */
export interface FetchTarget {
  id: string
  version: string
  cid: CID
}

/** Options of a fetch. */
export interface FetchOptions {
  signal?: AbortSignal | undefined
  onProgress?: ((event: FetchProgressEvent) => void) | undefined
  /** Called with every block of the DAG and its bytes once it is stored (not yet re-hashed). */
  onBlock?: ((cid: CID, bytes: Uint8Array) => void) | undefined
}

/** What a completed fetch did. */
export interface FetchSummary {
  /** Blocks that came from the network. */
  fetched: number
  /** Blocks that were stored already. */
  present: number
  /** Bytes fetched from the network. */
  bytes: number
}

/** How many blocks are asked for at once. */
const CONCURRENCY = 16

/** Fetches every block of `target` that the store lacks; see the module comment. */
export async function fetchContent(
  ctx: FetchContext,
  target: FetchTarget,
  options: FetchOptions = {},
): Promise<FetchSummary> {
  const summary: FetchSummary = { fetched: 0, present: 0, bytes: 0 }
  const idle = new IdleTimer(ctx.timeoutMs)
  const signal = options.signal === undefined ? idle.signal : AbortSignal.any([options.signal, idle.signal])
  const pending = new DagOrderQueue()
  pending.push(target.cid, [])
  const seen = new Set<string>([target.cid.toString()])
  const id = target.id

  const visit = async ({ cid, at }: Pending): Promise<void> => {
    let fetched = false
    const onProgress = (event: { type: string }): void => {
      if (event.type === 'blocks:get:blockstore:put') fetched = true
    }
    const bytes = await readAll(ctx.blockstore.get(cid, { signal, onProgress }))
    idle.reset()
    if (!fetched) summary.present++
    else {
      summary.fetched++
      summary.bytes += bytes.byteLength
    }
    options.onBlock?.(cid, bytes)
    options.onProgress?.({
      type: 'fetch:block',
      id,
      cid: cid.toString(),
      bytes: bytes.byteLength,
      ...counts(),
    })
    const codec = await ctx.getCodec(cid.code)
    let index = 0
    for (const [, link] of createUnsafe({ bytes, cid, codec }).links()) {
      const key = link.toString()
      const position = [...at, index++]
      if (seen.has(key)) continue
      seen.add(key)
      pending.push(link, position)
    }
  }
  const counts = () => ({ fetched: summary.fetched, present: summary.present })

  try {
    const running = new Set<Promise<void>>()
    let failure: unknown
    while ((pending.length > 0 || running.size > 0) && failure === undefined) {
      while (pending.length > 0 && running.size < CONCURRENCY) {
        const task: Promise<void> = visit(pending.shift()!)
          .catch((err: unknown) => {
            failure ??= err
          })
          .finally(() => running.delete(task))
        running.add(task)
      }
      await Promise.race(running)
    }
    if (failure !== undefined) {
      await Promise.allSettled(running)
      throw failure
    }
  } catch (err) {
    options.signal?.throwIfAborted()
    if (idle.signal.aborted) throw unavailable(ctx, target, summary)
    throw err
  } finally {
    idle.stop()
  }
  options.onProgress?.({ type: 'fetch:done', id, cid: target.cid.toString(), ...summary })
  return summary
}

/** A block still to visit, and where it is in the DAG: its link index at each level. */
interface Pending {
  cid: CID
  at: number[]
}

/**
 * The blocks still to visit, earliest in depth-first link order first: the order an
 * extraction reads them in, whatever order the blocks asked for before them arrived in.
 * A binary heap on the DAG position.
 */
class DagOrderQueue {
  readonly #heap: Pending[] = []

  get length(): number {
    return this.#heap.length
  }

  push(cid: CID, at: number[]): void {
    const heap = this.#heap
    heap.push({ cid, at })
    for (let i = heap.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (!before(heap[i]!.at, heap[parent]!.at)) break
      ;[heap[i], heap[parent]] = [heap[parent]!, heap[i]!]
      i = parent
    }
  }

  shift(): Pending | undefined {
    const heap = this.#heap
    const first = heap[0]
    const last = heap.pop()
    if (heap.length === 0 || last === undefined) return first
    heap[0] = last
    for (let i = 0; ; ) {
      const left = 2 * i + 1
      const right = left + 1
      let least = i
      if (left < heap.length && before(heap[left]!.at, heap[least]!.at)) least = left
      if (right < heap.length && before(heap[right]!.at, heap[least]!.at)) least = right
      if (least === i) break
      ;[heap[i], heap[least]] = [heap[least]!, heap[i]!]
      i = least
    }
    return first
  }
}

/** Whether DAG position `a` comes before `b` depth first (a parent before its children). */
function before(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!
  return a.length < b.length
}

function unavailable(ctx: FetchContext, target: FetchTarget, summary: FetchSummary): GgenError {
  const peers = ctx.peers()
  const asked =
    peers.length === 0 ? 'no peer is connected' : `asked ${peers.length} peer(s): ${peers.join(', ')}`
  return new GgenError(
    'ERR_CONTENT_UNAVAILABLE',
    `could not fetch ${target.id}@${target.version} (${target.cid}): no block arrived for ${ctx.timeoutMs} ms; ${asked}; ${summary.fetched + summary.present} block(s) are stored and a retry resumes from there; connect to a peer that holds it (\`ggen-market connect ADDR\`) or import a bundle that contains it`,
    {
      id: target.id,
      version: target.version,
      cid: target.cid.toString(),
      peers,
      fetched: summary.fetched,
      present: summary.present,
    },
  )
}

async function readAll(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const chunk of chunks) parts.push(chunk)
  if (parts.length === 1) return parts[0]!
  return Buffer.concat(parts)
}

/** An abort signal that fires after `ms` without a `reset()`. */
class IdleTimer {
  readonly #controller = new AbortController()
  #timer: NodeJS.Timeout | undefined

  constructor(private readonly ms: number) {
    this.reset()
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  reset(): void {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#controller.abort(), this.ms)
  }

  stop(): void {
    clearTimeout(this.#timer)
  }
}
