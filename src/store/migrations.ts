/**
 * The schema, as an ordered list of steps. Step N (1-based) moves a database from
 * `user_version` N-1 to N; a step is never edited once released, only followed by new ones.
 */
import type Database from 'better-sqlite3'
import { SchemaTooNewError } from './errors.js'

/** Every migration step, oldest first. `SCHEMA_VERSION` is their count. */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial schema.
  `
  -- Every accepted signed record, exactly as received; the other tables are derived from it.
  CREATE TABLE records (
    cid         TEXT PRIMARY KEY NOT NULL,
    publisher   TEXT NOT NULL,
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    prev        TEXT,
    type        TEXT NOT NULL CHECK (type IN ('release', 'yank', 'rotation')),
    id          TEXT NOT NULL,
    version     TEXT,
    time        INTEGER NOT NULL,
    bytes       BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    local       INTEGER NOT NULL DEFAULT 0,
    announced   INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX records_by_publisher ON records (publisher, seq);
  CREATE INDEX records_by_id ON records (id);
  CREATE INDEX records_unannounced ON records (local, announced) WHERE local = 1 AND announced = 0;

  -- One row per publisher log: its highest seq and whether two records share a seq.
  CREATE TABLE publishers (
    key      TEXT PRIMARY KEY NOT NULL,
    head_seq INTEGER NOT NULL,
    head_cid TEXT NOT NULL REFERENCES records (cid),
    forked   INTEGER NOT NULL DEFAULT 0
  );

  CREATE TABLE releases (
    id         TEXT NOT NULL,
    version    TEXT NOT NULL,
    publisher  TEXT NOT NULL,
    cid        TEXT NOT NULL,
    record     TEXT NOT NULL REFERENCES records (cid),
    published  INTEGER NOT NULL,
    size       INTEGER NOT NULL CHECK (size >= 0),
    manifest   TEXT NOT NULL CHECK (json_valid(manifest)),
    conflicted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id, version, publisher, cid)
  );

  CREATE TABLE yanks (
    record    TEXT PRIMARY KEY NOT NULL REFERENCES records (cid),
    id        TEXT NOT NULL,
    version   TEXT NOT NULL,
    publisher TEXT NOT NULL,
    reason    TEXT NOT NULL,
    time      INTEGER NOT NULL
  );
  CREATE INDEX yanks_by_id ON yanks (id, version);

  CREATE TABLE rotations (
    record   TEXT PRIMARY KEY NOT NULL REFERENCES records (cid),
    id       TEXT NOT NULL,
    from_key TEXT NOT NULL,
    to_key   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    time     INTEGER NOT NULL
  );
  CREATE INDEX rotations_by_id ON rotations (id);

  CREATE TABLE trust (
    key      TEXT PRIMARY KEY NOT NULL,
    added_at INTEGER NOT NULL,
    note     TEXT
  );

  CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value
  );
  INSERT INTO meta (key, value) VALUES ('generation', 0);
  `,
]

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** The schema version a database file is at (0 for a new, empty file). */
export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/**
 * Brings `db` up to `SCHEMA_VERSION`, one transaction per step so that a crash leaves the
 * database at a whole step. The version is re-read inside an IMMEDIATE transaction because
 * a CLI process and the daemon may open a fresh home at the same moment.
 */
export function migrate(db: Database.Database, file: string, steps: readonly string[] = MIGRATIONS): void {
  // The common case, an up-to-date file, takes no write lock.
  if (schemaVersion(db) === steps.length) return
  for (;;) {
    const applied = db
      .transaction((): boolean => {
        const current = schemaVersion(db)
        if (current > steps.length) throw new SchemaTooNewError(file, current, steps.length)
        const step = steps[current]
        if (step === undefined) return false
        db.exec(step)
        db.pragma(`user_version = ${current + 1}`)
        return true
      })
      .immediate()
    if (!applied) return
  }
}
