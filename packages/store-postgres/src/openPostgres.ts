import { Pool } from 'pg';
import type { PoolConfig } from 'pg';
import { StoreError } from '@interlend/engine';
import { toStoreError } from './errors';
import { PostgresEventStore } from './postgresEventStore';
import { PostgresReadModelStore } from './postgresReadModelStore';
import { migrate, newerSchemaError, SCHEMA_VERSION, schemaVersion } from './schema';

export interface OpenPostgresOptions {
  /** Most connections in the pool (appends, reads, read-model commits). Default 10. The LISTEN connection is one more. */
  readonly poolSize?: number;
  /** `statement_timeout` of every pooled connection: a statement running longer fails (retryable StoreError). Default 30,000 ms; 0 disables. */
  readonly statementTimeoutMs?: number;
  /**
   * `idle_in_transaction_session_timeout`: the server ends a session that sits inside a
   * transaction this long. An append holds the position counter until it commits, so a client
   * that hangs mid-append would stop every writer; this bounds that. Default 10,000 ms; 0 disables.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /** How long getting a connection (from the pool, or a new one) may take. Default 10,000 ms. */
  readonly connectionTimeoutMs?: number;
  /** How long an idle pooled connection is kept. Default 30,000 ms. */
  readonly idleTimeoutMs?: number;
  /** `application_name` (seen in pg_stat_activity). Default 'interlend'. */
  readonly applicationName?: string;
  /** How often a pending `waitForEvents` reads the head when no notification came (the fallback). Default 1,000 ms. */
  readonly pollIntervalMs?: number;
  /** Most events one `readAll` returns. Default 5,000. */
  readonly maxBatchSize?: number;
  /**
   * Turn PostgreSQL's JIT compiler off for the pool's connections (`-c jit=off` at connect time).
   * Default true: the store runs short statements, which JIT only slows down (by 15-80 ms when
   * a cost estimate crosses jit_above_cost). Set false behind a pooler that refuses the
   * `options` startup parameter (PgBouncer without ignore_startup_parameters).
   */
  readonly disableJit?: boolean;
  /** Bring the schema up to date on open (default true). With false, a database at another version is refused. */
  readonly migrate?: boolean;
}

export interface PostgresHandle {
  readonly pool: Pool;
  readonly events: PostgresEventStore;
  readonly readModels: PostgresReadModelStore;
  /** Closes the event store (settling pending waits, ending the LISTEN connection) and the pool. Idempotent. */
  close(): Promise<void>;
}

/**
 * Connects to the PostgreSQL database at `url` (`postgres://user:password@host:port/database`),
 * brings the schema up to date (see `migrate`), and returns both stores on one pool. Every
 * failure is a StoreError without the password, with `details.retryable` when trying again may
 * help (the server is starting, the network broke). Closing the event store ends the pool.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<PostgresHandle> {
  const where = redact(url);
  const config = poolConfig(url, options);
  const pool = new Pool(config);
  // An idle connection that breaks (server restarted) is reported here; the pool drops it and the next query gets a new one.
  pool.on('error', () => undefined);
  // A connection that breaks while checked out (mid-append, mid-commit) emits 'error' on its client,
  // where the pool listens only while the client is idle: without this listener that event would
  // end the process. The query in flight fails with the same error (a retryable StoreError), and
  // the broken client is dropped when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  try {
    const { migrate: shouldMigrate = true } = options;
    await checkEncoding(pool);
    if (shouldMigrate) await migrate(pool);
    else await checkSchema(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    const wrapped = toStoreError(error, `cannot open PostgreSQL database '${where}'`, { url: where });
    if (wrapped instanceof StoreError && !wrapped.message.includes(where)) {
      throw new StoreError(`cannot open PostgreSQL database '${where}': ${wrapped.message}`, { ...wrapped.details, url: where }, { cause: error });
    }
    throw wrapped;
  }
  const events = new PostgresEventStore(pool, {
    listen: { connectionString: url, application_name: config.application_name, connectionTimeoutMillis: config.connectionTimeoutMillis, options: config.options },
    pollIntervalMs: options.pollIntervalMs,
    maxBatchSize: options.maxBatchSize,
    endPool: true,
  });
  const readModels = new PostgresReadModelStore(pool);
  return { pool, events, readModels, close: () => events.close() };
}

function poolConfig(url: string, options: OpenPostgresOptions): PoolConfig & { application_name: string; connectionTimeoutMillis: number } {
  const nonNegative = (value: number | undefined, fallback: number, name: string): number => {
    const v = value ?? fallback;
    if (!Number.isFinite(v) || v < 0) throw new StoreError(`${name} must be a non-negative number, not '${String(value)}'`, { retryable: false });
    return Math.floor(v);
  };
  const max = nonNegative(options.poolSize, 10, 'poolSize');
  if (max < 1) throw new StoreError('poolSize must be at least 1', { retryable: false });
  return {
    connectionString: url,
    max,
    statement_timeout: nonNegative(options.statementTimeoutMs, 30_000, 'statementTimeoutMs'),
    idle_in_transaction_session_timeout: nonNegative(options.idleInTransactionTimeoutMs, 10_000, 'idleInTransactionTimeoutMs'),
    connectionTimeoutMillis: nonNegative(options.connectionTimeoutMs, 10_000, 'connectionTimeoutMs'),
    idleTimeoutMillis: nonNegative(options.idleTimeoutMs, 30_000, 'idleTimeoutMs'),
    application_name: options.applicationName ?? 'interlend',
    ...(options.disableJit ?? true ? { options: '-c jit=off' } : {}),
  };
}

/** Code-point order (COLLATE "C" is byte order) and every character the engine writes need UTF-8. */
async function checkEncoding(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ encoding: string }>("SELECT current_setting('server_encoding') AS encoding");
  const encoding = rows[0]?.encoding;
  if (encoding !== 'UTF8') throw new StoreError(`the database's encoding is ${String(encoding)}, not UTF8: create it with ENCODING 'UTF8'`, { encoding, retryable: false });
}

async function checkSchema(pool: Pool): Promise<void> {
  const version = await schemaVersion(pool);
  if (version > SCHEMA_VERSION) throw newerSchemaError(version);
  if (version < SCHEMA_VERSION) {
    throw new StoreError(`PostgreSQL database has schema version ${version} and this code needs ${SCHEMA_VERSION}; open it once with migrate enabled to upgrade it`, {
      version,
      expected: SCHEMA_VERSION,
      retryable: false,
    });
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}
