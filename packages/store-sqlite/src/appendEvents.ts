import type { Database, Statement, Transaction } from 'better-sqlite3';
import { canonicalJson, checkExpectedRevision, ConcurrencyError, eventHash, eventHashInputOfTexts, GENESIS_HASH, isInterlendError, StoreError, ValidationError } from '@interlend/engine';
import type { AppendResult, ExpectedRevision, JsonObject, NewEvent } from '@interlend/engine';
import { nodeSha256Hex } from './nodeSha256';

type AppendFn = (streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision) => AppendResult;

/** The prepared statements of the event log, made once per connection. */
export interface EventStatements {
  readonly db: Database;
  readonly streamRevision: Statement<[string], number>;
  /** The stream's revision and head hash (what the next event links to), as an array: its last row along the (stream_id, revision) index. */
  readonly streamHead: Statement<[string], [revision: number, hash: string | null]>;
  readonly insertEvent: Statement<[string, number, string, string, string, string, string, string]>;
  readonly head: Statement<[], number | null>;
  /** Rows as arrays: position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash. */
  readonly readAll: Statement<[number, number], EventRow>;
  readonly readStream: Statement<[string, number, number], EventRow>;
  readonly append: Transaction<AppendFn>;
}

export type EventRow = [position: number, streamId: string, revision: number, eventId: string, type: string, data: string, metadata: string, previousHash: string | null, hash: string | null];

const cache = new WeakMap<Database, EventStatements>();

/** The connection's statements, prepared on first use and shared by every user of the connection. */
export function eventStatements(db: Database): EventStatements {
  const cached = cache.get(db);
  if (cached) return cached;
  const columns = 'position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash';
  const s = {
    db,
    streamRevision: db.prepare<[string], number>('SELECT max(revision) FROM events WHERE stream_id = ?').pluck(),
    streamHead: db.prepare<[string], [number, string | null]>('SELECT revision, hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').raw(true),
    insertEvent: db.prepare<[string, number, string, string, string, string, string, string]>(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    head: db.prepare<[], number | null>('SELECT max(position) FROM events').pluck(),
    readAll: db.prepare<[number, number], EventRow>(`SELECT ${columns} FROM events WHERE position > ? ORDER BY position LIMIT ?`).raw(true),
    readStream: db
      .prepare<[string, number, number], EventRow>(`SELECT ${columns} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`)
      .raw(true),
  };
  const append = db.transaction((streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): AppendResult => {
    const head = s.streamHead.get(streamId);
    const current = head ? head[0] : -1;
    checkExpectedRevision(streamId, expectedRevision, current);
    let revision = current;
    let position = 0;
    // The chain: each event links to the stream's head hash (read with the revision, from the stream's last row).
    let previousHash = head?.[1] ?? GENESIS_HASH;
    for (const event of events) {
      revision++;
      // The canonical texts are both what is stored and what is hashed: one serialization each.
      const data = toJson(event.data, 'data');
      const metadata = toJson(event.metadata, 'metadata');
      const hash = nodeSha256Hex(eventHashInputOfTexts(previousHash, { streamId, revision, id: event.id, type: event.type }, data, metadata));
      const { lastInsertRowid } = s.insertEvent.run(streamId, revision, event.id, event.type, data, metadata, previousHash, hash);
      position = Number(lastInsertRowid);
      previousHash = hash;
    }
    return { nextExpectedRevision: revision, lastPosition: position };
  });
  const statements: EventStatements = { ...s, append };
  cache.set(db, statements);
  return statements;
}

/**
 * The event's chain hash with node:crypto's SHA-256. `canonicalJson` gives the text of the data
 * and metadata as they will read back (as the stored JSON parses), whatever the caller's objects
 * held (undefined members, dates, member order), without parsing what was just written.
 */
export function chainHash(previousHash: string, streamId: string, revision: number, event: Pick<NewEvent, 'id' | 'type' | 'data' | 'metadata'>): string {
  return eventHash(previousHash, { streamId, revision, id: event.id, type: event.type, data: event.data, metadata: event.metadata }, nodeSha256Hex);
}

/**
 * The stored text of an event's data or metadata: its canonical JSON (`canonicalJson`: members
 * sorted by name, as the hash chain takes it), which parses to the same value as JSON.stringify's
 * text. Since schema 4, so the append serializes each once instead of twice (measured in
 * docs/benchmarks.md, "Append path"); events written before keep their text.
 */
function toJson(value: JsonObject, field: string): string {
  try {
    return canonicalJson(value);
  } catch (error) {
    throw new ValidationError(`event ${field} is not JSON: ${(error as Error).message}`, { issues: [{ path: field, message: 'not serializable as JSON' }] }, { cause: error });
  }
}

/**
 * The one SQL path of an append, used by SqliteEventStore and by `rawAppendBaseline`: in one
 * BEGIN IMMEDIATE transaction, read the stream's revision and head hash (its last row along the
 * (stream_id, revision) index), check the expectation, and insert the events each chained to the
 * one before (the chain hash), storing the canonical texts hashed; the inserted rows are the new
 * revision and head. Holding the write lock from the first read means two connections (or
 * processes) cannot both pass the check for the same revision, nor link two events to the same head.
 */
export function appendEvents(statements: EventStatements, streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): AppendResult {
  try {
    return statements.append.immediate(streamId, events, expectedRevision);
  } catch (error) {
    throw toAppendError(error, streamId, events);
  }
}

/**
 * The append without the engine: no validation, no notification, no promise. The benchmark's
 * ceiling for what the store can do, through exactly the statements and transaction
 * `SqliteEventStore.appendToStream` uses.
 */
export function rawAppendBaseline(db: Database, streamId: string, events: readonly NewEvent[], expectedRevision: ExpectedRevision): AppendResult {
  return appendEvents(eventStatements(db), streamId, events, expectedRevision);
}

function toAppendError(error: unknown, streamId: string, events: readonly NewEvent[]): unknown {
  if (isInterlendError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' && message.includes('events.event_id')) {
    return new ConcurrencyError(`an event id of this append to '${streamId}' is already in the store; nothing was appended`, {
      streamId,
      eventIds: events.map((e) => e.id),
      reason: 'duplicate_event_id',
    });
  }
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    // (stream_id, revision) taken: another writer got there first (cannot happen while the write lock is held from the read).
    return new ConcurrencyError(`stream '${streamId}' moved on during the append; nothing was appended`, { streamId, reason: message });
  }
  return toStoreError(error, `append to '${streamId}' failed`);
}

/** Wraps a driver error (busy, I/O, closed connection) in StoreError, keeping it as the cause. */
export function toStoreError(error: unknown, what: string): unknown {
  if (isInterlendError(error)) return error;
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`${what}: ${message}`, typeof code === 'string' ? { sqliteCode: code } : {}, { cause: error });
}
