/**
 * Contract suites for the storage ports, written once and run against every adapter (in-memory,
 * SQLite, and any later one). Jest only: they use the jest globals.
 *
 * A factory is called before each test and gives a fresh, empty store. `cleanup` runs after each
 * test and must release whatever is open (including a store returned by `reopen`) and delete the
 * data. `reopen`, when given, opens the same data again as a new handle: the suite closes the
 * event store itself before calling it; `reopen` must close anything else the old handle held.
 */
import type { EventStore, JsonObject, NewEvent, StoredEvent } from '../eventStore/types';
import { eventHash, GENESIS_HASH } from '../eventStore/hashChain';
import { verifyChain } from '../eventStore/verifyChain';
import type { CountQuery, Doc, DocQuery, ReadModelStore } from '../projections/types';

export interface EventStoreFixture {
  readonly store: EventStore;
  readonly reopen?: () => Promise<EventStore>;
  cleanup(): Promise<void>;
}

export interface ReadModelStoreFixture {
  readonly store: ReadModelStore;
  readonly reopen?: () => Promise<ReadModelStore>;
  /**
   * Whether the store answers `query` by reading more index entries than it returns (beyond one
   * look-ahead) or by sorting them, rather than walking its index in order and stopping at the
   * limit: from a count of the entries the store read and its query plan (SQLite: a temporary
   * B-tree; PostgreSQL: a Sort or an aggregate). The contract's cost tests ask it about queries
   * whose documents have one value each in the range, so an in-order walk reads exactly what it
   * returns. Every store of this repository answers; a fixture without it skips the cost checks.
   */
  readonly overreads?: (projection: string, query: DocQuery) => Promise<boolean>;
  /**
   * Whether the store's `count` reads documents (SQLite: its plan touches a documents table;
   * PostgreSQL: `read_model_docs`) rather than the index alone. A fixture without it skips the check.
   */
  readonly countReadsDocuments?: (projection: string, query: CountQuery) => Promise<boolean>;
  cleanup(): Promise<void>;
}

const runId = Math.random().toString(36).slice(2, 10);
let sequence = 0;
const newId = (): string => `evt-${runId}-${++sequence}`;

function event(type = 'Tested', data: JsonObject = {}, metadata: JsonObject = {}): NewEvent {
  return { id: newId(), type, data, metadata };
}

function events(count: number, type = 'Tested'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => event(type, { i }));
}

const elapsedSince = (start: number): number => performance.now() - start;
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Data that must come back exactly: nesting, unicode, awkward strings, numbers at their limits. */
const awkwardData: JsonObject = {
  text: 'plain',
  unicode: 'Zoë Ångström — 東京 — עברית — 🚀📚 — e\u0301',
  escapes: 'quote " backslash \\ newline \n tab \t nul \u0000 line-sep \u2028',
  emptyString: '',
  numbers: [0, 1, -1, 42, 0.1, -2.5, 1e-7, 1.7976931348623157e308, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 123456789.123456],
  booleans: [true, false],
  nothing: null,
  emptyObject: {},
  emptyArray: [],
  nested: { a: { b: { c: [1, [2, [3, { d: 'deep' }]]] } } },
  'key with spaces & symbols ü/🔑': 'ok',
};

export function eventStoreContract(name: string, factory: () => Promise<EventStoreFixture>): void {
  describe(`EventStore contract: ${name}`, () => {
    let fixture: EventStoreFixture;
    let store: EventStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('appending', () => {
      it("appends to a new stream with 'no_stream' and reports revision 0 and the position", async () => {
        const e = event('Opened', { n: 1 }, { actor: 'x' });
        const result = await store.appendToStream('s-1', [e], { expectedRevision: 'no_stream' });
        expect(result.nextExpectedRevision).toBe(0);
        expect(result.lastPosition).toBeGreaterThanOrEqual(1);
        const read = await store.readStream('s-1');
        expect(read).toEqual([{ ...e, streamId: 's-1', revision: 0, position: result.lastPosition, hash: expect.stringMatching(/^[0-9a-f]{64}$/), previousHash: GENESIS_HASH }]);
        expect(await store.streamRevision('s-1')).toBe(0);
      });

      it('gives each stream 0-based, contiguous revisions across appends', async () => {
        const first = await store.appendToStream('s-1', events(2), { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(1);
        const second = await store.appendToStream('s-1', events(3), { expectedRevision: 1 });
        expect(second.nextExpectedRevision).toBe(4);
        await store.appendToStream('s-2', events(1), { expectedRevision: 'no_stream' });
        expect((await store.readStream('s-1')).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4]);
        expect((await store.readStream('s-2')).map((e) => e.revision)).toEqual([0]);
        expect(await store.streamRevision('s-1')).toBe(4);
      });

      it('accepts the matching expected revision and rejects a stale or future one with ConcurrencyError, writing nothing', async () => {
        await store.appendToStream('s-1', events(2), { expectedRevision: 'no_stream' });
        const head = await store.headPosition();
        for (const wrong of [0, 2, 7]) {
          const attempt = store.appendToStream('s-1', events(2), { expectedRevision: wrong });
          await expect(attempt).rejects.toMatchObject({ code: 'CONCURRENCY', name: 'ConcurrencyError' });
        }
        expect(await store.streamRevision('s-1')).toBe(1);
        expect(await store.headPosition()).toBe(head);
        expect(await store.readAll()).toHaveLength(2);
        const ok = await store.appendToStream('s-1', events(1), { expectedRevision: 1 });
        expect(ok.nextExpectedRevision).toBe(2);
      });

      it('rejects a numeric expected revision on a missing stream', async () => {
        await expect(store.appendToStream('missing', events(1), { expectedRevision: 0 })).rejects.toMatchObject({ code: 'CONCURRENCY' });
        expect(await store.streamRevision('missing')).toBe(-1);
        expect(await store.headPosition()).toBe(0);
      });

      it("rejects 'no_stream' when the stream exists, writing nothing", async () => {
        await store.appendToStream('s-1', events(1), { expectedRevision: 'no_stream' });
        await expect(store.appendToStream('s-1', events(3), { expectedRevision: 'no_stream' })).rejects.toMatchObject({ code: 'CONCURRENCY' });
        expect(await store.readStream('s-1')).toHaveLength(1);
        expect(await store.readAll()).toHaveLength(1);
      });

      it("accepts 'stream_exists' only when the stream exists", async () => {
        await expect(store.appendToStream('s-1', events(1), { expectedRevision: 'stream_exists' })).rejects.toMatchObject({ code: 'CONCURRENCY' });
        expect(await store.streamRevision('s-1')).toBe(-1);
        await store.appendToStream('s-1', events(1), { expectedRevision: 'no_stream' });
        const result = await store.appendToStream('s-1', events(2), { expectedRevision: 'stream_exists' });
        expect(result.nextExpectedRevision).toBe(2);
      });

      it("appends with 'any' whether or not the stream exists", async () => {
        expect((await store.appendToStream('s-1', events(1), { expectedRevision: 'any' })).nextExpectedRevision).toBe(0);
        expect((await store.appendToStream('s-1', events(2), { expectedRevision: 'any' })).nextExpectedRevision).toBe(2);
        expect((await store.readStream('s-1')).map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('lets exactly one of two concurrent appends with the same expected revision win', async () => {
        await store.appendToStream('s-1', events(1), { expectedRevision: 'no_stream' });
        const a = event('A');
        const b = event('B');
        const results = await Promise.allSettled([
          store.appendToStream('s-1', [a], { expectedRevision: 0 }),
          store.appendToStream('s-1', [b], { expectedRevision: 0 }),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]?.reason).toMatchObject({ code: 'CONCURRENCY' });
        const stream = await store.readStream('s-1');
        expect(stream).toHaveLength(2);
        expect(stream[1]?.id).toBe(results[0]?.status === 'fulfilled' ? a.id : b.id);
      });

      it("lets exactly one of many concurrent 'no_stream' appends create the stream", async () => {
        const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.appendToStream('s-new', events(2), { expectedRevision: 'no_stream' })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(await store.readStream('s-new')).toHaveLength(2);
        expect(await store.headPosition()).toBe((await store.readAll())[1]?.position);
      });

      it('rejects an empty append with ValidationError and writes nothing', async () => {
        await expect(store.appendToStream('s-1', [], { expectedRevision: 'any' })).rejects.toMatchObject({ code: 'VALIDATION', name: 'ValidationError' });
        expect(await store.streamRevision('s-1')).toBe(-1);
        expect(await store.headPosition()).toBe(0);
      });

      it('rejects data that is not JSON with ValidationError, writing nothing', async () => {
        const circular: Record<string, unknown> = {};
        circular.self = circular;
        const bad = [{ big: 10n }, circular] as unknown as JsonObject[];
        for (const data of bad) {
          await expect(store.appendToStream('s-1', [event(), { id: newId(), type: 'T', data, metadata: {} }], { expectedRevision: 'any' })).rejects.toMatchObject({
            code: 'VALIDATION',
          });
        }
        expect(await store.streamRevision('s-1')).toBe(-1);
        expect(await store.headPosition()).toBe(0);
      });
    });

    describe('reading', () => {
      it('reads a stream from a revision and up to a count', async () => {
        await store.appendToStream('s-1', events(10), { expectedRevision: 'no_stream' });
        const revisions = async (options: { fromRevision?: number; maxCount?: number }): Promise<number[]> => (await store.readStream('s-1', options)).map((e) => e.revision);
        expect(await revisions({})).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(await revisions({ fromRevision: 3 })).toEqual([3, 4, 5, 6, 7, 8, 9]);
        expect(await revisions({ maxCount: 4 })).toEqual([0, 1, 2, 3]);
        expect(await revisions({ fromRevision: 5, maxCount: 2 })).toEqual([5, 6]);
        expect(await revisions({ fromRevision: 8, maxCount: 100 })).toEqual([8, 9]);
        expect(await revisions({ fromRevision: 10 })).toEqual([]);
        expect(await revisions({ maxCount: 0 })).toEqual([]);
      });

      it('reads a missing stream as [] with revision -1', async () => {
        await store.appendToStream('other', events(1), { expectedRevision: 'no_stream' });
        expect(await store.readStream('missing')).toEqual([]);
        expect(await store.streamRevision('missing')).toBe(-1);
      });

      it('keeps streams apart', async () => {
        await store.appendToStream('a', [event('A0')], { expectedRevision: 'no_stream' });
        await store.appendToStream('ab', [event('AB0')], { expectedRevision: 'no_stream' });
        await store.appendToStream('a', [event('A1')], { expectedRevision: 0 });
        expect((await store.readStream('a')).map((e) => e.type)).toEqual(['A0', 'A1']);
        expect((await store.readStream('ab')).map((e) => e.type)).toEqual(['AB0']);
        expect((await store.readStream('A')).map((e) => e.type)).toEqual([]);
      });

      it('reads the global log across streams in commit order, after a position, up to a count', async () => {
        const appended: string[] = [];
        for (const streamId of ['a', 'b', 'a', 'c', 'b']) {
          const e = event(`T-${streamId}`);
          await store.appendToStream(streamId, [e], { expectedRevision: 'any' });
          appended.push(e.id);
        }
        const all = await store.readAll();
        expect(all.map((e) => e.id)).toEqual(appended);
        expect(all.map((e) => e.streamId)).toEqual(['a', 'b', 'a', 'c', 'b']);
        expect(all.map((e) => e.revision)).toEqual([0, 0, 1, 0, 1]);
        const second = all[1] as StoredEvent;
        expect((await store.readAll({ after: second.position })).map((e) => e.id)).toEqual(appended.slice(2));
        expect((await store.readAll({ after: second.position, maxCount: 2 })).map((e) => e.id)).toEqual(appended.slice(2, 4));
        expect((await store.readAll({ maxCount: 1 })).map((e) => e.id)).toEqual(appended.slice(0, 1));
        expect(await store.readAll({ after: (all[4] as StoredEvent).position })).toEqual([]);
      });

      it('gives strictly increasing positions that match what appends report', async () => {
        const reported: number[] = [];
        for (let i = 0; i < 6; i++) reported.push((await store.appendToStream(`s-${i % 3}`, events(1), { expectedRevision: 'any' })).lastPosition);
        const positions = (await store.readAll()).map((e) => e.position);
        expect(positions).toEqual(reported);
        expect(positions[0]).toBeGreaterThanOrEqual(1);
        for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1] as number);
      });

      it('writes a multi-event append atomically and contiguously in the global log', async () => {
        const results = await Promise.all(['a', 'b', 'c', 'd'].map((s) => store.appendToStream(s, events(10, `T-${s}`), { expectedRevision: 'no_stream' })));
        const all = await store.readAll({ maxCount: 1000 });
        expect(all).toHaveLength(40);
        results.forEach((result, i) => {
          const streamId = ['a', 'b', 'c', 'd'][i] as string;
          const indexes = all.flatMap((e, at) => (e.streamId === streamId ? [at] : []));
          expect(indexes).toHaveLength(10);
          // No other stream's event sits between the first and the last of this batch.
          expect((indexes[9] as number) - (indexes[0] as number)).toBe(9);
          expect(all[indexes[9] as number]?.position).toBe(result.lastPosition);
          // What the engine relies on: the batch's positions are lastPosition - n + 1 .. lastPosition.
          expect(all[indexes[0] as number]?.position).toBe(result.lastPosition - 9);
        });
      });

      it('reports the head position: 0 when empty, then the last position', async () => {
        expect(await store.headPosition()).toBe(0);
        expect(await store.readAll()).toEqual([]);
        await store.appendToStream('a', events(3), { expectedRevision: 'no_stream' });
        const last = await store.appendToStream('b', events(2), { expectedRevision: 'no_stream' });
        expect(await store.headPosition()).toBe(last.lastPosition);
        const all = await store.readAll();
        expect(all[all.length - 1]?.position).toBe(last.lastPosition);
      });

      it('reads back a long stream fully and in order, and only the tail from a late revision', async () => {
        const total = 5000;
        const batch = 250;
        for (let start = 0; start < total; start += batch) {
          const chunk = Array.from({ length: batch }, (_, i) => event('Counted', { n: start + i }));
          await store.appendToStream('long', chunk, { expectedRevision: start === 0 ? 'no_stream' : start - 1 });
        }
        const stream = await store.readStream('long');
        expect(stream).toHaveLength(total);
        stream.forEach((e, i) => {
          if (e.revision !== i || e.data.n !== i) throw new Error(`event ${i} came back as revision ${e.revision} with n=${String(e.data.n)}`);
        });
        const tail = await store.readStream('long', { fromRevision: total - 7 });
        expect(tail.map((e) => e.revision)).toEqual([4993, 4994, 4995, 4996, 4997, 4998, 4999]);
        expect(tail.map((e) => e.data.n)).toEqual([4993, 4994, 4995, 4996, 4997, 4998, 4999]);
        let after = 0;
        let seen = 0;
        for (;;) {
          const page = await store.readAll({ after, maxCount: 1200 });
          if (page.length === 0) break;
          for (const e of page) {
            if (e.data.n !== seen || e.position <= after) throw new Error(`readAll page broke order at n=${seen}`);
            after = e.position;
            seen++;
          }
        }
        expect(seen).toBe(total);
        expect(after).toBe(await store.headPosition());
      });
    });

    describe('data', () => {
      it('round-trips data, metadata, ids, types and stream ids exactly', async () => {
        const e: NewEvent = { id: `ïd-🚀-${newId()}`, type: 'Typé.Événement/v2', data: awkwardData, metadata: { ...awkwardData, correlation: { chain: ['x', 'y'] } } };
        await store.appendToStream('stream/ü 🚀:1', [e], { expectedRevision: 'no_stream' });
        const [fromStream] = await store.readStream('stream/ü 🚀:1');
        const [fromLog] = await store.readAll();
        for (const read of [fromStream, fromLog]) {
          expect(read).toBeDefined();
          expect(read?.id).toBe(e.id);
          expect(read?.type).toBe(e.type);
          expect(read?.streamId).toBe('stream/ü 🚀:1');
          expect(read?.data).toStrictEqual(e.data);
          expect(read?.metadata).toStrictEqual(e.metadata);
        }
      });

      it('is not changed by mutating what was appended or what was read', async () => {
        const data = { list: [1, 2], nested: { value: 'original' } };
        const metadata = { actor: 'me' };
        await store.appendToStream('s-1', [{ id: newId(), type: 'T', data, metadata }], { expectedRevision: 'no_stream' });
        data.list.push(3);
        data.nested.value = 'changed by caller';
        metadata.actor = 'someone else';

        const tryMutate = (e: StoredEvent | undefined): void => {
          const loose = e as unknown as { data: { list: number[]; nested: { value: string }; added?: number }; metadata: { actor: string }; revision: number };
          const attempts = [
            () => loose.data.list.push(99),
            () => (loose.data.nested.value = 'changed through a read'),
            () => (loose.data.added = 1),
            () => (loose.metadata.actor = 'hacker'),
            () => (loose.revision = 42),
          ];
          for (const attempt of attempts) {
            try {
              attempt();
            } catch {
              // Frozen objects refuse in strict mode: also fine.
            }
          }
        };
        tryMutate((await store.readStream('s-1'))[0]);
        tryMutate((await store.readAll())[0]);
        (await store.readStream('s-1')).push({} as StoredEvent);

        for (const read of [(await store.readStream('s-1'))[0], (await store.readAll())[0]]) {
          expect(read?.data).toStrictEqual({ list: [1, 2], nested: { value: 'original' } });
          expect(read?.metadata).toStrictEqual({ actor: 'me' });
          expect(read?.revision).toBe(0);
        }
        expect(await store.readStream('s-1')).toHaveLength(1);
      });
    });

    describe('hash chain', () => {
      /** Every event of `streamId` links to the one before it and recomputes to its own hash. */
      const expectChained = (stream: readonly StoredEvent[]): void => {
        let previous = GENESIS_HASH;
        for (const e of stream) {
          expect({ revision: e.revision, previousHash: e.previousHash }).toEqual({ revision: e.revision, previousHash: previous });
          expect({ revision: e.revision, hash: e.hash }).toEqual({ revision: e.revision, hash: eventHash(previous, e) });
          previous = e.hash as string;
        }
      };

      it('gives every stored event a hash over its content chained to the previous event of its stream, across appends and streams', async () => {
        await store.appendToStream('a', events(3), { expectedRevision: 'no_stream' });
        await store.appendToStream('b', [event('B', awkwardData, { actor: 'x' })], { expectedRevision: 'no_stream' });
        await store.appendToStream('a', events(2), { expectedRevision: 2 });
        await store.appendToStream('b', events(1), { expectedRevision: 'any' });
        await store.appendToStream('c', [event('C', { same: 1 })], { expectedRevision: 'any' });
        await store.appendToStream('d', [event('C', { same: 1 })], { expectedRevision: 'any' });
        for (const streamId of ['a', 'b', 'c', 'd']) expectChained(await store.readStream(streamId));
        const all = await store.readAll();
        const byPosition = new Map(all.map((e) => [e.position, e.hash]));
        for (const streamId of ['a', 'b']) for (const e of await store.readStream(streamId)) expect(byPosition.get(e.position)).toBe(e.hash);
        expect(new Set(all.map((e) => e.hash)).size).toBe(all.length);
        const report = await verifyChain(store);
        expect(report).toMatchObject({ ok: true, events: 9, streams: 4, failures: [] });
        expect(report.heads.map((h) => [h.streamId, h.revision])).toEqual([['a', 4], ['b', 1], ['c', 0], ['d', 0]]);
        expect(report.logDigest).toMatch(/^[0-9a-f]{64}$/);
        expect(await verifyChain(store, { streamId: 'a' })).toMatchObject({ ok: true, events: 5, streams: 1 });
      });

      it('hashes the data as it reads back, and the same way in every store (pinned digests)', async () => {
        const loose = { b: [1, 'x', { d: 2, c: 1 }], a: null, '10': true, '9': false, gone: undefined } as unknown as JsonObject;
        await store.appendToStream('pinned/ü', [{ id: 'pinned-event', type: 'Pinned', data: loose, metadata: { actor: 'Zoë', n: 0.1 } }], { expectedRevision: 'no_stream' });
        await store.appendToStream('pinned/ü', [{ id: 'pinned-event-2', type: 'Pinned', data: {}, metadata: { n: 0.1, actor: 'Zoë' } }], { expectedRevision: 0 });
        const [first, second] = await store.readStream('pinned/ü');
        // Computed independently (Python: json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False), hashlib.sha256).
        expect(first?.hash).toBe('5656276b1cf16cd0334c4964dd4308742e89716dd1c8666356489f3ee8929f46');
        expect(second?.previousHash).toBe(first?.hash);
        expect(second?.hash).toBe('47b767e88efd881fb4c86e1d7a7503cca53412d3ed326d5159986cc3fd172983');
      });

      it('chains a long stream written in batches without a break', async () => {
        for (let start = 0; start < 600; start += 150) {
          await store.appendToStream('long', events(150), { expectedRevision: start === 0 ? 'no_stream' : start - 1 });
        }
        expectChained(await store.readStream('long'));
        expect(await verifyChain(store, { batchSize: 97 })).toMatchObject({ ok: true, events: 600, streams: 1 });
      });
    });

    describe('waiting for events', () => {
      it('resolves at once with the head when the head is already past `after`', async () => {
        const { lastPosition } = await store.appendToStream('s-1', events(2), { expectedRevision: 'no_stream' });
        const start = performance.now();
        expect(await store.waitForEvents(0, { timeoutMs: 5000 })).toBe(lastPosition);
        expect(await store.waitForEvents(lastPosition - 1, { timeoutMs: 5000 })).toBe(lastPosition);
        expect(elapsedSince(start)).toBeLessThan(1000);
      });

      it('resolves when a later append moves the head past `after`', async () => {
        const { lastPosition: before } = await store.appendToStream('s-1', events(1), { expectedRevision: 'no_stream' });
        const start = performance.now();
        const waiting = store.waitForEvents(before, { timeoutMs: 10_000 });
        await delay(30);
        const { lastPosition } = await store.appendToStream('s-2', events(3), { expectedRevision: 'no_stream' });
        expect(await waiting).toBe(lastPosition);
        expect(elapsedSince(start)).toBeLessThan(2000);
      });

      it('resolves with the unchanged head when the timeout passes', async () => {
        const { lastPosition } = await store.appendToStream('s-1', events(1), { expectedRevision: 'no_stream' });
        const start = performance.now();
        expect(await store.waitForEvents(lastPosition, { timeoutMs: 80 })).toBe(lastPosition);
        const elapsed = elapsedSince(start);
        expect(elapsed).toBeGreaterThanOrEqual(70);
        expect(elapsed).toBeLessThan(2000);
        expect(await store.waitForEvents(0, { timeoutMs: 60 })).toBe(lastPosition);
      });

      it('resolves with the head when the signal aborts, or at once when it already has', async () => {
        const controller = new AbortController();
        const start = performance.now();
        const waiting = store.waitForEvents(0, { timeoutMs: 10_000, signal: controller.signal });
        setTimeout(() => controller.abort(), 30);
        expect(await waiting).toBe(0);
        expect(elapsedSince(start)).toBeLessThan(2000);

        const startAborted = performance.now();
        expect(await store.waitForEvents(0, { signal: AbortSignal.abort() })).toBe(0);
        expect(elapsedSince(startAborted)).toBeLessThan(500);
      });

      it('settles pending waits when the store closes', async () => {
        const start = performance.now();
        const waiting = store.waitForEvents(0, { timeoutMs: 10_000 });
        await delay(10);
        await store.close();
        expect(await waiting).toBe(0);
        expect(elapsedSince(start)).toBeLessThan(2000);
      });
    });

    it('survives close and reopen when the factory can reopen: streams, revisions, positions (no-op otherwise)', async () => {
      const reopen = fixture.reopen;
      if (!reopen) return;
      const a = [event('A0', awkwardData), event('A1')];
      await store.appendToStream('a', a, { expectedRevision: 'no_stream' });
      await store.appendToStream('b', events(3), { expectedRevision: 'no_stream' });
      const before = { all: await store.readAll(), head: await store.headPosition() };
      await store.close();

      store = await reopen();
      expect(await store.headPosition()).toBe(before.head);
      expect(await store.readAll()).toEqual(before.all);
      expect(await store.streamRevision('a')).toBe(1);
      expect(await store.streamRevision('b')).toBe(2);
      expect((await store.readStream('a')).map((e) => e.data)).toStrictEqual([awkwardData, {}]);
      await expect(store.appendToStream('a', events(1), { expectedRevision: 'no_stream' })).rejects.toMatchObject({ code: 'CONCURRENCY' });
      const next = await store.appendToStream('a', events(2), { expectedRevision: 1 });
      expect(next.nextExpectedRevision).toBe(3);
      expect(next.lastPosition).toBeGreaterThan(before.head);
      const added = await store.readAll({ after: before.head });
      expect(added.map((e) => e.revision)).toEqual([2, 3]);
      expect(added[0]?.position).toBeGreaterThan(before.head);
    });
  });
}

export function readModelStoreContract(name: string, factory: () => Promise<ReadModelStoreFixture>): void {
  describe(`ReadModelStore contract: ${name}`, () => {
    let fixture: ReadModelStoreFixture;
    let store: ReadModelStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    const keysOf = async (projection: string, query?: Parameters<ReadModelStore['query']>[1]): Promise<string[]> =>
      (await store.query(projection, query)).map((d) => d.key);

    it('starts every projection at checkpoint 0 with no documents', async () => {
      expect(await store.checkpoint('p')).toBe(0);
      expect((await store.getMany('p', ['a'])).size).toBe(0);
      expect(await store.query('p')).toEqual([]);
      expect(await store.projections()).toEqual([]);
    });

    it('commits documents and the checkpoint together, and reads them back with getMany', async () => {
      await store.commit('p', [{ key: 'a', doc: { n: 1 } }, { key: 'b', doc: { n: 2, tags: ['x'] } }], { expected: 0, next: 5 });
      expect(await store.checkpoint('p')).toBe(5);
      const found = await store.getMany('p', ['a', 'b', 'missing']);
      expect([...found.keys()].sort()).toEqual(['a', 'b']);
      expect(found.get('a')).toStrictEqual({ n: 1 });
      expect(found.get('b')).toStrictEqual({ n: 2, tags: ['x'] });
      await store.commit('p', [{ key: 'a', doc: { n: 10 } }], { expected: 5, next: 9 });
      expect(await store.checkpoint('p')).toBe(9);
      expect((await store.getMany('p', ['a'])).get('a')).toStrictEqual({ n: 10 });
      expect((await store.getMany('p', ['b'])).get('b')).toStrictEqual({ n: 2, tags: ['x'] });
    });

    it('moves the checkpoint with no writes', async () => {
      await store.commit('p', [], { expected: 0, next: 3 });
      expect(await store.checkpoint('p')).toBe(3);
      expect(await store.projections()).toEqual(['p']);
    });

    it('rejects a commit whose expected checkpoint is not the stored one with ConcurrencyError, writing nothing', async () => {
      await store.commit('p', [{ key: 'a', doc: 1 }], { expected: 0, next: 4 });
      for (const expected of [0, 3, 5]) {
        await expect(store.commit('p', [{ key: 'a', doc: 2 }, { key: 'b', doc: 2 }], { expected, next: 10 })).rejects.toMatchObject({ code: 'CONCURRENCY', name: 'ConcurrencyError' });
      }
      await expect(store.commit('fresh', [{ key: 'a', doc: 1 }], { expected: 1, next: 2 })).rejects.toMatchObject({ code: 'CONCURRENCY' });
      expect(await store.checkpoint('p')).toBe(4);
      expect(await store.checkpoint('fresh')).toBe(0);
      const found = await store.getMany('p', ['a', 'b']);
      expect(found.get('a')).toBe(1);
      expect(found.has('b')).toBe(false);
      expect(await store.projections()).toEqual(['p']);
    });

    it('lets exactly one of two concurrent commits from the same checkpoint win', async () => {
      const results = await Promise.allSettled([
        store.commit('p', [{ key: 'k', doc: 'first' }], { expected: 0, next: 1 }),
        store.commit('p', [{ key: 'k', doc: 'second' }], { expected: 0, next: 2 }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected?.reason).toMatchObject({ code: 'CONCURRENCY' });
      const winner = results[0]?.status === 'fulfilled' ? { doc: 'first', checkpoint: 1 } : { doc: 'second', checkpoint: 2 };
      expect((await store.getMany('p', ['k'])).get('k')).toBe(winner.doc);
      expect(await store.checkpoint('p')).toBe(winner.checkpoint);
    });

    it('deletes a document written as null, with its index values', async () => {
      await store.commit('p', [{ key: 'a', doc: { n: 1 }, index: ['colour:red'] }, { key: 'b', doc: { n: 2 }, index: ['colour:red'] }], { expected: 0, next: 1 });
      await store.commit('p', [{ key: 'a', doc: null }, { key: 'never-existed', doc: null }], { expected: 1, next: 2 });
      expect([...(await store.getMany('p', ['a', 'b'])).keys()]).toEqual(['b']);
      expect(await keysOf('p', { index: 'colour:red' })).toEqual(['b']);
      expect(await keysOf('p')).toEqual(['b']);
      expect(await store.checkpoint('p')).toBe(2);
    });

    it('replaces the index values of a rewritten document', async () => {
      await store.commit('p', [{ key: 'a', doc: { v: 1 }, index: ['status:open', 'owner:x'] }], { expected: 0, next: 1 });
      await store.commit('p', [{ key: 'a', doc: { v: 2 }, index: ['status:closed'] }], { expected: 1, next: 2 });
      expect(await keysOf('p', { index: 'status:open' })).toEqual([]);
      expect(await keysOf('p', { index: 'owner:x' })).toEqual([]);
      expect(await store.query('p', { index: 'status:closed' })).toEqual([{ key: 'a', doc: { v: 2 } }]);
      await store.commit('p', [{ key: 'a', doc: { v: 3 } }], { expected: 2, next: 3 });
      expect(await keysOf('p', { index: 'status:closed' })).toEqual([]);
    });

    describe('query', () => {
      beforeEach(async () => {
        await store.commit(
          'loans',
          [
            { key: 'loan-3', doc: { id: 3 }, index: ['borrower:LIB1', 'due:2026-01-03'] },
            { key: 'loan-1', doc: { id: 1 }, index: ['borrower:LIB1', 'due:2026-01-01'] },
            { key: 'loan-2', doc: { id: 2 }, index: ['borrower:LIB2', 'due:2026-01-02'] },
            { key: 'loan-4', doc: { id: 4 }, index: ['borrower:LIB2', 'due:2026-01-04', 'due:2026-01-02'] },
            { key: 'LOAN-9', doc: { id: 9 } },
            { key: 'loan-10', doc: { id: 10 }, index: ['borrower:LIB10'] },
          ],
          { expected: 0, next: 6 },
        );
        await store.commit('other', [{ key: 'loan-1', doc: 'elsewhere', index: ['borrower:LIB1'] }], { expected: 0, next: 1 });
      });

      it('returns every document of the projection in key order', async () => {
        const all = await store.query('loans');
        // Binary (code point) order: upper case before lower case, '10' before '2'.
        expect(all.map((d) => d.key)).toEqual(['LOAN-9', 'loan-1', 'loan-10', 'loan-2', 'loan-3', 'loan-4']);
        expect(all[1]).toEqual({ key: 'loan-1', doc: { id: 1 } });
      });

      it('filters by an exact index value', async () => {
        expect(await keysOf('loans', { index: 'borrower:LIB1' })).toEqual(['loan-1', 'loan-3']);
        expect(await keysOf('loans', { index: 'borrower:LIB' })).toEqual([]);
        expect(await keysOf('other', { index: 'borrower:LIB1' })).toEqual(['loan-1']);
      });

      it('filters by an index range, from inclusive and to exclusive, listing a document once', async () => {
        expect(await keysOf('loans', { indexRange: { from: 'due:2026-01-02', to: 'due:2026-01-04' } })).toEqual(['loan-2', 'loan-4', 'loan-3']);
        expect(await keysOf('loans', { indexRange: { from: 'due:2026-01-01', to: 'due:2026-01-02' } })).toEqual(['loan-1']);
        expect(await keysOf('loans', { indexRange: { from: 'due:', to: 'due;' } })).toEqual(['loan-1', 'loan-2', 'loan-4', 'loan-3']);
        expect(await keysOf('loans', { indexRange: { from: 'due:2027', to: 'due:2028' } })).toEqual([]);
      });

      it('takes U+0000 in a range bound as the least character: to "v\\u0000" ends the range just after v (as the timer worker asks)', async () => {
        expect(await keysOf('loans', { indexRange: { from: 'due:', to: 'due:2026-01-02\u0000' } })).toEqual(['loan-1', 'loan-2', 'loan-4']);
        expect(await keysOf('loans', { indexRange: { from: 'due:2026-01-02\u0000', to: 'due;' } })).toEqual(['loan-3', 'loan-4']);
        expect(await keysOf('loans', { indexRange: { from: 'due:2026-01-03', to: 'due:2026-01-03\u0000' } })).toEqual(['loan-3']);
      });

      it('orders a range scan by each document\'s earliest index value in the range, then by key (earliest deadline first)', async () => {
        await store.commit('timers', [
          { key: 'a', doc: 1, index: ['due:2026-03-09'] },
          { key: 'b', doc: 2, index: ['due:2026-03-01'] },
          { key: 'c', doc: 3, index: ['due:2026-03-05', 'due:2026-02-01'] },
          { key: 'd', doc: 4, index: ['due:2026-03-01'] },
        ], { expected: 0, next: 1 });
        expect(await keysOf('timers', { indexRange: { from: 'due:', to: 'due;' } })).toEqual(['c', 'b', 'd', 'a']);
        expect(await keysOf('timers', { indexRange: { from: 'due:2026-03', to: 'due;' } })).toEqual(['b', 'd', 'c', 'a']);
        expect(await keysOf('timers', { indexRange: { from: 'due:', to: 'due;' }, limit: 1 })).toEqual(['c']);
      });

      it('applies the limit after ordering by key', async () => {
        expect(await keysOf('loans', { limit: 2 })).toEqual(['LOAN-9', 'loan-1']);
        expect(await keysOf('loans', { index: 'borrower:LIB2', limit: 1 })).toEqual(['loan-2']);
        expect(await keysOf('loans', { indexRange: { from: 'due:', to: 'due;' }, limit: 3 })).toEqual(['loan-1', 'loan-2', 'loan-4']);
        expect(await keysOf('loans', { limit: 0 })).toEqual([]);
      });

      it('pages in key order after a cursor: the pages put together are the whole answer, each document once', async () => {
        expect(await keysOf('loans', { after: { key: 'loan-1' }, limit: 2 })).toEqual(['loan-10', 'loan-2']);
        expect(await keysOf('loans', { after: { key: 'loan-10' } })).toEqual(['loan-2', 'loan-3', 'loan-4']);
        // A cursor need not be a stored key: paging resumes at the next key in order.
        expect(await keysOf('loans', { after: { key: 'loan-15' } })).toEqual(['loan-2', 'loan-3', 'loan-4']);
        expect(await keysOf('loans', { after: { key: 'loan-4' } })).toEqual([]);
        const pages: string[] = [];
        let after: { key: string } | undefined;
        for (;;) {
          const page = await keysOf('loans', { limit: 2, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          pages.push(...page);
          after = { key: page[page.length - 1]! };
        }
        expect(pages).toEqual(await keysOf('loans'));
      });

      it('pages one exact index value in key order after a cursor', async () => {
        await store.commit('loans', [{ key: 'loan-0', doc: { id: 0 }, index: ['borrower:LIB2'] }], { expected: 6, next: 7 });
        expect(await keysOf('loans', { index: 'borrower:LIB2', limit: 2 })).toEqual(['loan-0', 'loan-2']);
        expect(await keysOf('loans', { index: 'borrower:LIB2', after: { key: 'loan-2' }, limit: 2 })).toEqual(['loan-4']);
        expect(await keysOf('loans', { index: 'borrower:LIB2', after: { key: 'loan-4' } })).toEqual([]);
        expect(await keysOf('loans', { index: 'borrower:LIB1', after: { key: 'loan-0' } })).toEqual(['loan-1', 'loan-3']);
      });

      it('pages a range after a (value, key) cursor, listing a document with two values in the range once, at its lowest', async () => {
        const range = { from: 'due:', to: 'due;' };
        // Order: loan-1 @01, loan-2 @02, loan-4 @02 (its 04 is passed over), loan-3 @03.
        expect(await keysOf('loans', { indexRange: range, after: { value: 'due:2026-01-02', key: 'loan-2' } })).toEqual(['loan-4', 'loan-3']);
        expect(await keysOf('loans', { indexRange: range, after: { value: 'due:2026-01-02', key: 'loan-4' }, limit: 1 })).toEqual(['loan-3']);
        expect(await keysOf('loans', { indexRange: range, after: { value: 'due:2026-01-03', key: 'loan-3' } })).toEqual([]);
        // A cursor before the range starts the range from its beginning.
        expect(await keysOf('loans', { indexRange: { from: 'due:2026-01-02', to: 'due;' }, after: { value: 'due:', key: 'zzz' } })).toEqual(['loan-2', 'loan-4', 'loan-3']);
        expect(await keysOf('loans', { index: 'borrower:LIB2', indexRange: range, after: { value: 'due:2026-01-02', key: 'loan-2' } })).toEqual(['loan-4']);
        const pages: string[] = [];
        for (let after: { value: string; key: string } | undefined; ; ) {
          const page = await store.query('loans', { indexRange: range, limit: 1, ...(after ? { after } : {}) });
          if (page.length === 0) break;
          const last = page[0]!;
          pages.push(last.key);
          after = { key: last.key, value: `due:2026-01-0${String((last.doc as { id: number }).id === 4 ? 2 : (last.doc as { id: number }).id)}` };
        }
        expect(pages).toEqual(['loan-1', 'loan-2', 'loan-4', 'loan-3']);
      });

      it('counts what a query lists: every document, an exact value, a range (a document with several values in it once), both', async () => {
        expect(await store.count('loans')).toBe(6);
        expect(await store.count('loans', { index: 'borrower:LIB1' })).toBe(2);
        expect(await store.count('loans', { index: 'borrower:LIB10' })).toBe(1);
        expect(await store.count('loans', { index: 'borrower:LIB' })).toBe(0);
        expect(await store.count('other', { index: 'borrower:LIB1' })).toBe(1);
        expect(await store.count('nothing-here')).toBe(0);
        expect(await store.count('nothing-here', { index: 'borrower:LIB1' })).toBe(0);
        // loan-4 has due:2026-01-02 and due:2026-01-04: in [02, 05) twice, counted once.
        expect(await store.count('loans', { indexRange: { from: 'due:2026-01-02', to: 'due:2026-01-05' } })).toBe(3);
        expect(await store.count('loans', { indexRange: { from: 'due:', to: 'due;' } })).toBe(4);
        expect(await store.count('loans', { indexRange: { from: 'due:2026-01-03', to: 'due:2026-01-05' } })).toBe(2);
        expect(await store.count('loans', { indexRange: { from: 'due:', to: 'due:2026-01-02\u0000' } })).toBe(3);
        expect(await store.count('loans', { indexRange: { from: 'due:2026-01-02\u0000', to: 'due;' } })).toBe(2);
        // Every document with a value from 'borrower:' to 'due;' (all but LOAN-9), each once.
        expect(await store.count('loans', { indexRange: { from: 'borrower:', to: 'due;' } })).toBe(5);
        expect(await store.count('loans', { index: 'borrower:LIB2', indexRange: { from: 'due:', to: 'due;' } })).toBe(2);
        expect(await store.count('loans', { index: 'borrower:LIB1', indexRange: { from: 'due:2026-01-02', to: 'due;' } })).toBe(1);
        expect(await store.count('loans', { index: 'borrower:LIB10', indexRange: { from: 'due:', to: 'due;' } })).toBe(0);
        const queries: CountQuery[] = [
          {},
          { index: 'borrower:LIB2' },
          { indexRange: { from: 'borrower:LIB1', to: 'borrower:LIB2' } },
          { indexRange: { from: 'due:2026-01-01', to: 'due:2026-01-04\u0000' } },
          { index: 'due:2026-01-02', indexRange: { from: 'due:2026-01-03', to: 'due;' } },
        ];
        for (const query of queries) expect([query, await store.count('loans', query)]).toEqual([query, (await store.query('loans', query)).length]);
      });

      it('counts no deleted document and no index value a rewrite removed', async () => {
        await store.commit('loans', [{ key: 'loan-1', doc: null }, { key: 'loan-2', doc: { id: 2 }, index: ['borrower:LIB1'] }], { expected: 6, next: 7 });
        expect(await store.count('loans')).toBe(5);
        expect(await store.count('loans', { index: 'borrower:LIB1' })).toBe(2);
        expect(await store.count('loans', { index: 'borrower:LIB2' })).toBe(1);
        expect(await store.count('loans', { indexRange: { from: 'due:', to: 'due;' } })).toBe(2);
        expect(await store.count('loans', { index: 'borrower:LIB1', indexRange: { from: 'due:', to: 'due;' } })).toBe(1);
        await store.reset('loans');
        expect(await store.count('loans')).toBe(0);
        expect(await store.count('loans', { index: 'borrower:LIB1' })).toBe(0);
        expect(await store.count('other', { index: 'borrower:LIB1' })).toBe(1);
      });

      it('rejects a range query whose cursor has no value with ValidationError naming query.after.value', async () => {
        await expect(store.query('loans', { indexRange: { from: 'due:', to: 'due;' }, after: { key: 'loan-1' } })).rejects.toMatchObject({
          code: 'VALIDATION',
          message: expect.stringContaining('query.after.value'),
        });
      });
    });

    describe('query cost', () => {
      const PENDING = 400;
      const at = (i: number): string => `due:2026-01-01T00:00:${String(i).padStart(4, '0')}`;

      beforeEach(async () => {
        // Written in reverse so that key order and due order differ from insertion order.
        const writes = Array.from({ length: PENDING }, (_, n) => PENDING - 1 - n).map((i) => ({ key: `t-${String(PENDING - i).padStart(4, '0')}`, doc: { i }, index: [at(i), `library:L${i % 2}`] }));
        await store.commit('timers', writes, { expected: 0, next: 1 });
      });

      it('finds the earliest of many pending deadlines by walking the index, not by sorting every match', async () => {
        const next: DocQuery = { indexRange: { from: 'due:', to: 'due;' }, limit: 1 };
        expect(await store.query('timers', next)).toEqual([{ key: `t-${String(PENDING).padStart(4, '0')}`, doc: { i: 0 } }]);
        if (fixture.overreads) expect(await fixture.overreads('timers', next)).toBe(false);
      });

      it('takes the due ones up to a time, a batch at a time, without reading the rest', async () => {
        const due: DocQuery = { indexRange: { from: 'due:', to: `${at(PENDING / 2)}\u0000` }, limit: 5 };
        expect((await store.query('timers', due)).map((d) => (d.doc as { i: number }).i)).toEqual([0, 1, 2, 3, 4]);
        const rest: DocQuery = { ...due, after: { value: at(4), key: `t-${String(PENDING - 4).padStart(4, '0')}` } };
        expect((await store.query('timers', rest)).map((d) => (d.doc as { i: number }).i)).toEqual([5, 6, 7, 8, 9]);
        if (fixture.overreads) {
          expect(await fixture.overreads('timers', due)).toBe(false);
          expect(await fixture.overreads('timers', rest)).toBe(false);
        }
      });

      it('counts a large exact value and a range from the index alone, reading no document', async () => {
        const byLibrary: CountQuery = { index: 'library:L1' };
        const due: CountQuery = { indexRange: { from: 'due:', to: `${at(PENDING / 2)}\u0000` } };
        const both: CountQuery = { ...byLibrary, ...due };
        expect(await store.count('timers', byLibrary)).toBe(PENDING / 2);
        expect(await store.count('timers', due)).toBe(PENDING / 2 + 1);
        expect(await store.count('timers', both)).toBe(PENDING / 4);
        if (fixture.countReadsDocuments) for (const query of [byLibrary, due, both]) expect([query, await fixture.countReadsDocuments('timers', query)]).toEqual([query, false]);
      });

      it('pages a large exact index value and the key order without reading past the page', async () => {
        const byLibrary: DocQuery = { index: 'library:L1', after: { key: 't-0100' }, limit: 3 };
        expect(await keysOf('timers', byLibrary)).toEqual(['t-0101', 't-0103', 't-0105']);
        const byKey: DocQuery = { after: { key: 't-0200' }, limit: 2 };
        expect(await keysOf('timers', byKey)).toEqual(['t-0201', 't-0202']);
        if (fixture.overreads) {
          expect(await fixture.overreads('timers', byLibrary)).toBe(false);
          expect(await fixture.overreads('timers', byKey)).toBe(false);
        }
      });
    });

    it('rejects a document that is not JSON with ValidationError, writing nothing', async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      for (const doc of [{ big: 10n }, circular] as unknown as Doc[]) {
        await expect(store.commit('p', [{ key: 'a', doc: 1 }, { key: 'b', doc }], { expected: 0, next: 1 })).rejects.toMatchObject({ code: 'VALIDATION' });
      }
      expect(await store.checkpoint('p')).toBe(0);
      expect((await store.getMany('p', ['a'])).size).toBe(0);
    });

    it('resets one projection: its documents and checkpoint, and nothing else', async () => {
      await store.commit('p', [{ key: 'a', doc: 1, index: ['i'] }], { expected: 0, next: 7 });
      await store.commit('q', [{ key: 'a', doc: 2, index: ['i'] }], { expected: 0, next: 3 });
      expect((await store.projections()).sort()).toEqual(['p', 'q']);
      await store.reset('p');
      expect(await store.checkpoint('p')).toBe(0);
      expect((await store.getMany('p', ['a'])).size).toBe(0);
      expect(await store.query('p', { index: 'i' })).toEqual([]);
      expect(await store.projections()).toEqual(['q']);
      expect(await store.checkpoint('q')).toBe(3);
      expect((await store.getMany('q', ['a'])).get('a')).toBe(2);
      expect(await keysOf('q', { index: 'i' })).toEqual(['a']);
      await store.commit('p', [{ key: 'b', doc: 3 }], { expected: 0, next: 1 });
      expect(await keysOf('p')).toEqual(['b']);
    });

    it('round-trips documents exactly, and is not changed by mutating what it returned', async () => {
      const docs: Doc[] = [awkwardData, 'a string', 42.5, true, [1, 'two', { three: 3 }]];
      await store.commit('p', docs.map((doc, i) => ({ key: `k${i}`, doc })), { expected: 0, next: 1 });
      const found = await store.getMany('p', docs.map((_, i) => `k${i}`));
      docs.forEach((doc, i) => expect(found.get(`k${i}`)).toStrictEqual(doc));
      const first = found.get('k0') as { nested: { a: unknown } };
      try {
        first.nested.a = 'mutated';
      } catch {
        // A frozen copy is fine too.
      }
      const [queried] = await store.query('p', { limit: 1 });
      try {
        (queried?.doc as { text: string }).text = 'mutated';
      } catch {
        // as above
      }
      expect((await store.getMany('p', ['k0'])).get('k0')).toStrictEqual(awkwardData);
    });

    it('survives reopen when the factory can reopen: documents, index and checkpoints (no-op otherwise)', async () => {
      const reopen = fixture.reopen;
      if (!reopen) return;
      await store.commit('p', [{ key: 'a', doc: awkwardData, index: ['x:1'] }, { key: 'b', doc: { n: 2 }, index: ['x:2'] }], { expected: 0, next: 12 });
      await store.commit('q', [], { expected: 0, next: 4 });
      store = await reopen();
      expect(await store.checkpoint('p')).toBe(12);
      expect(await store.checkpoint('q')).toBe(4);
      expect((await store.projections()).sort()).toEqual(['p', 'q']);
      expect((await store.getMany('p', ['a'])).get('a')).toStrictEqual(awkwardData);
      expect(await keysOf('p', { indexRange: { from: 'x:2', to: 'x:3' } })).toEqual(['b']);
      await expect(store.commit('p', [], { expected: 0, next: 13 })).rejects.toMatchObject({ code: 'CONCURRENCY' });
      await store.commit('p', [{ key: 'a', doc: null }], { expected: 12, next: 13 });
      expect(await keysOf('p')).toEqual(['b']);
    });
  });
}
