import type { Database } from 'better-sqlite3';
import { StoreError } from '@interlend/engine';
import { backfillHashChain } from './backfillHashChain';
import { migrateEventLogToV4 } from './eventLogV4';

/** One step of the schema: `up` takes a database at `version - 1` to `version`, inside the migration transaction. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  up(db: Database): void;
}

/**
 * The schema's history. Append a migration to change it; never edit one that has shipped. The
 * database records its version in `PRAGMA user_version`.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'event log, stream revisions, read models with a secondary index, checkpoints',
    up: (db) => {
      db.exec(`
        -- The global log. AUTOINCREMENT: a position is never handed out twice, even if the tail
        -- of the log were ever removed (projections hold positions as checkpoints).
        CREATE TABLE events (
          position  INTEGER PRIMARY KEY AUTOINCREMENT,
          stream_id TEXT    NOT NULL,
          revision  INTEGER NOT NULL,
          event_id  TEXT    NOT NULL UNIQUE,
          type      TEXT    NOT NULL,
          data      TEXT    NOT NULL,
          metadata  TEXT    NOT NULL,
          UNIQUE (stream_id, revision)
        );

        -- Current revision of each stream: the expected-revision check is one primary-key lookup.
        CREATE TABLE streams (
          stream_id TEXT    PRIMARY KEY,
          revision  INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- A rowid table: documents are often kilobytes, and WITHOUT ROWID b-trees suit small rows
        -- only (measured: upserts of 1.4 KB documents take twice as long without the rowid).
        CREATE TABLE read_models (
          id         INTEGER PRIMARY KEY,
          projection TEXT NOT NULL,
          key        TEXT NOT NULL,
          doc        TEXT NOT NULL,
          UNIQUE (projection, key)
        );

        CREATE TABLE read_model_index (
          projection TEXT NOT NULL,
          value      TEXT NOT NULL,
          key        TEXT NOT NULL,
          PRIMARY KEY (projection, key, value)
        ) WITHOUT ROWID;
        CREATE INDEX read_model_index_by_value ON read_model_index (projection, value, key);

        CREATE TABLE checkpoints (
          projection TEXT    PRIMARY KEY,
          position   INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 'read models in tables of their own per projection (a rebuild drops and bulk-loads them); old read models dropped',
    up: (db) => {
      db.exec(`
        -- Read models are disposable: they are dropped here and rebuilt from the log on next use.
        DROP TABLE read_model_index;
        DROP TABLE read_models;
        DELETE FROM checkpoints;

        -- Each projection keeps its documents in tables of its own, named after its number here:
        -- rm_<id>_docs and rm_<id>_index (see sqliteReadModelStore.ts). Resetting a projection
        -- drops its tables and its row; AUTOINCREMENT never hands a number out twice, so a
        -- connection holding statements for dropped tables cannot write into new ones.
        CREATE TABLE read_model_tables (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          projection TEXT    NOT NULL UNIQUE
        );
      `);
    },
  },
  {
    version: 3,
    description: 'a hash chain per stream: each event carries its hash and the previous one, each stream its head hash; existing events backfilled',
    up: (db) => {
      db.exec(`
        -- hashChain.ts in the engine defines the hash; appendEvents sets both inside the append.
        ALTER TABLE events ADD COLUMN previous_hash TEXT;
        ALTER TABLE events ADD COLUMN hash TEXT;
        -- The hash of the stream's last event: what the next append links to (one key lookup, as for the revision).
        ALTER TABLE streams ADD COLUMN hash TEXT;
      `);
      backfillHashChain(db);
    },
  },
  {
    version: 4,
    description: 'a leaner event log: position is the rowid without AUTOINCREMENT (guarded by append-only triggers), no streams table (revision and head hash from the (stream_id, revision) index); events copied as they are',
    up: (db) => {
      migrateEventLogToV4(db);
    },
  },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The refusal of a database written by newer code: nothing of it is touched. */
export function newerSchemaError(path: string, version: number, known: number = SCHEMA_VERSION): StoreError {
  return new StoreError(`SQLite database '${path}' has schema version ${version}; this code knows versions up to ${known}: upgrade the code`, {
    path,
    version,
    expected: known,
    supported: known,
  });
}

/**
 * A read-only connection runs no migration: it reads a database at exactly the version this code
 * writes, and refuses any other with what to do. `details.version` and `details.expected` let a
 * caller tell an older database (upgrade it with write access) from a newer one.
 */
export function checkSchemaForReading(path: string, version: number, known: number = SCHEMA_VERSION): void {
  if (version > known) throw newerSchemaError(path, version, known);
  if (version < known) {
    throw new StoreError(
      `SQLite database '${path}' has schema version ${version} and this code reads version ${known}; it was opened read-only, so it cannot be upgraded here: open it once with write access to upgrade it`,
      { path, version, expected: known, readonly: true },
    );
  }
}

/**
 * Brings the database to SCHEMA_VERSION. The version is read again inside an immediate
 * transaction, so two processes opening a new file at once migrate it once. A database written
 * by newer code is refused rather than damaged; on a read-only connection any other version is
 * refused (see checkSchemaForReading).
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const target = migrations.length;
  const from = schemaVersion(db);
  if (from > target) throw newerSchemaError(db.name, from, target);
  if (db.readonly) checkSchemaForReading(db.name, from, target);
  if (from === target) return { from, to: target };
  const run = db.transaction(() => {
    const current = schemaVersion(db);
    for (const migration of migrations) {
      if (migration.version <= current) continue;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }
    return current;
  });
  return { from: run.immediate(), to: target };
}
