/**
 * SPEC 8: a `kill -9` at any moment loses no committed record and leaves a database the
 * next start opens. A child process writes records through the real store and reports each
 * one only after its transaction committed; it is SIGKILLed mid-stream, then the parent
 * reopens the file and checks it.
 */
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { CID } from 'multiformats/cid'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openStore } from '../../../src/store/store.js'
import { ALICE, BOB, CAROL, Log, tempDir } from './helpers.js'

const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url))

// Runs the TypeScript sources directly (Node strips the types); the hook maps the `.js`
// specifiers of the sources to their `.ts` files.
const CHILD = `
import { registerHooks } from 'node:module'
registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context)
    } catch (err) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) return next(specifier.slice(0, -3) + '.ts', context)
      throw err
    }
  },
})
const { openStore } = await import(${JSON.stringify(here('../../../src/store/store.ts'))})
const { Log } = await import(${JSON.stringify(here('./helpers.ts'))})
const [file, publisher, prefix] = process.argv.slice(1)
const store = openStore(file)
const log = new Log(publisher)
const padding = 'x'.repeat(3000)
// Blocks are built ahead so that the writer spends its time, and so meets the kill, in SQLite.
const ahead = []
for (let n = 0; ; n++) {
  if (ahead.length < 25) {
    for (let k = 0; k < 500; k++) ahead.push(log.release(prefix + (log.seq + 1), '1.0.0', { manifest: { description: padding } }))
  }
  const batch = ahead.splice(0, 1 + (n % 25))
  if (batch.length === 1) store.applyRecord(batch[0])
  else store.applyRecords(batch)
  process.stdout.write(batch.map((b) => b.cid.toString()).join('\\n') + '\\n')
}
`

/** Runs the writer until it has reported `atLeast` commits, then SIGKILLs it; returns what it reported. */
function writeUntilKilled(
  file: string,
  publisher: string,
  prefix: string,
  atLeast: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, file, publisher, prefix], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    let err = ''
    let killed = false
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
      if (!killed && out.split('\n').length > atLeast) {
        killed = true
        // A little later, so the kill lands at an arbitrary point of a transaction.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 20))
      }
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk
    })
    child.on('error', reject)
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${err}`))
      // Only whole lines are reported commits; a partial last line is dropped.
      else resolve(out.split('\n').slice(0, -1))
    })
  })
}

describe('crash safety', () => {
  let dir: string
  let cleanup: () => Promise<void>

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => {
    await cleanup()
  })

  it('keeps every committed record whole after kill -9, round after round', async () => {
    const file = join(dir, 'market.db')
    let total = 0
    for (const [round, publisher] of [ALICE, BOB, CAROL].entries()) {
      const reported = await writeUntilKilled(file, publisher, `io.ggen.round${round}-`, 300)
      expect(reported.length).toBeGreaterThanOrEqual(300)

      const raw = new Database(file)
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok')
      expect(raw.pragma('foreign_key_check')).toEqual([])
      const orphans = raw
        .prepare(
          `SELECT (SELECT count(*) FROM releases WHERE record NOT IN (SELECT cid FROM records))
                + (SELECT count(*) FROM records WHERE cid NOT IN (SELECT record FROM releases))`,
        )
        .pluck()
        .get()
      expect(orphans).toBe(0)
      raw.close()

      const store = openStore(file)
      const mine = store.recordsOf(publisher)
      const stored = new Set(mine.map((r) => r.cid))
      for (const cid of reported) expect(stored.has(cid)).toBe(true)
      // Whole records: the bytes hash to their id, the log has no hole, and every record
      // bumped the generation in its own transaction.
      for (const r of mine) {
        const digest = createHash('sha256').update(r.bytes).digest()
        expect(Buffer.from(CID.parse(r.cid).multihash.digest)).toEqual(digest)
      }
      expect(mine.map((r) => r.seq)).toEqual(mine.map((_, i) => i + 1))
      expect(store.publisherHead(publisher)?.seq).toBe(mine.length)
      total += mine.length
      expect(store.counts()).toMatchObject({ records: total, packages: total })
      expect(store.generation()).toBe(total)
      store.close()
    }

    // And the home still takes writes.
    const store = openStore(file)
    expect(
      store.applyRecord(new Log('did:key:z6MkAfterTheCrash').release('io.ggen.after', '1.0.0')),
    ).toMatchObject({
      status: 'added',
    })
    store.close()
  })
})
