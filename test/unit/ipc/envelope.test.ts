import { describe, expect, it } from 'vitest'
import { readEnvelope, recoverId } from '../../../src/ipc/envelope.js'

describe('readEnvelope', () => {
  it('reads a request and a notification, defaulting params to {}', () => {
    expect(readEnvelope('{"jsonrpc":"2.0","id":"a","method":"info","params":{"spec":"x"}}')).toEqual({
      id: 'a',
      method: 'info',
      params: { spec: 'x' },
    })
    expect(readEnvelope('{"jsonrpc":"2.0","method":"cancel"}')).toEqual({ method: 'cancel', params: {} })
  })

  it('answers each malformed line with the JSON-RPC code it deserves', () => {
    const code = (line: string) => {
      const out = readEnvelope(line)
      return 'error' in out ? [out.id, out.error.code] : 'ok'
    }
    expect(code('{nope')).toEqual([null, -32700])
    expect(code('[]')).toEqual([null, -32600])
    expect(code('"status"')).toEqual([null, -32600])
    expect(code('{"jsonrpc":"2.0","id":{},"method":"status"}')).toEqual([null, -32600])
    expect(code(`{"jsonrpc":"2.0","id":"${'x'.repeat(257)}","method":"status"}`)).toEqual([null, -32600])
    expect(code('{"jsonrpc":"1.0","id":3,"method":"status"}')).toEqual([3, -32600])
    expect(code('{"jsonrpc":"2.0","id":3}')).toEqual([3, -32600])
    expect(code('{"jsonrpc":"2.0","id":3,"method":"status","params":[]}')).toEqual([3, -32602])
    expect(code('{"jsonrpc":"2.0","id":3,"method":"status","params":1}')).toEqual([3, -32602])
  })
})

describe('recoverId', () => {
  it('finds a number or string id in the head of a line, or gives null', () => {
    expect(recoverId('{"jsonrpc":"2.0","id":42,"method":"search","params":{"query":"aaaa')).toBe(42)
    expect(recoverId('{"id" : "req-7","jsonrpc":"2.0"')).toBe('req-7')
    expect(recoverId('{"jsonrpc":"2.0","method":"x","params":{"q":"')).toBeNull()
  })
})
