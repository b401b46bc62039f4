import { Client } from 'pg';
import { StoreError } from '@interlend/engine';
import { toStoreError } from './errors';
import { redact } from './openPostgres';
import { MIGRATION_LOCK_KEY, MIGRATIONS, SCHEMA_VERSION, schemaVersion } from './schema';

/** The tables interlend's migrations create, in an order that drops dependants first, and its migration record. */
export const INTERLEND_TABLES: readonly string[] = ['read_model_index', 'read_model_docs', 'checkpoints', 'streams', 'events', 'log_head', 'schema_migrations'];

/**
 * Drops interlend's tables from the database at `url` (the log, the read models, the migration
 * record), in one transaction under the migration lock; the next open creates them again, empty.
 * It drops nothing else: only the tables named in INTERLEND_TABLES, each without CASCADE (a table
 * of someone else's that refers to one of them makes the whole drop fail, untouched), and only when
 * `schema_migrations` records interlend's own migrations. A database where those names belong to
 * something else, or written by newer code, is refused untouched. Returns the tables dropped
 * (none for a database without interlend's tables).
 */
export async function dropSchema(url: string): Promise<{ readonly dropped: readonly string[] }> {
  const where = redact(url);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: 'interlend-reset' });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw toStoreError(error, `cannot open PostgreSQL database '${where}'`, { url: where });
  }
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    const present: string[] = [];
    for (const table of INTERLEND_TABLES) {
      const { rows } = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table]);
      if (rows[0]?.t) present.push(table);
    }
    if (present.length === 0) {
      await client.query('ROLLBACK');
      return { dropped: [] };
    }
    const refuse = (why: string) =>
      new StoreError(`refusing to reset PostgreSQL database '${where}': ${why}; nothing was dropped`, { url: where, retryable: false });
    if (!present.includes('schema_migrations')) throw refuse(`it has tables named ${present.join(', ')} but no interlend migration record, so they are not interlend's`);
    const version = await schemaVersion(client);
    if (version > SCHEMA_VERSION) throw refuse(`its schema version ${version} is newer than this code's (${SCHEMA_VERSION}), which does not know all of its tables`);
    const { rows } = await client.query<{ version: number; description: string }>('SELECT version, description FROM schema_migrations ORDER BY version');
    const ours = rows.length > 0 && rows.every((row) => MIGRATIONS[row.version - 1]?.description === row.description);
    if (!ours) throw refuse('its schema_migrations table does not record interlend migrations');
    for (const table of present) await client.query(`DROP TABLE ${table}`);
    await client.query('COMMIT');
    return { dropped: present };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw toStoreError(error, `cannot reset PostgreSQL database '${where}'`, { url: where });
  } finally {
    await client.end().catch(() => undefined);
  }
}
