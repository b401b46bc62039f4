/**
 * `openSqlite(path, { readonly: true })`: reads events and read models, changes nothing, refuses
 * every write with a StoreError that says why, and runs no migration. Tests run as root, which
 * file permissions do not stop: "cannot be written" rests on better-sqlite3's readonly flag and on
 * the file's bytes and mtime staying as they were.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyChain } from '@interlend/engine';
import type { NewEvent } from '@interlend/engine';
import { migrate, MIGRATIONS, openSqlite, SCHEMA_VERSION, SqliteEventStore, SqliteReadModelStore } from './index';
import { openReadOnlyConnection, type Connect } from './readOnlyConnection';

const scratch = mkdtempSync(join(tmpdir(), 'interlend-readonly-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
const newPath = (): string => join(scratch, `db-${++count}.sqlite`);
const newEvents = (n: number): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: `ro-${++count}-${i}`, type: 'T', data: { i }, metadata: {} }));
const options = { busyTimeoutMs: 1000, cacheSizeMb: 8 };

/** A database with two streams and a read model, closed cleanly: no -wal or -shm file left. */
async function writtenAndClosed(): Promise<string> {
  const path = newPath();
  const writer = openSqlite(path);
  await writer.events.appendToStream('a', newEvents(3), { expectedRevision: 'no_stream' });
  await writer.events.appendToStream('b', newEvents(2), { expectedRevision: 'no_stream' });
  await writer.readModels.commit('p', [{ key: 'k', doc: { n: 1 }, index: ['v'] }], { expected: 0, next: 5 });
  await writer.close();
  return path;
}

describe('openSqlite read-only', () => {
  it('reads events and read models of a file that may not be written, after a clean close, and changes not a byte of it', async () => {
    const path = await writtenAndClosed();
    expect([existsSync(`${path}-wal`), existsSync(`${path}-shm`)]).toEqual([false, false]);
    chmodSync(path, 0o444);
    const bytes = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    try {
      const handle = openSqlite(path, { readonly: true });
      try {
        expect(handle.readonly).toBe(true);
        expect((await handle.events.readAll()).map((e) => [e.streamId, e.revision])).toEqual([['a', 0], ['a', 1], ['a', 2], ['b', 0], ['b', 1]]);
        expect((await handle.events.readStream('b')).map((e) => e.data)).toEqual([{ i: 0 }, { i: 1 }]);
        expect(await handle.events.headPosition()).toBe(5);
        expect(await handle.events.streamRevision('a')).toBe(2);
        expect(await handle.readModels.checkpoint('p')).toBe(5);
        expect(await handle.readModels.query('p', { index: 'v' })).toEqual([{ key: 'k', doc: { n: 1 } }]);
        expect(await handle.readModels.projections()).toEqual(['p']);
        expect(await verifyChain(handle.events)).toMatchObject({ ok: true, events: 5, streams: 2 });

        const readOnly = expect.objectContaining({ code: 'STORE', message: expect.stringContaining('was opened read-only'), details: expect.objectContaining({ readonly: true }) });
        await expect(handle.events.appendToStream('a', newEvents(1), { expectedRevision: 2 })).rejects.toEqual(readOnly);
        await expect(handle.events.appendToStream('new', newEvents(1), { expectedRevision: 'no_stream' })).rejects.toEqual(readOnly);
        await expect(handle.readModels.commit('p', [{ key: 'k', doc: 2 }], { expected: 5, next: 6 })).rejects.toEqual(readOnly);
        await expect(handle.readModels.commit('q', [], { expected: 0, next: 1 })).rejects.toEqual(readOnly);
        await expect(handle.readModels.reset('p')).rejects.toEqual(readOnly);
        expect(await handle.events.headPosition()).toBe(5);
      } finally {
        await handle.close();
      }
    } finally {
      chmodSync(path, 0o644);
    }
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
  });

  it('reads what a writer has committed and not yet checkpointed into the file (from its -wal), and what it commits later', async () => {
    const path = newPath();
    const writer = openSqlite(path);
    try {
      await writer.events.appendToStream('a', newEvents(2), { expectedRevision: 'no_stream' });
      expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
      const reader = openSqlite(path, { readonly: true });
      try {
        expect(await reader.events.headPosition()).toBe(2);
        await writer.events.appendToStream('a', newEvents(1), { expectedRevision: 1 });
        expect((await reader.events.readAll({ after: 2 })).map((e) => e.revision)).toEqual([2]);
        expect(await verifyChain(reader.events)).toMatchObject({ ok: true, events: 3 });
      } finally {
        await reader.close();
      }
    } finally {
      await writer.close();
    }
  });

  it('refuses a database at an older schema version, running no migration: open it once with write access to upgrade it', async () => {
    const path = newPath();
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.slice(0, SCHEMA_VERSION - 1));
    old.close();
    const bytes = readFileSync(path);
    expect(() => openSqlite(path, { readonly: true })).toThrow(
      expect.objectContaining({
        code: 'STORE',
        message: expect.stringMatching(new RegExp(`schema version ${SCHEMA_VERSION - 1} .*opened read-only.*open it once with write access to upgrade it`)),
        details: expect.objectContaining({ path, version: SCHEMA_VERSION - 1, expected: SCHEMA_VERSION, readonly: true }),
      }),
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
    // A store built on a read-only connection the caller made refuses to migrate it too.
    const raw = new Database(path, { readonly: true });
    try {
      expect(() => new SqliteEventStore(raw)).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining('open it once with write access') }));
    } finally {
      raw.close();
    }
    await openSqlite(path).close(); // the upgrade, with write access
    const reader = openSqlite(path, { readonly: true });
    expect(reader.readonly).toBe(true);
    await reader.close();
  });
});

describe('openReadOnlyConnection when SQLite can make no WAL index (a read-only directory)', () => {
  /** What SQLite answers an unprivileged reader in a read-only directory without the -shm file. */
  const noWalIndex: Connect = (path, opts) => {
    if (typeof path !== 'string') return new Database(path, opts);
    throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY_DIRECTORY' });
  };

  it('reads a private copy of the file in memory when every commit is in the file (no -wal), still read-only', async () => {
    const path = await writtenAndClosed();
    const bytes = readFileSync(path);
    const db = openReadOnlyConnection(path, options, noWalIndex);
    const events = new SqliteEventStore(db, { closeDatabase: true });
    try {
      expect([db.memory, db.readonly]).toEqual([true, true]);
      expect((await events.readAll()).map((e) => e.id)).toHaveLength(5);
      expect(await verifyChain(events)).toMatchObject({ ok: true, events: 5 });
      expect(await new SqliteReadModelStore(db).query('p')).toEqual([{ key: 'k', doc: { n: 1 } }]);
      await expect(events.appendToStream('a', newEvents(1), { expectedRevision: 2 })).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('opened read-only') });
    } finally {
      await events.close();
    }
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('refuses, saying what to do, when the -wal holds commits that are not in the file', async () => {
    const path = newPath();
    const writer = openSqlite(path);
    try {
      await writer.events.appendToStream('a', newEvents(1), { expectedRevision: 'no_stream' });
      expect(() => openReadOnlyConnection(path, options, noWalIndex)).toThrow(
        expect.objectContaining({ code: 'STORE', message: expect.stringMatching(/write-ahead log .* holds commits not yet in the database file.*open it once with write access/) }),
      );
    } finally {
      await writer.close();
    }
  });

  it('passes on any other failure to open, naming the path', () => {
    const path = newPath();
    const broken: Connect = () => {
      throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    };
    new Database(path).close();
    expect(() => openReadOnlyConnection(path, options, broken)).toThrow(
      expect.objectContaining({ code: 'STORE', message: `cannot open SQLite database '${path}' read-only: disk I/O error`, details: expect.objectContaining({ sqliteCode: 'SQLITE_IOERR' }) }),
    );
  });
});
