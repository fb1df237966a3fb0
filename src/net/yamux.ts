/**
 * Yamux with one race closed. @chainsafe/libp2p-yamux 8 opens an outbound stream by sending
 * a window update from a microtask, and says go-away from inside the handler of the
 * connection's events; when the connection under it has closed by then (a peer went away
 * while a catch-up or DHT stream was being opened), `send` throws StreamStateError where
 * nothing can catch it, and the daemon process dies (seen in the simulator's partition
 * scenario). A window update or a go-away on a connection that can no longer write has
 * nothing to tell anyone, so here they are dropped; data frames, and every other error, are
 * as before, and the connection's own close handling closes the streams.
 */
import { yamux as upstream } from '@chainsafe/libp2p-yamux'

type YamuxInit = Parameters<typeof upstream>[0]
type YamuxFactory = ReturnType<typeof upstream>
type StreamMuxerFactory = ReturnType<YamuxFactory>

/** Yamux's frame types of a window update and a go-away (its spec, "Framing"). */
const CONTROL_FRAMES = new Set([1, 3])

interface FrameSender {
  sendFrame(header: { type: number }, data?: unknown): unknown
}

/** `yamux(init)`, whose muxers drop the control frames a closed connection cannot carry. */
export function yamux(init?: YamuxInit): YamuxFactory {
  const create = upstream(init)
  return () => {
    const factory: StreamMuxerFactory = create()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (maConn) => {
      const muxer = createStreamMuxer(maConn)
      const sender = muxer as unknown as FrameSender
      const sendFrame = sender.sendFrame.bind(muxer)
      sender.sendFrame = (header, data) => {
        try {
          return sendFrame(header, data)
        } catch (err) {
          if (CONTROL_FRAMES.has(header.type) && (err as Error).name === 'StreamStateError') return false
          throw err
        }
      }
      return muxer
    }
    return factory
  }
}
