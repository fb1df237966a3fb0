import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../../../src/store/store.js'
import { ALICE, BOB, Log, tempDir } from './helpers.js'

describe('the trust list', () => {
  let cleanup: () => Promise<void>
  let file: string
  let store: Store

  beforeEach(async () => {
    const tmp = await tempDir()
    cleanup = tmp.cleanup
    file = join(tmp.dir, 'market.db')
    store = openStore(file)
  })
  afterEach(async () => {
    store.close()
    await cleanup()
  })

  it('adds, lists, checks and removes keys', () => {
    expect(store.trustList()).toEqual([])
    expect(store.trustAdd(ALICE, 'the team key')).toBe(true)
    expect(store.trustAdd(BOB)).toBe(true)
    expect(store.isTrusted(ALICE)).toBe(true)
    expect(store.trustList()).toEqual([
      { key: ALICE, addedAt: expect.any(Number), note: 'the team key' },
      { key: BOB, addedAt: expect.any(Number) },
    ])

    expect(store.trustRemove(ALICE)).toBe(true)
    expect(store.trustRemove(ALICE)).toBe(false)
    expect(store.isTrusted(ALICE)).toBe(false)
    expect(store.trustList().map((t) => t.key)).toEqual([BOB])
  })

  it('adding a key twice keeps its date and updates the note when one is given', () => {
    store.trustAdd(ALICE, 'first')
    const [before] = store.trustList()
    expect(store.trustAdd(ALICE)).toBe(false)
    expect(store.trustList()).toEqual([before])
    expect(store.trustAdd(ALICE, 'second')).toBe(false)
    expect(store.trustList()).toEqual([{ ...before, note: 'second' }])
  })

  it('shows trust on claimants, and a trust change leaves the catalogue generation alone', () => {
    store.applyRecord(new Log(ALICE).release('io.ggen.a', '1.0.0'))
    const generation = store.generation()
    store.trustAdd(ALICE)
    expect(store.claimants('io.ggen.a')).toEqual([expect.objectContaining({ owner: ALICE, trusted: true })])
    expect(store.generation()).toBe(generation)
  })

  it('keeps trust across reopening', () => {
    store.trustAdd(BOB, 'ci')
    store.close()
    store = openStore(file)
    expect(store.trustList()).toEqual([{ key: BOB, addedAt: expect.any(Number), note: 'ci' }])
  })
})
