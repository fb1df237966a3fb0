import { describe, expect, it } from 'vitest'
import { encodeLine, type FramingError, LineSplitter } from '../../../src/ipc/framing.js'

function splitter(max?: number) {
  const lines: string[] = []
  const errors: FramingError[] = []
  const s = new LineSplitter({ line: (l) => lines.push(l), error: (e) => errors.push(e) }, max)
  return { s, lines, errors }
}

describe('LineSplitter', () => {
  it('splits lines across and within chunks, drops blank lines and a trailing CR', () => {
    const { s, lines } = splitter()
    s.push(Buffer.from('{"a":1}\n{"b"'))
    s.push(Buffer.from(':2}\r\n\n\n{"c":3}'))
    expect(lines).toEqual(['{"a":1}', '{"b":2}'])
    s.push(Buffer.from('\n'))
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '{"c":3}'])
  })

  it('keeps a multi-byte character split between chunks intact', () => {
    const { s, lines } = splitter()
    const bytes = Buffer.from('"héllo ✓"\n')
    s.push(bytes.subarray(0, 3))
    s.push(bytes.subarray(3, 10))
    s.push(bytes.subarray(10))
    expect(lines).toEqual(['"héllo ✓"'])
  })

  it('reports invalid UTF-8 instead of delivering replacement characters', () => {
    const { s, lines, errors } = splitter()
    s.push(Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]))
    expect(lines).toEqual([])
    expect(errors).toEqual([{ kind: 'encoding' }])
  })

  it('reports an oversized line once, holds no more than the cap, and recovers at the next newline', () => {
    const { s, lines, errors } = splitter(1024)
    s.push(Buffer.from('{"jsonrpc":"2.0","id":42,"method":"search","params":{"query":"'))
    for (let i = 0; i < 100; i++) {
      s.push(Buffer.alloc(4096, 0x61))
      expect(s.buffered).toBeLessThanOrEqual(1024)
    }
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ kind: 'oversize' })
    expect((errors[0] as { head: string }).head).toContain('"id":42')
    s.push(Buffer.from('"}}\n{"ok":true}\n'))
    expect(lines).toEqual(['{"ok":true}'])
    expect(errors).toHaveLength(1)
  })

  it('accepts a line of exactly the cap and refuses one byte more', () => {
    const { s, lines, errors } = splitter(8)
    s.push(Buffer.from('12345678\n123456789\n'))
    expect(lines).toEqual(['12345678'])
    expect(errors).toHaveLength(1)
  })

  it('encodes one message per line even when strings hold newlines', () => {
    const line = encodeLine({ text: 'a\nb\u2028c' })
    expect(line.indexOf('\n')).toBe(line.length - 1)
    expect(JSON.parse(line)).toEqual({ text: 'a\nb\u2028c' })
  })
})
