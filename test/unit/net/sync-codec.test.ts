import * as dagCbor from '@ipld/dag-cbor'
import { describe, expect, it } from 'vitest'
import {
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  SyncProtocolError,
} from '../../../src/net/sync-codec.js'

describe('sync codec', () => {
  it('round-trips requests and responses', () => {
    expect(decodeRequest(encodeRequest({ t: 'heads', digest: 'abc' }))).toEqual({ t: 'heads', digest: 'abc' })
    const wants = [{ publisher: 'did:key:z6Mk', from: 3 }]
    expect(decodeRequest(encodeRequest({ t: 'want', wants }))).toEqual({ t: 'want', wants })
    const heads = new Map([['did:key:z6Mk', { seq: 2, cid: 'bafy', count: 2 }]])
    expect(decodeResponse(encodeResponse({ t: 'heads', same: false, heads }), 10)).toEqual({
      t: 'heads',
      same: false,
      heads,
    })
    const records = [new Uint8Array([1, 2])]
    expect(decodeResponse(encodeResponse({ t: 'records', records, rest: wants }), 10)).toEqual({
      t: 'records',
      records,
      rest: wants,
    })
  })

  it('refuses malformed messages and responses over the record cap', () => {
    expect(() => decodeRequest(new Uint8Array([0xff]))).toThrow(SyncProtocolError)
    expect(() => decodeRequest(dagCbor.encode({ t: 'want', wants: [['p', 0]] }))).toThrow(SyncProtocolError)
    expect(() => decodeRequest(dagCbor.encode({ t: 'nope' }))).toThrow(SyncProtocolError)
    const many = encodeResponse({ t: 'records', records: [new Uint8Array(1), new Uint8Array(1)], rest: [] })
    expect(() => decodeResponse(many, 1)).toThrow(/over 1 records/)
  })
})
