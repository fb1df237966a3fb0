/**
 * A libp2p transport over the simulated fabric (fabric.ts), built like @libp2p/memory (whose
 * only fault is a fixed latency) but asking the fabric, chunk by chunk, when each one
 * arrives: latency with jitter, retransmitted losses, stalls, a bandwidth cap, traffic held
 * across a blackhole partition, resets on a crash or a breaking partition. Addresses are
 * `/memory/<node>`.
 */
import {
  type ComponentLogger,
  type Connection,
  ConnectionFailedError,
  type CreateListenerOptions,
  type DialTransportOptions,
  type Listener,
  type ListenerEvents,
  type PeerId,
  StreamResetError,
  serviceCapabilities,
  type Transport,
  transportSymbol,
  type Upgrader,
} from '@libp2p/interface'
import { AbstractMultiaddrConnection } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { TypedEventEmitter } from 'main-event'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { Fabric, LinkEnd } from './fabric.js'

interface Chunk {
  at: number
  data?: Uint8Array
  end?: true
}

let connectionIds = 0

/** One end of a simulated connection; what it sends is scheduled into the other end. */
class SimConnection extends AbstractMultiaddrConnection implements LinkEnd {
  other: SimConnection | undefined
  readonly #queue: Chunk[] = []
  #timer: NodeJS.Timeout | undefined
  #lastAt = 0
  #wireFree = 0

  constructor(
    readonly fabric: Fabric,
    readonly local: string,
    readonly remote: string,
    remoteAddr: Multiaddr,
    direction: 'inbound' | 'outbound',
    logger: ComponentLogger,
  ) {
    super({
      remoteAddr,
      direction,
      log: logger.forComponent(`sim:conn:${connectionIds++}`),
      maxMessageSize: 65_536,
    } as ConstructorParameters<typeof AbstractMultiaddrConnection>[0])
    fabric.track(this)
    this.addEventListener('close', () => {
      fabric.forget(this)
      clearTimeout(this.#timer)
    })
  }

  sendData(data: Uint8ArrayList): { sentBytes: number; canSendMore: boolean } {
    const bytes = data.subarray()
    const now = performance.now()
    const { delay, serialise } = this.fabric.transitDelay(this.local, this.remote, bytes.byteLength)
    this.#wireFree = Math.max(now, this.#wireFree) + serialise
    this.#schedule({ at: this.#wireFree + delay, data: bytes })
    return { sentBytes: bytes.byteLength, canSendMore: true }
  }

  sendReset(): void {
    const other = this.other
    if (other !== undefined) queueMicrotask(() => other.abort(new StreamResetError('remote reset')))
  }

  async sendClose(): Promise<void> {
    this.#schedule({ at: performance.now() + this.fabric.link(this.local, this.remote).latencyMs, end: true })
  }

  sendPause(): void {}

  sendResume(): void {}

  /** The fabric breaks this connection: both ends see a reset. */
  break(reason: string): void {
    this.abort(new ConnectionFailedError(`sim link ${reason}`))
  }

  #schedule(chunk: Chunk): void {
    // A byte stream stays in order: nothing overtakes a chunk held back by loss or a stall.
    chunk.at = Math.max(chunk.at, this.#lastAt)
    this.#lastAt = chunk.at
    this.#queue.push(chunk)
    this.#arm()
  }

  #arm(): void {
    const head = this.#queue[0]
    if (this.#timer !== undefined || head === undefined) return
    this.#timer = setTimeout(this.#pump, Math.max(0, head.at - performance.now()))
  }

  readonly #pump = (): void => {
    this.#timer = undefined
    if (this.fabric.held(this.local, this.remote)) {
      this.fabric.onHeal(() => this.#arm())
      return
    }
    const now = performance.now()
    while (this.#queue.length > 0 && (this.#queue[0] as Chunk).at <= now + 0.5) {
      const chunk = this.#queue.shift() as Chunk
      const other = this.other
      if (other === undefined || other.status === 'aborted' || other.status === 'reset') continue
      if (chunk.data !== undefined) other.onData(chunk.data)
      else other.onTransportClosed()
    }
    this.#arm()
  }
}

class SimListener extends TypedEventEmitter<ListenerEvents> implements Listener {
  #address: Multiaddr | undefined
  readonly #shutdown = new AbortController()

  constructor(
    private readonly transport: SimTransport,
    private readonly upgrader: Upgrader,
  ) {
    super()
  }

  async listen(ma: Multiaddr): Promise<void> {
    const address = ma.toString()
    this.transport.fabric.listen(address, this.transport.node, (end) => this.#accept(end as SimConnection))
    this.#address = ma
    queueMicrotask(() => this.safeDispatchEvent('listening'))
  }

  #accept(conn: SimConnection): void {
    this.upgrader
      .upgradeInbound(conn, { signal: this.#shutdown.signal })
      .catch((err: Error) => conn.abort(err))
  }

  getAddrs(): Multiaddr[] {
    return this.#address === undefined ? [] : [this.#address]
  }

  updateAnnounceAddrs(): void {}

  async close(): Promise<void> {
    if (this.#address !== undefined) this.transport.fabric.unlisten(this.#address.toString())
    this.#shutdown.abort()
    queueMicrotask(() => this.safeDispatchEvent('close'))
  }
}

const isSim = (ma: Multiaddr): boolean => ma.toString().startsWith('/memory/')

class SimTransport implements Transport {
  readonly [transportSymbol] = true as const
  readonly [Symbol.toStringTag] = 'ggen-sim'
  readonly [serviceCapabilities] = ['@libp2p/transport']

  constructor(
    readonly fabric: Fabric,
    readonly node: string,
    private readonly components: { peerId: PeerId; logger: ComponentLogger },
  ) {}

  async dial(ma: Multiaddr, options: DialTransportOptions): Promise<Connection> {
    options.signal.throwIfAborted()
    const address = ma.toString().split('/p2p/')[0] as string
    const target = this.fabric.route(this.node, address)
    if (typeof target === 'string') throw new ConnectionFailedError(target)
    const { logger, peerId } = this.components
    const outbound = new SimConnection(this.fabric, this.node, target.node, ma, 'outbound', logger)
    const inbound = new SimConnection(
      this.fabric,
      target.node,
      this.node,
      multiaddr(`/memory/${this.node}-out/p2p/${peerId}`),
      'inbound',
      logger,
    )
    outbound.other = inbound
    inbound.other = outbound
    // The handshake's first leg: the listener hears of the dial one link latency later.
    await new Promise((r) => setTimeout(r, this.fabric.link(this.node, target.node).latencyMs))
    target.accept(inbound)
    try {
      options.signal.throwIfAborted()
      return await options.upgrader.upgradeOutbound(outbound, options)
    } catch (err) {
      outbound.abort(err as Error)
      throw err
    }
  }

  createListener(options: CreateListenerOptions): Listener {
    return new SimListener(this, options.upgrader)
  }

  listenFilter(multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter(isSim)
  }

  dialFilter(multiaddrs: Multiaddr[]): Multiaddr[] {
    return multiaddrs.filter(isSim)
  }
}

/** The transport of simulated node `node` (its listen address is `/memory/<node>`). */
export function simTransport(
  fabric: Fabric,
  node: string,
): (components: { peerId: PeerId; logger: ComponentLogger }) => Transport {
  return (components) => new SimTransport(fabric, node, components)
}
