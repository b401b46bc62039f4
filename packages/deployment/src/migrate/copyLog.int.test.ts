/**
 * `copyLog` between real stores: a simulated log (requests, the directory, API keys) copied from
 * SQLite to PostgreSQL and back keeps every event's id, stream, revision, type, data, metadata and
 * place in the global order, and the target's hash chain comes out equal to the source's; an
 * interrupted copy resumes where it stopped, with nothing written twice; a target that is not an
 * earlier copy of the source is refused before anything is written.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InMemoryReadModelStore, isIllegalStateError, verifyChain, type EventStore, type ReadModelStore, type StoredEvent } from '@interlend/engine';
import { simulate } from '@interlend/ill';
import { openPostgres } from '@interlend/store-postgres';
import { startPostgres, type PostgresServerHandle } from '@interlend/store-postgres/testing';
import { openSqlite } from '@interlend/store-sqlite';
import { ApiKeys } from '../access/apiKeys';
import { openStores } from '../stores/openStores';
import { copyLog } from './copyLog';

jest.setTimeout(120_000);

let server: PostgresServerHandle;
let dir: string;
/** A simulated log in SQLite, made once; tests read it only. */
let sourcePath: string;
let sourceEvents: StoredEvent[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'interlend-migrate-'));
  server = await startPostgres();
  sourcePath = path.join(dir, 'source.db');
  const sqlite = openSqlite(sourcePath);
  try {
    await simulatedLog(sqlite.events, sqlite.readModels, 3);
    sourceEvents = await readWhole(sqlite.events);
  } finally {
    await sqlite.close();
  }
});

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A few hundred events: a seeded simulation (with its directory stream) and the access-keys stream. */
async function simulatedLog(events: EventStore, readModels: ReadModelStore, seed: number): Promise<void> {
  const summary = await simulate(events, readModels, { requests: 25, libraries: 8, seed });
  expect(summary.notTerminal).toEqual([]);
  const keys = new ApiKeys(events, { hashParams: { logN: 10 }, libraryExists: () => true });
  const operator = { id: 'operator', role: 'admin' };
  const created = await keys.create({ library: 'LIB1', role: 'hub', label: 'hub desk', actor: operator });
  await keys.create({ library: 'LIB2', role: 'lending', actor: operator });
  await keys.revoke(created.keyId, { actor: operator, reason: 'rotated' });
}

async function readWhole(store: EventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (;;) {
    const batch = await store.readAll({ after: all[all.length - 1]?.position ?? 0, maxCount: 1_000 });
    if (!batch.length) return all;
    all.push(...batch);
  }
}

/** Everything the copy keeps: all but the position, which is the target's own. */
const kept = (events: readonly StoredEvent[]) => events.map(({ position: _position, ...rest }) => rest);

function expectSameLog(copy: readonly StoredEvent[], original: readonly StoredEvent[]): void {
  expect(copy).toHaveLength(original.length);
  expect(new Set(copy.map((e) => e.id)).size).toBe(copy.length);
  expect(kept(copy)).toEqual(kept(original));
  for (const e of copy) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
}

const rate = (events: number, ms: number) => Math.round((events / Math.max(1, ms)) * 1000);

describe('copyLog between real stores', () => {
  it('has a simulated log to copy: a few hundred events in request streams, the directory and the access keys', () => {
    const streams = new Set(sourceEvents.map((e) => e.streamId));
    expect(sourceEvents.length).toBeGreaterThan(200);
    expect(streams.has('access-keys')).toBe(true);
    expect([...streams].some((s) => s.includes('directory'))).toBe(true);
  });

  it('copies SQLite into PostgreSQL keeping ids, streams, revisions, order, data and metadata; the hash chain recomputed by PostgreSQL equals the source', async () => {
    const url = await server.createDatabase();
    const source = await openStores({ events: { kind: 'sqlite', path: sourcePath } }, { readonly: true });
    const target = await openPostgres(url);
    try {
      const result = await copyLog(source.events, target.events);
      expect(result).toMatchObject({ status: 'complete', copied: sourceEvents.length, events: sourceEvents.length, lastEventId: sourceEvents[sourceEvents.length - 1]!.id });
      const copy = await readWhole(target.events);
      expectSameLog(copy, sourceEvents);
      const report = await verifyChain(target.events);
      expect(report).toMatchObject({ ok: true, events: sourceEvents.length });
      const original = await verifyChain(source.events);
      expect(report.heads).toEqual(original.heads);
      console.log(`SQLite -> PostgreSQL: ${result.copied} events in ${result.appends} appends, ${result.elapsedMs} ms (${result.eventsPerSecond} events/s)`);
    } finally {
      await target.close();
      await source.close();
    }
  });

  it('copies PostgreSQL into SQLite the same way', async () => {
    const url = await server.createDatabase();
    const pg = await openPostgres(url);
    const targetPath = path.join(dir, 'from-pg.db');
    const target = openSqlite(targetPath);
    try {
      // The engine's read models in memory: the simulation's deadline query does not run on PostgreSQL's read models (see the report).
      await simulatedLog(pg.events, new InMemoryReadModelStore(), 4);
      const original = await readWhole(pg.events);
      const result = await copyLog(pg.events, target.events, { batchSize: 100 });
      expect(result).toMatchObject({ status: 'complete', copied: original.length, batches: Math.ceil(original.length / 100) });
      expectSameLog(await readWhole(target.events), original);
      const [from, to] = [await verifyChain(pg.events), await verifyChain(target.events)];
      expect(to.ok).toBe(true);
      expect(to.heads).toEqual(from.heads);
      expect(to.logDigest).toBe(from.logDigest); // positions are 1..n in both: the log digests match too
      console.log(`PostgreSQL -> SQLite: ${result.copied} events in ${result.appends} appends, ${result.elapsedMs} ms (${result.eventsPerSecond} events/s)`);
    } finally {
      await target.close();
      await pg.close();
    }
  });

  it('resumes an interrupted copy where it stopped: the same log in the end, no event written twice', async () => {
    const url = await server.createDatabase();
    const source = openSqlite(sourcePath, { readonly: true });
    const target = await openPostgres(url);
    try {
      const stop = new AbortController();
      const first = await copyLog(source.events, target.events, { batchSize: 50, signal: stop.signal, onProgress: (p) => p.batches === 2 && stop.abort() });
      expect(first).toMatchObject({ status: 'stopped', copied: 100, events: 100, batches: 2, lastEventId: sourceEvents[99]!.id });
      expect(await target.events.headPosition()).toBe(100);

      const started = performance.now();
      const second = await copyLog(source.events, target.events, { batchSize: 50 });
      expect(second.resumedFrom).toMatchObject({ events: 100, checked: 'full', sourcePosition: sourceEvents[99]!.position });
      expect(second).toMatchObject({ status: 'complete', copied: sourceEvents.length - 100, events: sourceEvents.length });
      expectSameLog(await readWhole(target.events), sourceEvents);
      expect((await verifyChain(target.events)).ok).toBe(true);

      // Once complete, running it again copies nothing.
      const third = await copyLog(source.events, target.events);
      expect(third).toMatchObject({ status: 'complete', copied: 0, events: sourceEvents.length });
      console.log(`resumed after 100 of ${sourceEvents.length} events: ${second.copied} more in ${Math.round(performance.now() - started)} ms (${rate(second.copied, performance.now() - started)} events/s, the prefix check included)`);
    } finally {
      await target.close();
      await source.close();
    }
  });

  it('refuses a target that is not empty and not an earlier copy of the source, writing nothing', async () => {
    const source = openSqlite(sourcePath, { readonly: true });
    // Another log altogether: a simulation with another seed.
    const other = openSqlite(path.join(dir, 'other.db'));
    // An earlier copy, then one event of its own.
    const diverged = await openPostgres(await server.createDatabase());
    try {
      await simulatedLog(other.events, other.readModels, 9);
      const otherHead = await other.events.headPosition();
      const error1 = await copyLog(source.events, other.events).catch((e: unknown) => e);
      expect(isIllegalStateError(error1)).toBe(true);
      expect((error1 as Error).message).toMatch(/^the target is not empty and is not an earlier copy of the source: its last event, stream '.+' revision \d+ \(id .+\), is not in the source/);
      expect(await other.events.headPosition()).toBe(otherHead);

      const stop = new AbortController();
      await copyLog(source.events, diverged.events, { batchSize: 40, signal: stop.signal, onProgress: () => stop.abort() });
      const [lastCopied] = await diverged.events.readAll({ after: 39, maxCount: 1 });
      await diverged.events.appendToStream('somebody-else', [{ id: 'evt-extra', type: 'Extra', data: {}, metadata: {} }], { expectedRevision: 'no_stream' });
      const error2 = await copyLog(source.events, diverged.events).catch((e: unknown) => e);
      expect(isIllegalStateError(error2)).toBe(true);
      expect((error2 as Error).message).toContain("its last event, stream 'somebody-else' revision 0 (id evt-extra, Extra), is not in the source (the source has no such event)");
      expect(await diverged.events.headPosition()).toBe(41);
      expect(lastCopied!.id).toBe(sourceEvents[39]!.id);
    } finally {
      await diverged.close();
      await other.close();
      await source.close();
    }
  });

  it('refuses a target whose last event is the source\'s but whose earlier events are not (a full check, not only the last event)', async () => {
    const source = openSqlite(sourcePath, { readonly: true });
    const target = openSqlite(path.join(dir, 'holes.db'));
    try {
      // The source's first 30 events without event 10 of the log, where that leaves the revisions contiguous.
      const skipped = sourceEvents.findIndex((e, i) => i > 5 && i < 30 && !sourceEvents.slice(i + 1, 30).some((later) => later.streamId === e.streamId));
      expect(skipped).toBeGreaterThan(0);
      for (const e of sourceEvents.slice(0, 30)) {
        if (e === sourceEvents[skipped]) continue;
        await target.events.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], { expectedRevision: e.revision === 0 ? 'no_stream' : e.revision - 1 });
      }
      const error = await copyLog(source.events, target.events).catch((e: unknown) => e);
      expect(isIllegalStateError(error)).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(`event ${skipped + 1} in the target, .* is not the source's event at that place`));
      expect(await target.events.headPosition()).toBe(29);
    } finally {
      await target.close();
      await source.close();
    }
  });
});
