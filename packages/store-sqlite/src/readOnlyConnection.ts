import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isStoreError, StoreError } from '@interlend/engine';
import { checkSchemaForReading, schemaVersion } from './schema';

export interface ReadOnlyOptions {
  readonly busyTimeoutMs: number;
  readonly cacheSizeMb: number;
}

/** How a connection is made: better-sqlite3's constructor, replaceable in tests. */
export type Connect = (path: string | Buffer, options: Database.Options) => Database.Database;

const defaultConnect: Connect = (path, options) => new Database(path, options);

/**
 * SQLite's answers when a WAL database's shared-memory index (`-shm`) can be neither opened nor
 * created: a read-only directory without the -shm file (after a clean close, say).
 */
const NO_WAL_INDEX = new Set(['SQLITE_CANTOPEN', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_CANTLOCK']);

/**
 * Opens an existing database file read-only (better-sqlite3 `readonly`, `fileMustExist`): no
 * migration, no WAL switch, no pragma that writes, no directory created. The schema must be at
 * exactly this code's version (see `checkSchemaForReading`).
 *
 * A WAL database needs its `-shm` index to be read. SQLite creates it when the directory is
 * writable (with an empty `-wal`, both left behind: they are not the database); where it can be
 * neither opened nor created, and the `-wal` is absent or empty (every commit is in the main
 * file), the file is read into memory and opened from there, its header switched to rollback
 * mode in that private copy (the `immutable=1` URI parameter would do the same without the copy,
 * but better-sqlite3 is built with URI filenames off and turns them on only process-wide, from
 * the SQLITE_USE_URI environment variable when its addon loads). A `-wal` holding commits that
 * cannot be indexed is refused with what to do.
 */
export function openReadOnlyConnection(path: string, options: ReadOnlyOptions, connect: Connect = defaultConnect): Database.Database {
  if (path === ':memory:' || path === '') throw new StoreError('an in-memory database cannot be opened read-only: it would be empty', { path, readonly: true });
  const fail = (why: string, details: Record<string, unknown> = {}, cause?: unknown): StoreError =>
    new StoreError(`cannot open SQLite database '${path}' read-only: ${why}`, { path, readonly: true, ...details }, cause === undefined ? undefined : { cause });
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : (error as Error).message, {}, error);
  }
  if (!isFile) throw fail('it is not a file');
  let db: Database.Database | undefined;
  try {
    db = connect(path, { readonly: true, fileMustExist: true, timeout: options.busyTimeoutMs });
    return ready(db, path, options);
  } catch (error) {
    if (db?.open) db.close();
    if (isStoreError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NO_WAL_INDEX.has(code) && isWalFile(path)) return openCopy(path, options, connect, error);
    throw fail((error as Error).message, typeof code === 'string' ? { sqliteCode: code } : {}, error);
  }
}

/** Configures the connection (settings of the connection only: nothing is written) and checks the schema version. */
function ready(db: Database.Database, path: string, options: ReadOnlyOptions): Database.Database {
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  db.pragma(`cache_size = ${-Math.floor(options.cacheSizeMb * 1024)}`);
  db.pragma('foreign_keys = ON');
  checkSchemaForReading(path, schemaVersion(db)); // the first read: it needs the WAL index
  return db;
}

/** Whether the file's header says WAL (bytes 18 and 19 are 2). */
function isWalFile(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = Buffer.alloc(20);
    return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The database read into memory, when its WAL index cannot be made and every commit is in the main file. */
function openCopy(path: string, options: ReadOnlyOptions, connect: Connect, cause: unknown): Database.Database {
  const wal = `${path}-wal`;
  if (existsSync(wal) && statSync(wal).size > 0) {
    throw new StoreError(
      `cannot open SQLite database '${path}' read-only: its write-ahead log '${wal}' holds commits not yet in the database file, and SQLite can neither open nor create its index '${path}-shm' (is the directory read-only?): open it once with write access, or copy the database with its -wal file to a writable directory`,
      { path, readonly: true, sqliteCode: (cause as { code?: unknown }).code },
      { cause },
    );
  }
  let db: Database.Database | undefined;
  try {
    const bytes = readFileSync(path);
    bytes[18] = 1; // rollback journal mode in this private copy: nothing to index
    bytes[19] = 1;
    db = connect(bytes, { readonly: true, timeout: options.busyTimeoutMs });
    return ready(db, path, options);
  } catch (error) {
    if (db?.open) db.close();
    if (isStoreError(error)) throw error;
    throw new StoreError(`cannot open SQLite database '${path}' read-only: ${(error as Error).message}`, { path, readonly: true }, { cause: error });
  }
}
