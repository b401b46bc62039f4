export { openSqlite, openDatabase } from './openSqlite';
export type { OpenSqliteOptions, SqliteHandle } from './openSqlite';
export { SqliteEventStore } from './sqliteEventStore';
export type { SqliteEventStoreOptions } from './sqliteEventStore';
export { SqliteReadModelStore } from './sqliteReadModelStore';
export { rawAppendBaseline } from './appendEvents';
export { nodeSha256Hex } from './nodeSha256';
export { migrate, schemaVersion, MIGRATIONS, SCHEMA_VERSION } from './schema';
export type { Migration } from './schema';
