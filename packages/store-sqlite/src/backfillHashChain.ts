import type { Database } from 'better-sqlite3';
import { GENESIS_HASH, type JsonObject } from '@interlend/engine';
import { chainHash } from './appendEvents';

type Row = [position: number, streamId: string, revision: number, eventId: string, type: string, data: string, metadata: string];

/**
 * Migration 3's backfill: chains every stored event to the one before it in its stream, stream by
 * stream in revision order, and records each stream's head hash. Runs inside the migration's
 * transaction, reading in pages of 1,000 along the (stream_id, revision) index. The chain vouches
 * for the log as this step found it: what happened to it before is not covered.
 */
export function backfillHashChain(db: Database): { events: number; streams: number } {
  const page = db
    .prepare<[string, number], Row>(
      'SELECT position, stream_id, revision, event_id, type, data, metadata FROM events WHERE (stream_id, revision) > (?, ?) ORDER BY stream_id, revision LIMIT 1000',
    )
    .raw(true);
  const setHash = db.prepare<[string, string, number]>('UPDATE events SET previous_hash = ?, hash = ? WHERE position = ?');
  const setHead = db.prepare<[string, string]>('UPDATE streams SET hash = ? WHERE stream_id = ?');
  let events = 0;
  let streams = 0;
  let streamId = '';
  let revision = -1;
  let previousHash = GENESIS_HASH;
  for (let rows = page.all(streamId, revision); rows.length > 0; rows = page.all(streamId, revision)) {
    for (const [position, stream, rev, id, type, data, metadata] of rows) {
      if (stream !== streamId || streams === 0) {
        if (streams > 0) setHead.run(previousHash, streamId);
        streams++;
        previousHash = GENESIS_HASH;
      }
      const hash = chainHash(previousHash, stream, rev, { id, type, data: JSON.parse(data) as JsonObject, metadata: JSON.parse(metadata) as JsonObject });
      setHash.run(previousHash, hash, position);
      previousHash = hash;
      streamId = stream;
      revision = rev;
      events++;
    }
  }
  if (streams > 0) setHead.run(previousHash, streamId);
  return { events, streams };
}
