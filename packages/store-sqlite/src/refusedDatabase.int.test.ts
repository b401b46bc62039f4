/**
 * A database this code must not open is refused before anything is changed: the schema version is
 * read first, so a database written by newer code keeps every byte, its journal mode and its
 * directory as they were (issue 7, item 5).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqlite, SCHEMA_VERSION } from './index';
import type { OpenSqliteOptions } from './index';

const scratch = mkdtempSync(join(tmpdir(), 'interlend-refused-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A database in rollback (DELETE) journal mode, written by a newer version of this code. */
function newerDatabase(name: string): string {
  const path = join(scratch, name);
  const raw = new Database(path);
  raw.pragma('journal_mode = DELETE');
  raw.exec("CREATE TABLE from_the_future (x TEXT); INSERT INTO from_the_future VALUES ('kept')");
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  return path;
}

describe('a database written by newer code', () => {
  it.each<[string, OpenSqliteOptions]>([
    ['read-write', {}],
    ['read-write, synchronous=normal', { synchronous: 'normal' }],
    ['read-only', { readonly: true }],
  ])('is refused %s with a StoreError naming both versions, and not a byte of it changes', (label, options) => {
    const path = newerDatabase(`newer-${label.replace(/\W+/g, '-')}.db`);
    const bytes = readFileSync(path);
    const mtime = statSync(path).mtimeMs;
    expect(bytes[18]).toBe(1); // the header says rollback journal, not WAL (2)

    expect(() => openSqlite(path, options)).toThrow(
      expect.objectContaining({
        code: 'STORE',
        name: 'StoreError',
        message: expect.stringMatching(new RegExp(`'${path}' has schema version ${SCHEMA_VERSION + 1}; this code knows versions up to ${SCHEMA_VERSION}: upgrade the code`)),
        details: expect.objectContaining({ path, version: SCHEMA_VERSION + 1, expected: SCHEMA_VERSION }),
      }),
    );

    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(statSync(path).mtimeMs).toBe(mtime);
    for (const suffix of ['-wal', '-shm', '-journal']) expect({ suffix, exists: existsSync(`${path}${suffix}`) }).toEqual({ suffix, exists: false });
    const look = new Database(path, { readonly: true, fileMustExist: true });
    try {
      expect(look.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(look.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
      expect(look.prepare('SELECT x FROM from_the_future').pluck().get()).toBe('kept');
    } finally {
      look.close();
    }
  });
});

describe('opening a database that is not there read-only', () => {
  it('is refused without creating the file or its directory', () => {
    const path = join(scratch, 'not-yet', 'nested', 'store.db');
    expect(() => openSqlite(path, { readonly: true })).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining(`'${path}' read-only: no such file`) }));
    expect(existsSync(join(scratch, 'not-yet'))).toBe(false);
    expect(() => openSqlite(':memory:', { readonly: true })).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining('in-memory') }));
    expect(() => openSqlite(scratch, { readonly: true })).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining('not a file') }));
  });
});
