/**
 * Schema 4, the leaner event log: migration 4 moves a version-3 log (built here by the shipped
 * migrations 1–3, the previous layout's DDL) into the new layout keeping every position, revision,
 * id, byte of JSON and hash; it refuses a log whose `streams` table disagrees with its events; and
 * the new layout keeps the append guarantees without AUTOINCREMENT and without `streams`, storing
 * data and metadata as the canonical JSON the hash chain is taken over.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eventHashInputOfTexts, GENESIS_HASH, InMemoryEventStore, verifyChain } from '@interlend/engine';
import type { NewEvent, StoredEvent } from '@interlend/engine';
import { migrate, MIGRATIONS, nodeSha256Hex, openSqlite, SCHEMA_VERSION, schemaVersion } from './index';

const scratch = mkdtempSync(join(tmpdir(), 'interlend-v4-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
const newEvents = (n: number, type = 'T'): NewEvent[] =>
  Array.from({ length: n }, (_, i) => ({ id: `v4-${++count}`, type, data: { i, note: `n${count}`, nested: { z: 1, a: [true, null, 'é'] } }, metadata: { actor: 'x', at: count } }));

/** Streams a, b, c appended in interleaved batches: what the version-3 database will hold. */
async function history(): Promise<InMemoryEventStore> {
  const memory = new InMemoryEventStore();
  await memory.appendToStream('b', newEvents(2), { expectedRevision: 'no_stream' });
  await memory.appendToStream('a', newEvents(1), { expectedRevision: 'no_stream' });
  await memory.appendToStream('b', newEvents(3, 'Shipped'), { expectedRevision: 1 });
  await memory.appendToStream('c', newEvents(1), { expectedRevision: 'no_stream' });
  await memory.appendToStream('a', newEvents(2), { expectedRevision: 0 });
  return memory;
}

/** A database at schema version 3, holding `events` as the version-3 append path wrote them (events and `streams` rows). */
function version3Database(path: string, events: readonly StoredEvent[], streams: (heads: Map<string, [number, string]>) => void = () => undefined): void {
  const old = new Database(path);
  migrate(old, MIGRATIONS.slice(0, 3));
  const insert = old.prepare('INSERT INTO events (position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const heads = new Map<string, [number, string]>();
  for (const e of events) {
    insert.run(e.position, e.streamId, e.revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata), e.previousHash, e.hash);
    heads.set(e.streamId, [e.revision, e.hash as string]);
  }
  streams(heads);
  const upsert = old.prepare('INSERT INTO streams (stream_id, revision, hash) VALUES (?, ?, ?)');
  for (const [streamId, [revision, hash]] of heads) upsert.run(streamId, revision, hash);
  expect(schemaVersion(old)).toBe(3);
  old.close();
}

const rows = (db: Database.Database) => db.prepare('SELECT position, stream_id, revision, event_id, type, data, metadata, previous_hash, hash FROM events ORDER BY position').raw(true).all();

describe('migration 4', () => {
  it('moves a version-3 log into the new layout with every position, revision, id, JSON text and hash as it was', async () => {
    // Given a version-3 database holding three interleaved streams
    const memory = await history();
    const expected = await memory.readAll();
    const path = join(scratch, 'v3.db');
    version3Database(path, expected);
    const raw = new Database(path, { readonly: true });
    const before = rows(raw);
    raw.close();

    // When it is opened with write access (as every command that writes does)
    const handle = openSqlite(path);
    try {
      // Then it is at the current version, in the new layout, with the same rows
      expect(schemaVersion(handle.db)).toBe(SCHEMA_VERSION);
      const tables = handle.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('streams', 'events', 'events_v3')").pluck().all();
      expect(tables).toEqual(['events']);
      expect(handle.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'events'").pluck().get()).not.toMatch(/AUTOINCREMENT/);
      expect(rows(handle.db)).toEqual(before);
      // the store reads exactly what the version-3 store held, and reports the same revisions
      expect(await handle.events.readAll()).toEqual(expected);
      for (const streamId of ['a', 'b', 'c', 'none']) expect(await handle.events.streamRevision(streamId)).toBe(await memory.streamRevision(streamId));
      // the chain verifies to the same log digest (so a rebuild reads the same log and projects the same read models)
      const [migratedChain, originalChain] = [await verifyChain(handle.events), await verifyChain(memory)];
      expect(migratedChain).toMatchObject({ ok: true, events: expected.length, streams: 3 });
      expect(migratedChain.logDigest).toBe(originalChain.logDigest);

      // And appends continue: the next position after the last, the stream's chain from its last hash
      const last = expected[expected.length - 1] as StoredEvent;
      const result = await handle.events.appendToStream('b', newEvents(1), { expectedRevision: 4 });
      expect(result).toEqual({ nextExpectedRevision: 5, lastPosition: last.position + 1 });
      const [appended] = await handle.events.readStream('b', { fromRevision: 5 });
      expect(appended?.previousHash).toBe((await memory.readStream('b'))[4]?.hash);
      expect((await verifyChain(handle.events)).ok).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('refuses a log whose streams table disagrees with its events, naming the stream and changing nothing', async () => {
    // Given a version-3 database whose `streams` still records revision 6 for b, which ends at revision 4 (a cut tail)
    const memory = await history();
    const path = join(scratch, 'cut.db');
    version3Database(path, await memory.readAll(), (heads) => heads.set('b', [6, 'f'.repeat(64)]));

    // When it is opened, Then the migration is refused with the stream named
    expect(() => openSqlite(path)).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringMatching(/stream\(s\) 'b' does not match the stream's last event.*nothing was changed/) }));

    // And the database is still at version 3, with its streams table
    const raw = new Database(path, { readonly: true });
    try {
      expect(schemaVersion(raw)).toBe(3);
      expect(raw.prepare("SELECT revision FROM streams WHERE stream_id = 'b'").pluck().get()).toBe(6);
    } finally {
      raw.close();
    }
  });
});

describe('the version-4 append path', () => {
  it('refuses an event id already in the store, in another stream too, writing nothing and using no position', async () => {
    const handle = openSqlite(join(scratch, `dup-${++count}.db`));
    try {
      const [first] = newEvents(1);
      await handle.events.appendToStream('a', [first as NewEvent], { expectedRevision: 'no_stream' });
      for (const [streamId, expectedRevision] of [['a', 0], ['b', 'no_stream']] as const) {
        await expect(handle.events.appendToStream(streamId, [...newEvents(1), first as NewEvent], { expectedRevision })).rejects.toMatchObject({
          code: 'CONCURRENCY',
          details: { reason: 'duplicate_event_id' },
        });
      }
      expect(await handle.events.headPosition()).toBe(1);
      expect(await handle.events.streamRevision('b')).toBe(-1);
      // the refused appends took no position: the log stays gap-free
      expect(await handle.events.appendToStream('b', newEvents(2), { expectedRevision: 'no_stream' })).toEqual({ nextExpectedRevision: 1, lastPosition: 3 });
    } finally {
      await handle.close();
    }
  });

  it('stores data and metadata as the canonical JSON the hash is taken over, which reads back as the same value', async () => {
    const handle = openSqlite(join(scratch, `canonical-${++count}.db`));
    try {
      // Given an event whose members are not in name order, with a nested object and an undefined member
      const event: NewEvent = { id: `v4-${++count}`, type: 'T', data: { z: 1, a: { y: 'é', b: [2, 1] }, m: undefined } as unknown as NewEvent['data'], metadata: { b: 'x', a: 'y' } };
      await handle.events.appendToStream('s', [event], { expectedRevision: 'no_stream' });

      // Then the stored texts are the canonical ones, and the stored hash is the SHA-256 of the chain input built from them
      const [data, metadata, hash] = handle.db.prepare("SELECT data, metadata, hash FROM events WHERE stream_id = 's'").raw(true).get() as [string, string, string];
      expect([data, metadata]).toEqual(['{"a":{"b":[2,1],"y":"é"},"z":1}', '{"a":"y","b":"x"}']);
      expect(hash).toBe(nodeSha256Hex(eventHashInputOfTexts(GENESIS_HASH, { streamId: 's', revision: 0, id: event.id, type: 'T' }, data, metadata)));
      // and the event reads back as the value appended (JSON.stringify's view of it)
      const [read] = await handle.events.readStream('s');
      expect(read?.data).toEqual(JSON.parse(JSON.stringify(event.data)));
      expect((await verifyChain(handle.events)).ok).toBe(true);
    } finally {
      await handle.close();
    }
  });

  it('keeps a stream revision contiguous and the head hash chained when appends to many streams interleave', async () => {
    const handle = openSqlite(join(scratch, `interleave-${++count}.db`));
    try {
      for (let round = 0; round < 5; round++) {
        for (const streamId of ['x', 'y', 'z']) await handle.events.appendToStream(streamId, newEvents(2), { expectedRevision: round === 0 ? 'no_stream' : round * 2 - 1 });
      }
      const all = await handle.events.readAll();
      expect(all.map((e) => e.position)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      for (const streamId of ['x', 'y', 'z']) {
        const stream = await handle.events.readStream(streamId);
        expect(stream.map((e) => e.revision)).toEqual(Array.from({ length: 10 }, (_, i) => i));
        expect(await handle.events.streamRevision(streamId)).toBe(9);
      }
      expect(await verifyChain(handle.events)).toMatchObject({ ok: true, events: 30, streams: 3 });
    } finally {
      await handle.close();
    }
  });
});
