/**
 * The yamux wrapper (src/net/yamux.ts): opening a stream on a connection that closed under
 * the muxer must fail that one call, not kill the process. The race (the connection closes
 * between the stream's creation and its first window update) is made certain by marking the
 * muxer's connection closed for writing before opening the stream; with upstream yamux this
 * throws from a microtask and vitest reports an uncaught error.
 */
import { noise } from '@chainsafe/libp2p-noise'
import type { Connection, Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { afterEach, describe, expect, it } from 'vitest'
import { yamux } from '../../../src/net/yamux.js'

const nodes: Libp2p[] = []
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()))
})

async function node(): Promise<Libp2p> {
  const n = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: { denyDialMultiaddr: () => false },
  })
  nodes.push(n)
  await n.handle('/ggen-market/test/echo/1', (stream) => void stream.close())
  return n
}

/** The encrypted connection the muxer writes to (not on the public Connection type). */
function muxerOutput(connection: Connection): { writeStatus: string } {
  return (connection as unknown as { muxer: { maConn: { writeStatus: string } } }).muxer.maConn
}

describe('yamux over a connection that closed under it', () => {
  it('rejects the stream being opened and the process goes on', async () => {
    const [a, b] = [await node(), await node()]
    const connection = await a.dial(b.getMultiaddrs()[0]!)
    muxerOutput(connection).writeStatus = 'closed'

    await expect(connection.newStream('/ggen-market/test/echo/1')).rejects.toThrow(/closed/)
    // The window update was queued as a microtask: let it, and any timer after it, run.
    await new Promise((resolve) => setTimeout(resolve, 100))

    connection.abort(new Error('test over'))
    const fresh = await a.dial(b.getMultiaddrs()[0]!)
    const stream = await fresh.newStream('/ggen-market/test/echo/1')
    expect(stream.protocol).toBe('/ggen-market/test/echo/1')
    await stream.close()
  })
})
