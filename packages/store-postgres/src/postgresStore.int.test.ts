import { Client, Pool } from 'pg';
import { eventStoreContract, readModelStoreContract } from '@interlend/engine/testing';
import { InMemoryEventStore, verifyChain } from '@interlend/engine';
import type { CountQuery, DocQuery, NewEvent } from '@interlend/engine';
import { startPostgres } from '@interlend/store-postgres/testing';
import type { PostgresServerHandle } from '@interlend/store-postgres/testing';
import { appendInTransaction, isRetryable, migrate, MIGRATIONS, openPostgres, prepareEvents, redact, SCHEMA_VERSION, schemaVersion } from './index';
import type { PostgresHandle } from './index';

// One server for this file; a database per test.
let server: PostgresServerHandle;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function fixture(): Promise<{ current: () => PostgresHandle; reopen: () => Promise<PostgresHandle>; cleanup: () => Promise<void>; url: string }> {
  const url = await server.createDatabase();
  let handle = await openPostgres(url, { poolSize: 4 });
  return {
    url,
    current: () => handle,
    reopen: async () => {
      await handle.close();
      handle = await openPostgres(url, { poolSize: 4 });
      return handle;
    },
    cleanup: async () => {
      await handle.close();
      await server.dropDatabase(url);
    },
  };
}

eventStoreContract('PostgresEventStore (PostgreSQL 15)', async () => {
  const f = await fixture();
  return { store: f.current().events, reopen: async () => (await f.reopen()).events, cleanup: f.cleanup };
});

interface PlanNode {
  readonly 'Node Type': string;
  readonly Alias?: string;
  readonly 'Actual Rows'?: number;
  readonly 'Actual Loops'?: number;
  readonly 'Rows Removed by Filter'?: number;
  readonly 'Rows Removed by Index Recheck'?: number;
  readonly Plans?: readonly PlanNode[];
}

/**
 * The read-model contract's cost check, from the executed plan: a Sort, a sequential scan of the
 * index, or more index rows read by the walk (alias `i`) than the answer
 * has beyond one look-ahead.
 */
const postgresOverreads = (handle: () => PostgresHandle) => async (projection: string, query: DocQuery): Promise<boolean> => {
  // With statistics, as a live database has them (autovacuum analyzes): a table fresh from the
  // test's commit has none, and the planner then guesses.
  await handle().pool.query('ANALYZE read_model_index; ANALYZE read_model_docs');
  const [explained] = (await handle().readModels.explain(projection, query)) as [{ Plan: PlanNode }];
  const answer = explained.Plan['Actual Rows'] ?? 0;
  let read = 0;
  let sorts = false;
  const visit = (node: PlanNode): void => {
    // (An aggregate per row, the min() of one document's own values, is fine: an aggregate over
    // the range shows in the rows read through `i`.)
    if (node['Node Type'] === 'Sort' || (node['Node Type'] === 'Seq Scan' && node.Alias === 'i')) sorts = true;
    if (node.Alias === 'i') read += (node['Actual Rows'] ?? 0) * (node['Actual Loops'] ?? 1) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0);
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(explained.Plan);
  return sorts || read > answer + 1;
};

/** The read-model contract's check that a count reads the index alone: no node of the executed plan reads read_model_docs. */
const postgresCountReadsDocuments = (handle: () => PostgresHandle) => async (projection: string, query: CountQuery): Promise<boolean> => {
  await handle().pool.query('ANALYZE read_model_index; ANALYZE read_model_docs');
  const [explained] = (await handle().readModels.explainCount(projection, query)) as [{ Plan: PlanNode & { 'Relation Name'?: string } }];
  const readsDocs = (node: PlanNode & { 'Relation Name'?: string }): boolean =>
    node['Relation Name'] === 'read_model_docs' || (node.Plans ?? []).some((child) => readsDocs(child));
  return readsDocs(explained.Plan);
};

readModelStoreContract('PostgresReadModelStore (PostgreSQL 15)', async () => {
  const f = await fixture();
  return {
    store: f.current().readModels,
    reopen: async () => (await f.reopen()).readModels,
    overreads: postgresOverreads(f.current),
    countReadsDocuments: postgresCountReadsDocuments(f.current),
    cleanup: f.cleanup,
  };
});

let idCount = 0;
const newEvents = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: `pg-test-${++idCount}`, type: 'T', data: { i }, metadata: {} }));

describe('PostgresEventStore specifics', () => {
  let f: Awaited<ReturnType<typeof fixture>>;
  beforeEach(async () => {
    f = await fixture();
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('rejects an event id already in the store with ConcurrencyError, writing nothing', async () => {
    const { events } = f.current();
    const [first] = newEvents(1) as [NewEvent];
    await events.appendToStream('a', [first], { expectedRevision: 'no_stream' });
    await expect(events.appendToStream('b', [...newEvents(1), first], { expectedRevision: 'any' })).rejects.toMatchObject({
      code: 'CONCURRENCY',
      name: 'ConcurrencyError',
      details: { reason: 'duplicate_event_id' },
    });
    expect(await events.headPosition()).toBe(1);
    expect(await events.streamRevision('b')).toBe(-1);
    // The rolled-back append gave its position back: the log stays dense.
    expect((await events.appendToStream('b', newEvents(1), { expectedRevision: 'no_stream' })).lastPosition).toBe(2);
  });

  it("lets concurrent 'any' appends on separate connections to a new stream all succeed, one after the other (the new stream's row is locked like an existing one)", async () => {
    const writers = await Promise.all(Array.from({ length: 6 }, () => openPostgres(f.url, { poolSize: 1 })));
    try {
      const results = await Promise.all(writers.map((w) => w.events.appendToStream('fresh', newEvents(2), { expectedRevision: 'any' })));
      expect(results.map((r) => r.nextExpectedRevision).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9, 11]);
      const stream = await f.current().events.readStream('fresh');
      expect(stream.map((e) => e.revision)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(await verifyChain(f.current().events)).toMatchObject({ ok: true, events: 12 });
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  it('refuses an id, type or stream id holding U+0000 with ValidationError, before anything is sent', async () => {
    const { events } = f.current();
    await expect(events.appendToStream('s\u0000', newEvents(1), { expectedRevision: 'any' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(events.appendToStream('s', [{ id: 'a\u0000b', type: 'T', data: {}, metadata: {} }], { expectedRevision: 'any' })).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(events.appendToStream('s', [{ id: 'ok-nul', type: 'T\u0000', data: { nul: '\u0000' }, metadata: {} }], { expectedRevision: 'any' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(await events.headPosition()).toBe(0);
    // In data it is fine: JSON text escapes it.
    await events.appendToStream('s', [{ id: 'nul-in-data', type: 'T', data: { nul: 'a\u0000b' }, metadata: {} }], { expectedRevision: 'no_stream' });
    expect((await events.readStream('s'))[0]?.data).toEqual({ nul: 'a\u0000b' });
  });

  it('writes quotes, backslashes and SQL in ids, types, stream ids and data as they are', async () => {
    const { events } = f.current();
    const nasty = "it's \\ a \"test\"'); DROP TABLE events; --";
    await events.appendToStream(nasty, [{ id: nasty, type: nasty, data: { nasty }, metadata: { nasty } }], { expectedRevision: 'no_stream' });
    const [read] = await events.readStream(nasty);
    expect(read).toMatchObject({ id: nasty, type: nasty, streamId: nasty, data: { nasty }, metadata: { nasty } });
    expect(await events.headPosition()).toBe(1);
  });

  it('computes the same hash chain as the in-memory store (and so as SQLite), event for event', async () => {
    const memory = new InMemoryEventStore();
    const batches: [string, NewEvent[]][] = [['a', newEvents(3)], ['b', [{ id: 'x-1', type: 'Odd', data: { b: [1, { d: 2, c: 1 }], a: null, '10': true }, metadata: { actor: 'Zoë' } }]], ['a', newEvents(2)]];
    for (const [stream, batch] of batches) {
      await f.current().events.appendToStream(stream, batch, { expectedRevision: 'any' });
      await memory.appendToStream(stream, batch, { expectedRevision: 'any' });
    }
    const pg = await f.current().events.readAll();
    const mem = await memory.readAll();
    expect(pg.map((e) => [e.streamId, e.revision, e.previousHash, e.hash])).toEqual(mem.map((e) => [e.streamId, e.revision, e.previousHash, e.hash]));
    expect((await verifyChain(f.current().events)).logDigest).toBe((await verifyChain(memory)).logDigest);
    await memory.close();
  });

  it('wakes a wait on an append made through another handle (another process) by NOTIFY, not by the poll', async () => {
    const waiting = await openPostgres(f.url, { pollIntervalMs: 600_000 });
    const writing = await openPostgres(f.url);
    try {
      const wait = waiting.events.waitForEvents(0, { timeoutMs: 60_000 });
      // The waiter's LISTEN connection is up before the append.
      await until(async () => (await count(f.url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'interlend-listen'")) === 1);
      const { lastPosition } = await writing.events.appendToStream('s', newEvents(2), { expectedRevision: 'no_stream' });
      expect(await wait).toBe(lastPosition);
    } finally {
      await waiting.close();
      await writing.close();
    }
  });

  it('falls back to reading the head when no notification comes (a writer that does not NOTIFY)', async () => {
    const waiting = await openPostgres(f.url, { pollIntervalMs: 20 });
    const raw = new Client({ connectionString: f.url });
    await raw.connect();
    try {
      const wait = waiting.events.waitForEvents(0, { timeoutMs: 60_000 });
      // What a writer without NOTIFY would leave: the log and the counter moved.
      await raw.query("UPDATE log_head SET position = 1; INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash) VALUES (1, 's', 0, 'silent', 'T', '{}', '{}', '', '')");
      expect(await wait).toBe(1);
    } finally {
      await raw.end();
      await waiting.close();
    }
  });

  it('caps a readAll batch at maxBatchSize', async () => {
    const small = await openPostgres(f.url, { maxBatchSize: 3 });
    try {
      await small.events.appendToStream('s', newEvents(5), { expectedRevision: 'no_stream' });
      expect((await small.events.readAll({ maxCount: 100 })).map((e) => e.position)).toEqual([1, 2, 3]);
      expect((await small.events.readAll({ after: 3, maxCount: 100 })).map((e) => e.position)).toEqual([4, 5]);
    } finally {
      await small.close();
    }
  });

  it('serialises appends to one stream on its row: a held append makes the next one wait, then fail its stale expectation', async () => {
    const { events } = f.current();
    await events.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
    const holder = new Client({ connectionString: f.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await appendInTransaction(holder, 's', prepareEvents(newEvents(1)), 0);
      const second = events.appendToStream('s', newEvents(1), { expectedRevision: 0 });
      await until(async () => (await count(f.url, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")) === 1);
      await holder.query('COMMIT');
      await expect(second).rejects.toMatchObject({ code: 'CONCURRENCY' });
      expect((await events.readStream('s')).map((e) => e.revision)).toEqual([0, 1]);
    } finally {
      await holder.end();
    }
  });

  it('fails a statement that outlives statement_timeout with a retryable StoreError, writing nothing', async () => {
    const impatient = await openPostgres(f.url, { statementTimeoutMs: 100 });
    const holder = new Client({ connectionString: f.url });
    await holder.connect();
    try {
      // Through the patient handle: a new database's first statements are slow on a busy machine.
      await f.current().events.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
      await holder.query('BEGIN');
      await holder.query('SELECT * FROM streams WHERE stream_id = $1 FOR UPDATE', ['s']);
      await expect(impatient.events.appendToStream('s', newEvents(1), { expectedRevision: 0 })).rejects.toMatchObject({
        code: 'STORE',
        name: 'StoreError',
        details: { pgCode: '57014', retryable: true },
      });
      await holder.query('ROLLBACK');
      expect(await impatient.events.streamRevision('s')).toBe(0);
      expect(await impatient.events.headPosition()).toBe(1);
    } finally {
      await holder.end();
      await impatient.close();
    }
  });
});

describe('openPostgres', () => {
  it('refuses a server that does not answer with a retryable StoreError naming the URL without its password', async () => {
    const url = `postgres://someone:secret@127.0.0.1:${await closedPort()}/nothing`;
    const attempt = openPostgres(url, { connectionTimeoutMs: 2000 });
    await expect(attempt).rejects.toMatchObject({ code: 'STORE', details: { retryable: true } });
    await expect(attempt).rejects.toThrow(redact(url));
    await expect(attempt).rejects.not.toThrow('secret');
  });

  it('refuses a database that does not exist, not retryable', async () => {
    const url = server.url.replace(/\/postgres$/, '/no_such_database');
    await expect(openPostgres(url)).rejects.toMatchObject({ code: 'STORE', details: { pgCode: '3D000', retryable: false } });
  });

  it('refuses a database that is not UTF-8, not retryable', async () => {
    const name = `latin1_${process.pid}`;
    const admin = new Client({ connectionString: server.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} ENCODING 'LATIN1' TEMPLATE template0`);
    } finally {
      await admin.end();
    }
    const url = server.url.replace(/\/postgres$/, `/${name}`);
    await expect(openPostgres(url)).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('UTF8'), details: { retryable: false } });
    await server.dropDatabase(url);
  });

  it('validates its options', async () => {
    await expect(openPostgres(server.url, { poolSize: 0 })).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('poolSize') });
    await expect(openPostgres(server.url, { statementTimeoutMs: -1 })).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('statementTimeoutMs') });
  });

  it('sets the pool size, statement timeout and idle-in-transaction timeout on its connections', async () => {
    const url = await server.createDatabase();
    const handle = await openPostgres(url, { poolSize: 3, statementTimeoutMs: 1234, idleInTransactionTimeoutMs: 5678, applicationName: 'probe' });
    const withJit = await openPostgres(url, { disableJit: false });
    try {
      const { rows } = await handle.pool.query<{ st: string; it: string; app: string }>(
        "SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS it, current_setting('application_name') AS app, current_setting('jit') AS jit",
      );
      expect(rows[0]).toEqual({ st: '1234ms', it: '5678ms', app: 'probe', jit: 'off' });
      expect(handle.pool.options.max).toBe(3);
      expect((await withJit.pool.query("SELECT current_setting('jit') AS jit")).rows[0]).toEqual({ jit: 'on' });
    } finally {
      await withJit.close();
      await handle.close();
    }
  });

  it('closes idempotently; afterwards every call fails with StoreError', async () => {
    const url = await server.createDatabase();
    const handle = await openPostgres(url);
    await handle.close();
    await handle.close();
    await expect(handle.events.headPosition()).rejects.toMatchObject({ code: 'STORE' });
    await expect(handle.readModels.checkpoint('p')).rejects.toMatchObject({ code: 'STORE' });
  });
});

describe('migrations', () => {
  it('numbers migrations 1..SCHEMA_VERSION', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('creates the schema pinned by the snapshot', async () => {
    const url = await server.createDatabase();
    const handle = await openPostgres(url);
    try {
      const columns = await handle.pool.query(
        `SELECT table_name, column_name, data_type, collation_name, is_nullable FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
      );
      const indexes = await handle.pool.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname");
      const versions = await handle.pool.query('SELECT version, description FROM schema_migrations ORDER BY version');
      expect({ columns: columns.rows, indexes: indexes.rows, versions: versions.rows }).toMatchSnapshot();
    } finally {
      await handle.close();
      await server.dropDatabase(url);
    }
  });

  it('lets eight processes starting at once on an empty database migrate it exactly once', async () => {
    const url = await server.createDatabase();
    const handles = await Promise.all(Array.from({ length: 8 }, () => openPostgres(url, { poolSize: 1 })));
    try {
      const pool = handles[0]!.pool;
      expect((await pool.query('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r: { version: number }) => r.version)).toEqual(
        MIGRATIONS.map((m) => m.version),
      );
      expect(await schemaVersion(pool)).toBe(SCHEMA_VERSION);
      await Promise.all(handles.map((h, i) => h.events.appendToStream(`s-${i}`, newEvents(1), { expectedRevision: 'no_stream' })));
      expect(await handles[7]!.events.headPosition()).toBe(8);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await server.dropDatabase(url);
    }
  });

  it('applies only the migrations a database lacks, all in one transaction, and is idempotent', async () => {
    const url = await server.createDatabase();
    const pool = new Pool({ connectionString: url, max: 2 });
    try {
      expect(await migrate(pool)).toEqual({ from: 0, to: SCHEMA_VERSION });
      expect(await migrate(pool)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      const later = [
        ...MIGRATIONS,
        { version: SCHEMA_VERSION + 1, description: 'adds a table', sql: 'CREATE TABLE later (x int)' },
        { version: SCHEMA_VERSION + 2, description: 'fails', sql: 'SELECT no_such_function()' },
      ];
      await expect(migrate(pool, later)).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('no_such_function') });
      expect(await schemaVersion(pool)).toBe(SCHEMA_VERSION);
      expect((await pool.query("SELECT to_regclass('later') AS t")).rows[0].t).toBeNull();
      expect(await migrate(pool, later.slice(0, -1))).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
      expect(await schemaVersion(pool)).toBe(SCHEMA_VERSION + 1);
      // Now written by "newer code": refused, untouched.
      await expect(openPostgres(url)).rejects.toMatchObject({ code: 'STORE', message: expect.stringMatching(new RegExp(`schema version ${SCHEMA_VERSION + 1}.*upgrade the code`)) });
      await expect(openPostgres(url, { migrate: false })).rejects.toMatchObject({ code: 'STORE' });
    } finally {
      await pool.end();
      await server.dropDatabase(url);
    }
  });
});

// Last in this file: it stops and restarts the file's server.
describe('a server that goes away and comes back', () => {
  it('fails calls meanwhile with a retryable StoreError, then the same handle appends, reads and wakes waits again', async () => {
    const url = await server.createDatabase();
    const handle = await openPostgres(url, { poolSize: 2, pollIntervalMs: 50, connectionTimeoutMs: 2000 });
    try {
      await handle.events.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
      expect(await handle.events.waitForEvents(0, { timeoutMs: 10_000 })).toBe(1); // the LISTEN connection is made
      await server.kill();
      await expect(handle.events.appendToStream('s', newEvents(1), { expectedRevision: 0 })).rejects.toMatchObject({ code: 'STORE', details: { retryable: true } });
      await expect(handle.readModels.commit('p', [{ key: 'k', doc: 1 }], { expected: 0, next: 1 })).rejects.toMatchObject({ code: 'STORE', details: { retryable: true } });
      await expect(handle.events.headPosition()).rejects.toMatchObject({ code: 'STORE', details: { retryable: true } });
      await server.restart();
      // The pool replaces its broken connections; nothing half-written.
      expect(await handle.events.headPosition()).toBe(1);
      const waiting = handle.events.waitForEvents(1, { timeoutMs: 60_000 });
      const other = await openPostgres(url, { poolSize: 1 });
      try {
        const { lastPosition } = await other.events.appendToStream('s', newEvents(1), { expectedRevision: 0 });
        expect(await waiting).toBe(lastPosition);
      } finally {
        await other.close();
      }
      await handle.readModels.commit('p', [{ key: 'k', doc: 1 }], { expected: 0, next: 2 });
      expect((await handle.events.readStream('s')).map((e) => e.revision)).toEqual([0, 1]);
    } finally {
      await handle.close();
    }
  }, 60_000);
});

describe('errors', () => {
  it('tells retryable failures from the others', () => {
    const withCode = (code: string): Error => Object.assign(new Error('x'), { code });
    for (const code of ['40001', '40P01', '55P03', '57014', '57P01', '57P03', '08006', '53300', 'ECONNREFUSED', 'ECONNRESET']) expect([code, isRetryable(withCode(code))]).toEqual([code, true]);
    for (const code of ['23505', '42P01', '3D000', '28P01', '22P02']) expect([code, isRetryable(withCode(code))]).toEqual([code, false]);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
});

/** Polls a condition (not a timing assertion: it only waits for a state to be reached). */
async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function count(url: string, sql: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ count: string }>(sql)).rows[0]?.count);
  } finally {
    await client.end();
  }
}

async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}
