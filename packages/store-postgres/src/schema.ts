import type { Client, Pool, PoolClient } from 'pg';
import { StoreError } from '@interlend/engine';
import { toStoreError } from './errors';

/** One step of the schema: `up` takes a database at `version - 1` to `version`, inside the migration transaction. */
export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

/**
 * The schema's history. Append a migration to change it; never edit one that has shipped. Every
 * text that is compared or ordered (stream ids, keys, index values, projection names) is
 * `COLLATE "C"`: byte order, which in UTF-8 is code-point order, as in SQLite and the in-memory
 * store. Event data, metadata and documents are JSON text (`text`, not `jsonb`): jsonb refuses
 * `\u0000` and does not keep the text as written; the text is what the hash chain covers.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'event log with a one-row position counter, stream heads, read models with a secondary index, checkpoints',
    sql: `
      -- The last position handed out. Every append updates this one row, and the row lock is held
      -- until the append commits: positions are taken and committed one append at a time, in
      -- order, so the log has no holes (see docs/storage-postgres.md). A rolled-back append rolls
      -- the counter back too: positions are dense, 1..head.
      CREATE TABLE log_head (
        id       boolean PRIMARY KEY DEFAULT true CHECK (id),
        position bigint  NOT NULL
      );
      INSERT INTO log_head (id, position) VALUES (true, 0);
      -- Statistics from the start: unanalyzed, the planner guesses thousands of rows here, and the
      -- cost of an append's statement crosses jit_above_cost (measured: JIT took an append from
      -- under 1 ms to 15-80 ms).
      ANALYZE log_head;

      CREATE TABLE events (
        position      bigint              NOT NULL,
        stream_id     text COLLATE "C"    NOT NULL,
        revision      bigint              NOT NULL,
        event_id      text COLLATE "C"    NOT NULL,
        type          text                NOT NULL,
        data          text                NOT NULL,
        metadata      text                NOT NULL,
        previous_hash text                NOT NULL,
        hash          text                NOT NULL,
        recorded_at   timestamptz         NOT NULL DEFAULT now(),
        CONSTRAINT events_pkey PRIMARY KEY (position),
        CONSTRAINT events_event_id_key UNIQUE (event_id),
        CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision)
      );

      -- Current revision and head hash of each stream: the row an append locks first, so the
      -- expected-revision check and the chain link cannot race.
      CREATE TABLE streams (
        stream_id text COLLATE "C" PRIMARY KEY,
        revision  bigint NOT NULL,
        hash      text
      );

      CREATE TABLE checkpoints (
        projection text COLLATE "C" PRIMARY KEY,
        position   bigint NOT NULL
      );

      CREATE TABLE read_model_docs (
        projection text COLLATE "C" NOT NULL,
        key        text COLLATE "C" NOT NULL,
        doc        text NOT NULL,
        PRIMARY KEY (projection, key)
      );

      -- One row per index value: one value's keys come out in key order, a range in value order.
      CREATE TABLE read_model_index (
        projection text COLLATE "C" NOT NULL,
        value      text COLLATE "C" NOT NULL,
        key        text COLLATE "C" NOT NULL,
        PRIMARY KEY (projection, value, key)
      );
      CREATE INDEX read_model_index_by_key ON read_model_index (projection, key);
    `,
  },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/**
 * The key of the session-independent advisory lock the migration transaction takes
 * (`pg_advisory_xact_lock`), so two processes starting at once migrate one after the other.
 * the ASCII of 'interlen' as a bigint.
 */
export const MIGRATION_LOCK_KEY = '7597137600480830830';

/** The version recorded in `schema_migrations` (0 for an empty database). */
export async function schemaVersion(client: Pool | PoolClient | Client): Promise<number> {
  const exists = await client.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists.rows[0]?.t) return 0;
  const result = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return result.rows[0]?.v ?? 0;
}

/**
 * Brings the database to the last migration's version, in one transaction under an advisory
 * lock: the version is read after the lock is taken, so of two processes starting at once one
 * migrates and the other finds the work done. A database written by newer code is refused
 * untouched. Each applied migration is a row of `schema_migrations`.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<{ from: number; to: number }> {
  const target = migrations.length;
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw toStoreError(error, 'cannot connect to PostgreSQL');
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     integer PRIMARY KEY,
      description text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const from = await schemaVersion(client);
    if (from > target) throw newerSchemaError(from, target);
    for (const migration of migrations) {
      if (migration.version <= from) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
    }
    await client.query('COMMIT');
    return { from, to: target };
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollback) {
      broken = rollback as Error;
    }
    throw toStoreError(error, 'schema migration failed');
  } finally {
    client.release(broken);
  }
}

/** The refusal of a database written by newer code: nothing of it is touched. */
export function newerSchemaError(version: number, known: number = SCHEMA_VERSION): StoreError {
  return new StoreError(`PostgreSQL database has schema version ${version}; this code knows versions up to ${known}: upgrade the code`, {
    version,
    expected: known,
    supported: known,
    retryable: false,
  });
}
