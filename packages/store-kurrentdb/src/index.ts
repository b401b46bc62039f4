export { openKurrentDb } from './openKurrentDb';
export type { KurrentDbHandle, OpenKurrentDbOptions } from './openKurrentDb';
export { KurrentDbEventStore } from './kurrentEventStore';
export type { KurrentClient, KurrentDbEventStoreOptions } from './kurrentEventStore';
export { normalizeConnectionString, redactConnectionString, KURRENTDB_SCHEMES } from './connectionString';
export { DEFAULT_STREAM_PREFIX, checkStreamPrefix } from './streamNames';
export { toGlobalPosition, fromGlobalPosition, APPEND_SLOTS, MAX_EVENTS_PER_APPEND, MAX_COMMIT_POSITION } from './globalPosition';
export { toKurrentEventId, ENGINE_ID_NAMESPACE } from './eventId';
