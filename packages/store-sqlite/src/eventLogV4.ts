import type { Database } from 'better-sqlite3';
import { StoreError } from '@interlend/engine';

/**
 * The event log's layout from schema version 4 (see docs/storage-sqlite.md, "Schema"):
 *
 * - `position` is the rowid (INTEGER PRIMARY KEY) without AUTOINCREMENT: SQLite hands out
 *   max(rowid) + 1, so a position could only come back if the tail of the log were deleted, and
 *   the `events_no_delete` and `events_no_update` triggers refuse every DELETE and UPDATE of an
 *   event. AUTOINCREMENT guarded the same case at the price of a `sqlite_sequence` read and write in
 *   every append.
 * - No `streams` table: a stream's revision and head hash are its last row along the
 *   (stream_id, revision) unique index, which every insert maintains anyway; the table cost a
 *   second b-tree write per append and could disagree with the log.
 * - `event_id` keeps its unique index: the store refuses an event id it already holds, in any
 *   stream (idempotency of retried appends); ids are UUID v7, so the index grows at its right edge.
 */
export const EVENT_LOG_V4_DDL = `
  CREATE TABLE events (
    position      INTEGER PRIMARY KEY,
    stream_id     TEXT    NOT NULL,
    revision      INTEGER NOT NULL,
    event_id      TEXT    NOT NULL,
    type          TEXT    NOT NULL,
    data          TEXT    NOT NULL,
    metadata      TEXT    NOT NULL,
    previous_hash TEXT,
    hash          TEXT
  );
`;

export const EVENT_LOG_V4_INDEXES = `
  CREATE UNIQUE INDEX events_by_stream ON events (stream_id, revision);
  CREATE UNIQUE INDEX events_by_id ON events (event_id);
  -- The log is append-only: without AUTOINCREMENT, a deleted tail would let its positions be
  -- handed out again (projections hold positions as checkpoints), and a stream's last row is its
  -- revision and head. Appends never fire these; a later migration that must rewrite rows drops
  -- and recreates them inside its transaction.
  CREATE TRIGGER events_no_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only: events are never deleted'); END;
  CREATE TRIGGER events_no_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'the event log is append-only: events are never changed'); END;
`;

/**
 * Migration 4: moves a version-3 log into the version-4 layout inside the migration's transaction,
 * copying every row as it is (positions, revisions, ids, JSON text, hashes). Before anything is
 * changed, the `streams` table, which goes away, must agree with the log (each stream's revision
 * and head hash are those of its last event); if it does not, events were removed or edited under
 * the store, and the migration is refused with the streams named, leaving the database as it was,
 * so that the evidence is not dropped with the table.
 */
export function migrateEventLogToV4(db: Database): { events: number; streams: number } {
  const disagreeing = db
    .prepare<[], { stream_id: string }>(
      `SELECT stream_id FROM (
         SELECT s.stream_id, s.revision, s.hash, e.revision AS last_revision, e.hash AS last_hash
         FROM streams s LEFT JOIN events e
           ON e.stream_id = s.stream_id AND e.revision = (SELECT max(revision) FROM events WHERE stream_id = s.stream_id)
         UNION ALL
         SELECT DISTINCT e.stream_id, NULL, NULL, -1, NULL FROM events e WHERE NOT EXISTS (SELECT 1 FROM streams s WHERE s.stream_id = e.stream_id)
       ) WHERE revision IS NOT last_revision OR hash IS NOT last_hash
       ORDER BY stream_id LIMIT 10`,
    )
    .all();
  if (disagreeing.length > 0) {
    const names = disagreeing.map((r) => `'${r.stream_id}'`).join(', ');
    throw new StoreError(
      `cannot move the event log of '${db.name}' to schema version 4: the recorded revision or head hash of stream(s) ${names} does not match the stream's last event (events were removed or edited under the store); nothing was changed: check the log with \`interlend verify\``,
      { path: db.name, streams: disagreeing.map((r) => r.stream_id), version: 3, expected: 4 },
    );
  }
  db.exec('ALTER TABLE events RENAME TO events_v3');
  db.exec(EVENT_LOG_V4_DDL);
  const { changes } = db
    .prepare(
      `INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash)
       SELECT position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash FROM events_v3 ORDER BY position`,
    )
    .run();
  const streams = db.prepare<[], number>('SELECT count(*) FROM streams').pluck().get() ?? 0;
  db.exec(`
    DROP TABLE events_v3;
    DROP TABLE streams;
    DELETE FROM sqlite_sequence WHERE name IN ('events', 'events_v3');
    ${EVENT_LOG_V4_INDEXES}
  `);
  return { events: changes, streams };
}
