import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eventStoreContract, readModelStoreContract } from '@interlend/engine/testing';
import type { CountQuery, DocQuery, NewEvent } from '@interlend/engine';
import { migrate, MIGRATIONS, openSqlite, rawAppendBaseline, SCHEMA_VERSION, schemaVersion, SqliteEventStore } from './index';
import type { SqliteHandle } from './index';
import { eventStatements } from './appendEvents';

const scratch = mkdtempSync(join(tmpdir(), 'interlend-sqlite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
/** A fresh database file in a directory that does not exist yet (openSqlite creates it). */
const newPath = (): string => join(scratch, `case-${++fileCount}`, 'nested', 'store.db');

function fileFixture(): { current: () => SqliteHandle; reopen: () => Promise<SqliteHandle>; cleanup: () => Promise<void> } {
  const path = newPath();
  let handle = openSqlite(path);
  return {
    current: () => handle,
    reopen: async () => {
      await handle.close();
      handle = openSqlite(path);
      return handle;
    },
    cleanup: async () => {
      await handle.close();
      rmSync(join(path, '..', '..'), { recursive: true, force: true });
    },
  };
}

eventStoreContract('SqliteEventStore on a file (WAL, synchronous=FULL)', async () => {
  const f = fileFixture();
  return { store: f.current().events, reopen: async () => (await f.reopen()).events, cleanup: f.cleanup };
});

/**
 * The read-model contract's cost check: the rows the store stepped through beyond its answer, and
 * SQLite's plan for the statement (a sort shows as 'USE TEMP B-TREE').
 */
const sqliteOverreads = (handle: () => SqliteHandle) => async (projection: string, query: DocQuery): Promise<boolean> => {
  const store = handle().readModels;
  const plan = store.queryPlan(projection, query);
  const before = store.examined;
  const answer = await store.query(projection, query);
  return store.examined - before > answer.length + 1 || plan.length === 0 || plan.some((step) => /TEMP B-TREE|^SCAN \S+$/.test(step));
};

/** The read-model contract's check that a count reads the index alone: SQLite's plan names no documents table. */
const sqliteCountReadsDocuments = (handle: () => SqliteHandle) => async (projection: string, query: CountQuery): Promise<boolean> => {
  const plan = handle().readModels.countPlan(projection, query);
  return plan.length === 0 || plan.some((step) => /_docs\b|^SCAN /.test(step));
};

readModelStoreContract('SqliteReadModelStore on a file', async () => {
  const f = fileFixture();
  return {
    store: f.current().readModels,
    reopen: async () => (await f.reopen()).readModels,
    overreads: sqliteOverreads(f.current),
    countReadsDocuments: sqliteCountReadsDocuments(f.current),
    cleanup: f.cleanup,
  };
});

eventStoreContract('SqliteEventStore in memory', async () => {
  const handle = openSqlite(':memory:');
  return { store: handle.events, cleanup: () => handle.close() };
});

readModelStoreContract('SqliteReadModelStore in memory', async () => {
  const handle = openSqlite(':memory:');
  return { store: handle.readModels, overreads: sqliteOverreads(() => handle), countReadsDocuments: sqliteCountReadsDocuments(() => handle), cleanup: () => handle.close() };
});

let idCount = 0;
const newEvents = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: `sqlite-test-${++idCount}`, type: 'T', data: { i }, metadata: {} }));

describe('openSqlite', () => {
  const handles: SqliteHandle[] = [];
  const open = (...args: Parameters<typeof openSqlite>): SqliteHandle => {
    const handle = openSqlite(...args);
    handles.push(handle);
    return handle;
  };
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
  });

  it('configures WAL, synchronous=FULL, a busy timeout and foreign keys, and the current schema version', () => {
    const { db } = open(newPath());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('cache_size', { simple: true })).toBe(-64 * 1024);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
  });

  it("uses synchronous=NORMAL, another busy timeout and another page cache when asked", () => {
    const { db } = open(newPath(), { synchronous: 'normal', busyTimeoutMs: 250, cacheSizeMb: 8 });
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(250);
    expect(db.pragma('cache_size', { simple: true })).toBe(-8 * 1024);
    expect(() => openSqlite(newPath(), { cacheSizeMb: 0 })).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining('cacheSizeMb') }));
  });

  it('creates the schema pinned by the snapshot, with the tables of a projection', async () => {
    const { db, readModels } = open(':memory:');
    await readModels.commit('p', [{ key: 'k', doc: 1, index: ['v'] }], { expected: 0, next: 1 });
    const schema = db.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_autoindex%' ORDER BY type, name").all();
    expect(schema).toMatchSnapshot();
  });

  it('refuses a path that is a directory, naming it', () => {
    const dir = join(scratch, 'a-directory');
    mkdirSync(dir, { recursive: true });
    expect(() => openSqlite(dir)).toThrow(expect.objectContaining({ code: 'STORE', name: 'StoreError', message: expect.stringContaining(dir) }));
  });

  it('refuses a file that is not a database, naming it', () => {
    const path = join(scratch, 'not-a-db.txt');
    writeFileSync(path, 'this is not an SQLite database, just some text that is long enough to have a header'.repeat(20));
    expect(() => openSqlite(path)).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining(path) }));
  });

  it('refuses a path whose directory cannot be created, naming it', () => {
    const file = join(scratch, 'plain-file');
    writeFileSync(file, 'x');
    const path = join(file, 'sub', 'store.db');
    expect(() => openSqlite(path)).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining(path) }));
  });

  it('refuses a database written by a newer schema version', () => {
    const path = newPath();
    open(path);
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => openSqlite(path)).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringMatching(new RegExp(`schema version ${SCHEMA_VERSION + 1}.*upgrade`)) }));
  });

  it('keeps one connection for both stores, and closing the event store closes it', async () => {
    const handle = open(':memory:');
    expect(handle.events.db).toBe(handle.db);
    expect(handle.readModels.db).toBe(handle.db);
    await handle.events.close();
    expect(handle.db.open).toBe(false);
    await expect(handle.readModels.checkpoint('p')).rejects.toMatchObject({ code: 'STORE' });
    await expect(handle.events.headPosition()).rejects.toMatchObject({ code: 'STORE' });
    await handle.close();
  });
});

describe('migrations', () => {
  it('numbers migrations 1..SCHEMA_VERSION', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('applies only the migrations a database lacks, in one transaction, and is idempotent', () => {
    const db = new Database(':memory:');
    try {
      expect(migrate(db)).toEqual({ from: 0, to: SCHEMA_VERSION });
      expect(migrate(db)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
      const applied: number[] = [];
      const later = [
        ...MIGRATIONS,
        { version: SCHEMA_VERSION + 1, description: 'test', up: (d: Database.Database) => (applied.push(SCHEMA_VERSION + 1), d.exec('CREATE TABLE later (x)')) },
        { version: SCHEMA_VERSION + 2, description: 'fails', up: () => { throw new Error('boom'); } },
      ];
      expect(() => migrate(db, later)).toThrow('boom');
      // The failed step rolled back the one before it too: the database is as it was.
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'later'").pluck().get()).toBe(0);
      expect(migrate(db, later.slice(0, -1))).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION + 1 });
      expect(applied).toEqual([SCHEMA_VERSION + 1, SCHEMA_VERSION + 1]);
      expect(schemaVersion(db)).toBe(SCHEMA_VERSION + 1);
    } finally {
      db.close();
    }
  });
});

describe('rawAppendBaseline', () => {
  it('appends through the same statements and checks as the store', async () => {
    const handle = openSqlite(':memory:');
    try {
      await handle.events.appendToStream('s', newEvents(2), { expectedRevision: 'no_stream' });
      expect(rawAppendBaseline(handle.db, 's', newEvents(3), 1)).toEqual({ nextExpectedRevision: 4, lastPosition: 5 });
      expect(() => rawAppendBaseline(handle.db, 's', newEvents(1), 1)).toThrow(expect.objectContaining({ code: 'CONCURRENCY' }));
      expect((await handle.events.readStream('s')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
      expect(await handle.events.streamRevision('s')).toBe(4);
      expect(eventStatements(handle.db)).toBe(eventStatements(handle.db));
    } finally {
      await handle.close();
    }
  });
});

describe('SqliteEventStore specifics', () => {
  it('rejects an event id already in the store with ConcurrencyError, writing nothing', async () => {
    const handle = openSqlite(':memory:');
    try {
      const [first] = newEvents(1) as [NewEvent];
      await handle.events.appendToStream('a', [first], { expectedRevision: 'no_stream' });
      await expect(handle.events.appendToStream('b', [...newEvents(1), first], { expectedRevision: 'any' })).rejects.toMatchObject({
        code: 'CONCURRENCY',
        details: { reason: 'duplicate_event_id' },
      });
      expect(await handle.events.headPosition()).toBe(1);
      expect(await handle.events.streamRevision('b')).toBe(-1);
    } finally {
      await handle.close();
    }
  });

  it('wakes a wait at once on an append through another handle to the same file', async () => {
    const path = newPath();
    const waiting = openSqlite(path, { pollIntervalMs: 60_000 });
    const writing = openSqlite(path);
    try {
      const start = performance.now();
      const wait = waiting.events.waitForEvents(0, { timeoutMs: 10_000 });
      const { lastPosition } = await writing.events.appendToStream('s', newEvents(2), { expectedRevision: 'no_stream' });
      expect(await wait).toBe(lastPosition);
      expect(performance.now() - start).toBeLessThan(1000);
    } finally {
      await waiting.close();
      await writing.close();
    }
  });

  it('notices appends by another connection that does not notify (another process) by polling', async () => {
    const path = newPath();
    const waiting = openSqlite(path, { pollIntervalMs: 20 });
    const other = new Database(path, { timeout: 5000 });
    try {
      const start = performance.now();
      const wait = waiting.events.waitForEvents(0, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const { lastPosition } = rawAppendBaseline(other, 's', newEvents(1), 'no_stream');
      expect(await wait).toBe(lastPosition);
      expect(performance.now() - start).toBeLessThan(2000);
    } finally {
      other.close();
      await waiting.close();
    }
  });

  it('leaves no timer running once a wait settles or the store closes', async () => {
    // Count the timers the store starts and has not cleared (its timers are unref'd, so
    // process.getActiveResourcesInfo() does not show them).
    const live = new Set<unknown>();
    const realSetTimeout = global.setTimeout;
    const realSetInterval = global.setInterval;
    const realClearTimeout = global.clearTimeout;
    const realClearInterval = global.clearInterval;
    const spies = [
      jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
        const handle: NodeJS.Timeout = realSetTimeout(() => (live.delete(handle), fn()), ms);
        live.add(handle);
        return handle;
      }) as typeof setTimeout),
      jest.spyOn(global, 'setInterval').mockImplementation(((fn: () => void, ms?: number) => {
        const handle = realSetInterval(fn, ms);
        live.add(handle);
        return handle;
      }) as typeof setInterval),
      jest.spyOn(global, 'clearTimeout').mockImplementation((handle) => {
        live.delete(handle);
        realClearTimeout(handle);
      }),
      jest.spyOn(global, 'clearInterval').mockImplementation((handle) => {
        live.delete(handle);
        realClearInterval(handle);
      }),
    ];
    const handle = openSqlite(':memory:', { pollIntervalMs: 20 });
    try {
      const wait = handle.events.waitForEvents(0, { timeoutMs: 10_000 });
      expect(live.size).toBe(2); // the timeout and the poller
      await handle.events.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
      expect(await wait).toBe(1);
      expect(live.size).toBe(0);
      const pending = handle.events.waitForEvents(1, { timeoutMs: 10_000 });
      expect(live.size).toBe(2);
      await handle.close();
      expect(await pending).toBe(1);
      expect(live.size).toBe(0);
    } finally {
      for (const spy of spies) spy.mockRestore();
      await handle.close();
    }
  });

  it('fails with StoreError when another connection holds the write lock past the busy timeout, writing nothing', async () => {
    const path = newPath();
    const handle = openSqlite(path, { busyTimeoutMs: 50 });
    const other = new Database(path, { timeout: 5000 });
    try {
      await handle.events.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
      other.exec('BEGIN IMMEDIATE');
      rawAppendBaseline(other, 's', newEvents(1), 0);
      const start = performance.now();
      await expect(handle.events.appendToStream('s', newEvents(1), { expectedRevision: 0 })).rejects.toMatchObject({ code: 'STORE', details: { sqliteCode: 'SQLITE_BUSY' } });
      expect(performance.now() - start).toBeGreaterThanOrEqual(40);
      other.exec('COMMIT');
      // The other writer's event is now visible, so the same expectation is stale.
      await expect(handle.events.appendToStream('s', newEvents(1), { expectedRevision: 0 })).rejects.toMatchObject({ code: 'CONCURRENCY' });
      expect(await handle.events.streamRevision('s')).toBe(1);
    } finally {
      other.close();
      await handle.close();
    }
  });

  it('caps a readAll batch at maxBatchSize, 5,000 by default', async () => {
    const small = openSqlite(':memory:', { maxBatchSize: 3 });
    const large = openSqlite(':memory:');
    try {
      await small.events.appendToStream('s', newEvents(5), { expectedRevision: 'no_stream' });
      expect((await small.events.readAll({ maxCount: 100 })).map((e) => e.position)).toEqual([1, 2, 3]);
      expect((await small.events.readAll({ after: 3, maxCount: 100 })).map((e) => e.position)).toEqual([4, 5]);
      for (let i = 0; i < 6; i++) await large.events.appendToStream(`s${i}`, newEvents(1000), { expectedRevision: 'no_stream' });
      expect(await large.events.readAll({ maxCount: 10_000 })).toHaveLength(5000);
      expect(await large.events.readAll()).toHaveLength(1000);
    } finally {
      await small.close();
      await large.close();
    }
  });

  it('can be built on a connection the caller owns, leaving it open on close', async () => {
    const db = new Database(':memory:');
    const store = new SqliteEventStore(db);
    await store.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
    await store.close();
    expect(db.open).toBe(true);
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(1);
    db.close();
  });
});

describe('read-model commits and durability', () => {
  it('commits read models without an fsync but leaves the connection at synchronous=FULL for events', async () => {
    const handle = openSqlite(join(mkdtempSync(join(tmpdir(), 'interlend-sync-')), 'db.sqlite'));
    try {
      expect(handle.db.pragma('synchronous', { simple: true })).toBe(2);
      await handle.readModels.commit('p', [{ key: 'a', doc: 1 }], { expected: 0, next: 1 });
      expect(handle.db.pragma('synchronous', { simple: true })).toBe(2);
      await expect(handle.readModels.commit('p', [], { expected: 0, next: 2 })).rejects.toMatchObject({ code: 'CONCURRENCY' });
      expect(handle.db.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      await handle.close();
    }
  });
});

describe('read-model tables per projection', () => {
  const count = (db: Database.Database, table: string): number => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

  it('gives each projection tables of its own, and a reset drops them for new ones on the next commit', async () => {
    const handle = openSqlite(':memory:');
    try {
      const rm = handle.readModels;
      expect(rm.tableNames('a')).toBeUndefined();
      await rm.commit('a', [{ key: 'k1', doc: { n: 1 }, index: ['x', 'y'] }, { key: 'k2', doc: { n: 2 }, index: ['x'] }], { expected: 0, next: 3 });
      await rm.commit('b', [{ key: 'k1', doc: 'other' }], { expected: 0, next: 1 });
      const a = rm.tableNames('a')!;
      expect(a).not.toEqual(rm.tableNames('b'));
      expect(count(handle.db, a.docs)).toBe(2);
      expect(count(handle.db, a.index)).toBe(3);
      // The stored index values let a rewrite remove exactly the old index rows.
      await rm.commit('a', [{ key: 'k1', doc: { n: 11 }, index: ['z'] }, { key: 'k2', doc: null }], { expected: 3, next: 4 });
      expect(handle.db.prepare(`SELECT value, key FROM ${a.index} ORDER BY value`).raw(true).all()).toEqual([['z', 'k1']]);
      expect(await rm.query('a', { index: 'x' })).toEqual([]);
      expect(await rm.query('a')).toEqual([{ key: 'k1', doc: { n: 11 } }]);

      await rm.reset('a');
      expect(rm.tableNames('a')).toBeUndefined();
      expect(handle.db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN (?, ?)").pluck().get(a.docs, a.index)).toBe(0);
      expect(await rm.query('a')).toEqual([]);
      expect(await rm.getMany('a', ['k1'])).toEqual(new Map());
      expect(await rm.projections()).toEqual(['b']);
      await rm.commit('a', [{ key: 'k3', doc: 3, index: ['x'] }], { expected: 0, next: 9 });
      const again = rm.tableNames('a')!;
      expect(again.docs).not.toBe(a.docs); // numbers are never handed out twice
      expect(await rm.query('a', { index: 'x' })).toEqual([{ key: 'k3', doc: 3 }]);
      expect(await rm.query('b')).toEqual([{ key: 'k1', doc: 'other' }]);
    } finally {
      await handle.close();
    }
  });

  it('loads an empty read model with a key written twice in one commit as the last write says', async () => {
    const handle = openSqlite(':memory:');
    try {
      await handle.readModels.commit('p', [{ key: 'k', doc: 1, index: ['old'] }, { key: 'k', doc: 2, index: ['new'] }, { key: 'gone', doc: 1 }, { key: 'gone', doc: null }], { expected: 0, next: 1 });
      expect(await handle.readModels.query('p')).toEqual([{ key: 'k', doc: 2 }]);
      expect(await handle.readModels.query('p', { index: 'old' })).toEqual([]);
      expect(await handle.readModels.query('p', { index: 'new' })).toEqual([{ key: 'k', doc: 2 }]);
    } finally {
      await handle.close();
    }
  });

  it('lets a connection whose projection was reset and recreated by another connection use the new tables', async () => {
    const path = newPath();
    const one = openSqlite(path);
    const two = openSqlite(path);
    try {
      await one.readModels.commit('p', [{ key: 'k', doc: 'first', index: ['v'] }], { expected: 0, next: 1 });
      expect(await two.readModels.query('p', { index: 'v' })).toEqual([{ key: 'k', doc: 'first' }]); // two prepares statements for the first tables
      await one.readModels.reset('p');
      await one.readModels.commit('p', [{ key: 'k', doc: 'second', index: ['v'] }], { expected: 0, next: 2 });
      expect(await two.readModels.query('p', { index: 'v' })).toEqual([{ key: 'k', doc: 'second' }]);
      await two.readModels.commit('p', [{ key: 'k', doc: 'third', index: ['w'] }], { expected: 2, next: 3 });
      expect(await one.readModels.query('p', { index: 'w' })).toEqual([{ key: 'k', doc: 'third' }]);
      expect(await one.readModels.query('p', { index: 'v' })).toEqual([]);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it('answers a read from one snapshot even when another connection drops the tables between the lookup and the query', async () => {
    const path = newPath();
    const reader = openSqlite(path);
    const other = openSqlite(path);
    try {
      await reader.readModels.commit('p', [{ key: 'k', doc: 'before', index: ['v'] }], { expected: 0, next: 1 });
      // Interleave deterministically: the other connection resets 'p' right after the reader has looked its tables up.
      const tableOf = (reader.readModels as unknown as { tableOf: { get(projection: string): number | undefined } }).tableOf;
      const lookUp = tableOf.get.bind(tableOf);
      let interleaved = 0;
      tableOf.get = (projection: string) => {
        const id = lookUp(projection);
        if (interleaved++ === 0) void other.readModels.reset(projection); // synchronous underneath: the drop is committed on return
        return id;
      };
      expect(await reader.readModels.query('p', { index: 'v' })).toEqual([{ key: 'k', doc: 'before' }]);
      expect(other.readModels.tableNames('p')).toBeUndefined();
      expect(await reader.readModels.query('p')).toEqual([]); // the next read sees the reset
    } finally {
      await reader.close();
      await other.close();
    }
  });

  it('migrates a version-1 database by dropping its read models, which the runner rebuilds from the log', async () => {
    const path = newPath();
    mkdirSync(join(path, '..'), { recursive: true });
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 1));
    // The SQL of a version-1 append (today's statements need version 3's columns).
    for (const [revision, e] of newEvents(2).entries()) {
      old.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)').run('s', revision, e.id, e.type, JSON.stringify(e.data), '{}');
    }
    old.prepare("INSERT INTO streams (stream_id, revision) VALUES ('s', 1)").run();
    old.prepare("INSERT INTO read_models (projection, key, doc) VALUES ('p', 'k', '1')").run();
    old.prepare("INSERT INTO checkpoints (projection, position) VALUES ('p', 2)").run();
    old.close();
    const handle = openSqlite(path);
    try {
      expect(schemaVersion(handle.db)).toBe(SCHEMA_VERSION);
      expect(await handle.events.headPosition()).toBe(2);
      expect(await handle.readModels.checkpoint('p')).toBe(0);
      expect(await handle.readModels.projections()).toEqual([]);
      expect(handle.db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('read_models', 'read_model_index')").pluck().get()).toBe(0);
    } finally {
      await handle.close();
    }
  });
});
