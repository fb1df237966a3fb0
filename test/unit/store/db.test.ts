import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/store/db.js'
import { SchemaTooNewError, StoreReadonlyError } from '../../../src/store/errors.js'
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/store/migrations.js'
import { openStore } from '../../../src/store/store.js'
import { ALICE, Log, tempDir } from './helpers.js'

describe('openStore / openDatabase', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let file: string

  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
    file = join(dir, 'market.db')
  })
  afterEach(async () => {
    await cleanup()
  })

  it('creates the schema on an empty file with WAL, NORMAL sync, foreign keys and a busy timeout', () => {
    const db = openDatabase(file)
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000)
      const tables = db
        .prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
        .pluck()
        .all()
      expect(tables).toEqual(['meta', 'publishers', 'records', 'releases', 'rotations', 'trust', 'yanks'])
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok')
    } finally {
      db.close()
    }
  })

  it('keeps data across close and reopen', () => {
    const store = openStore(file)
    const log = new Log(ALICE)
    store.applyRecord(log.release('io.ggen.a', '1.0.0'))
    store.trustAdd(ALICE, 'me')
    store.close()

    const again = openStore(file)
    expect(again.versions('io.ggen.a').map((v) => v.version)).toEqual(['1.0.0'])
    expect(again.isTrusted(ALICE)).toBe(true)
    expect(again.generation()).toBe(1)
    again.close()
  })

  it('refuses a database written by a newer schema, naming the schema and what to do', () => {
    openStore(file).close()
    const raw = new Database(file)
    raw.pragma(`user_version = ${SCHEMA_VERSION + 4}`)
    raw.close()

    expect(() => openStore(file)).toThrow(SchemaTooNewError)
    expect(() => openStore(file)).toThrow(
      `this home was written by a newer ggen-market (schema ${SCHEMA_VERSION + 4}); upgrade`,
    )
    expect(() => openStore(file, { readonly: true })).toThrow(SchemaTooNewError)
  })

  it('applies new migration steps in order on an existing database, keeping its data', () => {
    const store = openStore(file)
    store.applyRecord(new Log(ALICE).release('io.ggen.a', '1.0.0'))
    store.close()

    const next = [...MIGRATIONS, 'CREATE TABLE extra (x INTEGER)', 'INSERT INTO extra (x) VALUES (42)']
    const db = openDatabase(file, { migrations: next })
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 2)
    expect(db.prepare('SELECT x FROM extra').pluck().get()).toBe(42)
    expect(db.prepare('SELECT count(*) FROM releases').pluck().get()).toBe(1)
    db.close()
  })

  it('rolls a failing migration step back whole and leaves the version at the last good step', () => {
    const broken = [...MIGRATIONS, 'CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1)']
    expect(() => openDatabase(file, { migrations: broken })).toThrow(/no such table: nowhere/)
    const db = openDatabase(file)
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half'").pluck().get()).toBe(0)
    db.close()
  })

  it('opens read-only next to a writer, reads its commits, and refuses to write', () => {
    const writer = openStore(file)
    const reader = openStore(file, { readonly: true })
    writer.applyRecord(new Log(ALICE).release('io.ggen.a', '1.0.0'))
    expect(reader.packageIds()).toEqual(['io.ggen.a'])
    expect(() => reader.applyRecord(new Log(ALICE).release('io.ggen.b', '1.0.0'))).toThrow(StoreReadonlyError)
    expect(() => reader.trustAdd(ALICE)).toThrow(StoreReadonlyError)
    reader.close()
    writer.close()
  })

  it('refuses to open a missing database read-only instead of creating it', () => {
    expect(() => openStore(file, { readonly: true })).toThrow(/does not exist yet/)
  })

  it('close() can be called twice', () => {
    const store = openStore(file)
    store.close()
    expect(() => store.close()).not.toThrow()
  })
})
