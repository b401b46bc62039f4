/**
 * The hash chain on SQLite: an edit made under the store with SQL (an UPDATE, a DELETE, once the
 * append-only triggers of schema 4 are dropped) is named by `verifyChain`; migration 3 chains the
 * events already stored exactly as an append would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, InMemoryEventStore, verifyChain } from '@interlend/engine';
import type { ChainAnchor, NewEvent } from '@interlend/engine';
import { chainHash } from './appendEvents';
import { migrate, MIGRATIONS, openSqlite, SCHEMA_VERSION, schemaVersion } from './index';
import type { SqliteHandle } from './index';

const scratch = mkdtempSync(join(tmpdir(), 'interlend-chain-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let count = 0;
const newEvents = (n: number, type = 'T'): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: `chain-${++count}`, type, data: { i, note: `n${count}` }, metadata: { actor: 'x' } }));

/** Streams a (5 events) and b (3), interleaved in the log. */
async function populated(): Promise<{ handle: SqliteHandle; sql: Database.Database; path: string }> {
  const path = join(scratch, `chain-${++count}.db`);
  const handle = openSqlite(path);
  await handle.events.appendToStream('a', newEvents(2), { expectedRevision: 'no_stream' });
  await handle.events.appendToStream('b', newEvents(3), { expectedRevision: 'no_stream' });
  await handle.events.appendToStream('a', newEvents(3, 'Shipped'), { expectedRevision: 1 });
  return { handle, sql: new Database(path), path };
}

/** What a tamperer does first since schema 4: drop the triggers that refuse every UPDATE and DELETE of an event. */
const unguard = (sql: Database.Database): void => {
  sql.exec('DROP TRIGGER events_no_delete; DROP TRIGGER events_no_update');
};

async function withTampering(tamper: (sql: Database.Database, handle: SqliteHandle) => void, check: (handle: SqliteHandle, sql: Database.Database) => Promise<void>): Promise<void> {
  const { handle, sql } = await populated();
  try {
    expect((await verifyChain(handle.events)).ok).toBe(true);
    unguard(sql);
    tamper(sql, handle);
    await check(handle, sql);
  } finally {
    sql.close();
    await handle.close();
  }
}

const row = (sql: Database.Database, streamId: string, revision: number) =>
  sql.prepare('SELECT position, event_id AS id, type, data, metadata, previous_hash AS previousHash FROM events WHERE stream_id = ? AND revision = ?').get(streamId, revision) as {
    position: number;
    id: string;
    type: string;
    data: string;
    metadata: string;
    previousHash: string;
  };

describe('verifyChain on SQLite', () => {
  it('names an event whose data was changed with a raw UPDATE, and only that stream', async () => {
    await withTampering(
      (sql) => sql.prepare("UPDATE events SET data = json_set(data, '$.i', 99) WHERE stream_id = 'a' AND revision = 3").run(),
      async (handle, sql) => {
        const report = await verifyChain(handle.events);
        const { position, id } = row(sql, 'a', 3);
        expect(report.ok).toBe(false);
        expect(report.failures).toEqual([
          {
            streamId: 'a',
            revision: 3,
            position,
            eventId: id,
            type: 'Shipped',
            problem: 'content',
            message: `event at revision 3 (position ${position}, id ${id}, Shipped) does not match its hash: its content was changed after it was written`,
          },
        ]);
        expect(report.heads.find((h) => h.streamId === 'b')?.verified).toBe(true);
        expect((await verifyChain(handle.events, { streamId: 'a' })).failures).toEqual(report.failures);
        expect((await verifyChain(handle.events, { streamId: 'b' })).ok).toBe(true);
      },
    );
  });

  it.each([
    ['metadata', "UPDATE events SET metadata = json_set(metadata, '$.actor', 'y') WHERE stream_id = 'a' AND revision = 1", [['a', 1, 'content']]],
    ['type', "UPDATE events SET type = 'Other' WHERE stream_id = 'a' AND revision = 1", [['a', 1, 'content']]],
    ['stored hash', "UPDATE events SET hash = replace(hash, substr(hash, 1, 1), 'f') WHERE stream_id = 'a' AND revision = 1", [['a', 1, 'content']]],
    // Moved to the end of another stream: it does not belong there. (The stream it left ends early, which
    // only an anchor shows since schema 4: the store's revision of a stream is its last event.)
    ['stream', "UPDATE events SET stream_id = 'b', revision = 3 WHERE stream_id = 'a' AND revision = 4", [['b', 3, 'content']]],
  ])('names the event whose %s was changed', async (_what, update, expected) => {
    await withTampering(
      (sql) => sql.exec(update as string),
      async (handle) => {
        const report = await verifyChain(handle.events);
        expect(report.failures.map((f) => [f.streamId, f.revision, f.problem])).toEqual(expected);
      },
    );
  });

  it('names two events of a stream swapped: out of order in the global log, and not matching their hashes by revision', async () => {
    await withTampering(
      (sql) =>
        sql.transaction(() => {
          sql.exec("UPDATE events SET revision = -revision WHERE stream_id = 'a' AND revision IN (1, 2)");
          sql.exec("UPDATE events SET revision = CASE revision WHEN -1 THEN 2 ELSE 1 END WHERE stream_id = 'a' AND revision < 0");
        })(),
      async (handle) => {
        const [inLog] = (await verifyChain(handle.events)).failures;
        // The event at position 2 now says revision 2, and revision 1 comes after it.
        expect(inLog).toMatchObject({ streamId: 'a', revision: 2, position: 2, problem: 'out_of_order', message: expect.stringContaining('comes before revision 1 of its stream') });
        const [inStream] = (await verifyChain(handle.events, { streamId: 'a' })).failures;
        expect(inStream).toMatchObject({ streamId: 'a', revision: 1, problem: 'content' });
      },
    );
  });

  it('names the next event when one was rewritten with a fresh hash: the link is broken', async () => {
    await withTampering(
      (sql) => {
        const r = row(sql, 'a', 2);
        const data = JSON.stringify({ ...JSON.parse(r.data), i: 42 });
        const hash = chainHash(r.previousHash, 'a', 2, { ...r, data: JSON.parse(data), metadata: JSON.parse(r.metadata) });
        sql.prepare("UPDATE events SET data = ?, hash = ? WHERE stream_id = 'a' AND revision = 2").run(data, hash);
      },
      async (handle) => {
        const [failure] = (await verifyChain(handle.events)).failures;
        expect(failure).toMatchObject({ streamId: 'a', revision: 3, problem: 'link' });
        expect(failure?.message).toMatch(/does not link to the event before it .*: the event before it was rewritten/);
      },
    );
  });

  it('names the event after one that was deleted', async () => {
    await withTampering(
      (sql) => sql.exec("DELETE FROM events WHERE stream_id = 'b' AND revision = 1"),
      async (handle) => {
        const [failure] = (await verifyChain(handle.events)).failures;
        expect(failure).toMatchObject({ streamId: 'b', revision: 2, problem: 'missing' });
        expect(failure?.message).toContain('revision 1 is missing (events were removed)');
      },
    );
  });

  it('refuses a raw DELETE or UPDATE of an event while the append-only triggers stand, changing nothing', async () => {
    const { handle, sql } = await populated();
    try {
      const before = await handle.events.readAll();
      expect(() => sql.exec("DELETE FROM events WHERE stream_id = 'a' AND revision >= 3")).toThrow('the event log is append-only: events are never deleted');
      expect(() => sql.exec("UPDATE events SET data = '{}' WHERE stream_id = 'a' AND revision = 1")).toThrow('the event log is append-only: events are never changed');
      expect(() => sql.exec('UPDATE events SET position = position + 100')).toThrow('the event log is append-only');
      expect(await handle.events.readAll()).toEqual(before);
      expect((await verifyChain(handle.events)).ok).toBe(true);
    } finally {
      sql.close();
      await handle.close();
    }
  });

  it('names a cut tail (made by dropping the triggers) only against an anchor: the chain alone cannot tell', async () => {
    const { handle, sql } = await populated();
    try {
      const before = await verifyChain(handle.events);
      const anchors: ChainAnchor[] = before.heads.map((h) => ({ streamId: h.streamId, revision: h.revision, hash: h.hash as string }));
      unguard(sql);
      sql.exec("DELETE FROM events WHERE stream_id = 'a' AND revision >= 3");
      const cut = await verifyChain(handle.events);
      expect(cut.ok).toBe(true);
      expect(cut.logDigest).not.toBe(before.logDigest);
      const anchored = await verifyChain(handle.events, { anchors });
      expect(anchored.failures).toMatchObject([{ streamId: 'a', revision: 2, problem: 'anchor', message: expect.stringContaining('the anchor records revision 4') }]);
    } finally {
      sql.close();
      await handle.close();
    }
  });

  it("keeps chaining after the log is reopened, from the head hash of the stream's last event", async () => {
    const { handle, sql, path } = await populated();
    sql.close();
    await handle.close();
    const again = openSqlite(path);
    try {
      await again.events.appendToStream('a', newEvents(2), { expectedRevision: 4 });
      const stream = await again.events.readStream('a');
      expect(stream[5]?.previousHash).toBe(stream[4]?.hash);
      expect(await verifyChain(again.events)).toMatchObject({ ok: true, events: 10 });
    } finally {
      await again.close();
    }
  });
});

describe('migration 3', () => {
  it('chains the events of a version-2 database as appends would have, stream by stream, and records each head', async () => {
    const path = join(scratch, 'v2.db');
    const old = new Database(path);
    migrate(old, MIGRATIONS.slice(0, 2));
    const appends: [string, NewEvent[]][] = [['b', newEvents(2)], ['a', newEvents(1)], ['b', newEvents(1)], ['a', newEvents(2)]];
    const insert = old.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
    const revisions = new Map<string, number>();
    for (const [streamId, events] of appends) {
      for (const e of events) {
        const revision = (revisions.get(streamId) ?? -1) + 1;
        revisions.set(streamId, revision);
        insert.run(streamId, revision, e.id, e.type, JSON.stringify(e.data), JSON.stringify(e.metadata));
      }
    }
    for (const [streamId, revision] of revisions) old.prepare('INSERT INTO streams (stream_id, revision) VALUES (?, ?)').run(streamId, revision);

    const memory = new InMemoryEventStore();
    for (const [streamId, events] of appends) await memory.appendToStream(streamId, events, { expectedRevision: 'any' });
    // Migration 3 alone records each stream's head hash in `streams` (which migration 4 drops, once it agrees with the log).
    migrate(old, MIGRATIONS.slice(0, 3));
    expect(old.prepare('SELECT stream_id, hash FROM streams ORDER BY stream_id').raw(true).all()).toEqual([
      ['a', (await memory.readStream('a'))[2]?.hash],
      ['b', (await memory.readStream('b'))[2]?.hash],
    ]);
    old.close();

    const handle = openSqlite(path);
    try {
      expect(schemaVersion(handle.db)).toBe(SCHEMA_VERSION);
      const migrated = await handle.events.readAll();
      expect(migrated.map((e) => [e.id, e.previousHash, e.hash])).toEqual((await memory.readAll()).map((e) => [e.id, e.previousHash, e.hash]));
      expect(migrated.filter((e) => e.revision === 0).every((e) => e.previousHash === GENESIS_HASH)).toBe(true);
      expect(await verifyChain(handle.events)).toMatchObject({ ok: true, events: 6, streams: 2 });
    } finally {
      await handle.close();
    }
  });
});
