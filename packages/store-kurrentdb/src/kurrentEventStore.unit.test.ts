import { eventStoreContract } from '@interlend/engine/testing';
import { InMemoryEventStore, verifyChain } from '@interlend/engine';
import type { NewEvent } from '@interlend/engine';
import { FakeKurrentClient } from './__tests__/fakeKurrentClient';
import { KurrentDbEventStore } from './kurrentEventStore';
import { APPEND_SLOTS, fromGlobalPosition } from './globalPosition';
import { toKurrentEventId } from './eventId';

// The whole contract against a model of the server (see FakeKurrentClient): it checks the
// adapter's own logic (positions, hash chain, expectations, filter, waits). It does not stand
// in for the run against a real KurrentDB in kurrentStore.int.test.ts.
eventStoreContract('KurrentDbEventStore on FakeKurrentClient (a model of the server, not a server)', async () => {
  const fake = new FakeKurrentClient();
  let store = new KurrentDbEventStore(fake.asClient(), { pollIntervalMs: 50 });
  return {
    store,
    reopen: async () => (store = new KurrentDbEventStore(fake.asClient(), { pollIntervalMs: 50 })),
    cleanup: () => store.close(),
  };
});

let idCount = 0;
const newEvents = (n: number, type = 'T'): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: `kdb-unit-${++idCount}`, type, data: { i }, metadata: { actor: 'x' } }));

describe('KurrentDbEventStore (on the model of the server)', () => {
  let fake: FakeKurrentClient;
  let store: KurrentDbEventStore;
  beforeEach(() => {
    fake = new FakeKurrentClient();
    store = new KurrentDbEventStore(fake.asClient(), { pollIntervalMs: 50 });
  });
  afterEach(() => store.close());

  it('writes each engine stream as <prefix><streamId>, with the engine id, place in the append and chain links in the metadata', async () => {
    const events = newEvents(2);
    await store.appendToStream('loan/1', events, { expectedRevision: 'no_stream' });
    const rows = fake.log.filter((r) => r.stream.startsWith('interlend-'));
    expect(rows.map((r) => [r.stream, r.revision, r.id])).toEqual([
      ['interlend-loan/1', 0n, toKurrentEventId(events[0]!.id)],
      ['interlend-loan/1', 1n, toKurrentEventId(events[1]!.id)],
    ]);
    const [first, second] = await store.readStream('loan/1');
    expect(JSON.parse(rows[1]!.metadata)).toEqual({
      interlend: { format: 1, id: events[1]!.id, index: 1, count: 2, hash: second!.hash, previousHash: first!.hash },
      metadata: { actor: 'x' },
    });
    expect(JSON.parse(rows[0]!.data)).toEqual({ i: 0 });
  });

  it('keeps the system streams and other applications out of the log, and a prefix apart from another', async () => {
    const other = new KurrentDbEventStore(fake.asClient(), { streamPrefix: 'interlend2-' });
    try {
      await store.appendToStream('a', newEvents(2), { expectedRevision: 'no_stream' });
      await other.appendToStream('a', newEvents(3), { expectedRevision: 'no_stream' });
      expect(fake.log.some((r) => r.stream.startsWith('$'))).toBe(true);
      expect(fake.log.some((r) => r.stream.startsWith('other-app'))).toBe(true);
      expect((await store.readAll()).map((e) => e.streamId)).toEqual(['a', 'a']);
      expect(await other.readAll()).toHaveLength(3);
      expect(await store.streamRevision('a')).toBe(1);
      expect(await other.streamRevision('a')).toBe(2);
      expect((await verifyChain(store)).ok).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('numbers an append from its first commit position, contiguously, whatever lies between in the transaction log', async () => {
    const first = await store.appendToStream('s', newEvents(3), { expectedRevision: 'no_stream' });
    const second = await store.appendToStream('t', newEvents(1), { expectedRevision: 'no_stream' });
    const ours = fake.log.filter((r) => r.stream.startsWith('interlend-'));
    expect(fromGlobalPosition(first.lastPosition)).toEqual({ firstCommit: ours[0]!.position, index: 2 });
    expect(fromGlobalPosition(second.lastPosition)).toEqual({ firstCommit: ours[3]!.position, index: 0 });
    // The commit positions themselves are byte offsets, far from contiguous.
    expect(ours[1]!.position - ours[0]!.position).toBeGreaterThan(100n);
    expect((await store.readAll()).map((e) => e.position)).toEqual([first.lastPosition - 2, first.lastPosition - 1, first.lastPosition, second.lastPosition]);
    expect(second.lastPosition - first.lastPosition).toBeGreaterThan(APPEND_SLOTS);
  });

  it('reads the log in pages that start inside an append, and the head from the middle of one', async () => {
    await store.appendToStream('long', newEvents(7), { expectedRevision: 'no_stream' });
    await store.appendToStream('x', newEvents(5), { expectedRevision: 'no_stream' });
    const all = await store.readAll();
    const paged = [];
    for (let after = 0; ; ) {
      const page = await store.readAll({ after, maxCount: 3 });
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1]!.position;
    }
    expect(paged).toEqual(all);
    expect(await store.headPosition()).toBe(all[11]!.position);
    // A fresh handle knows no first commit positions yet: it looks them up.
    const fresh = new KurrentDbEventStore(fake.asClient());
    expect(await fresh.headPosition()).toBe(all[11]!.position);
    expect(await fresh.readStream('long', { fromRevision: 4, maxCount: 2 })).toEqual(all.slice(4, 6));
    await fresh.close();
  });

  it('answers a repeated append (a retry after a lost answer) with its first result, as the server does', async () => {
    const events = newEvents(2);
    const first = await store.appendToStream('s', events, { expectedRevision: 'no_stream' });
    await store.appendToStream('s', newEvents(1), { expectedRevision: 1 });
    expect(await store.appendToStream('s', events, { expectedRevision: 'no_stream' })).toEqual(first);
    const repeatedAny = newEvents(1);
    const any = await store.appendToStream('s', repeatedAny, { expectedRevision: 'any' });
    expect(await store.appendToStream('s', repeatedAny, { expectedRevision: 'any' })).toEqual(any);
    expect(await store.streamRevision('s')).toBe(3);
    // Not the same append (other ids at those revisions, or only some of them): the expectation fails as usual.
    await expect(store.appendToStream('s', [events[1]!], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ code: 'CONCURRENCY' });
    await expect(store.appendToStream('s', [events[0]!, ...newEvents(1)], { expectedRevision: 'no_stream' })).rejects.toMatchObject({ code: 'CONCURRENCY' });
    expect(await store.streamRevision('s')).toBe(3);
  });

  it('refuses a stale expectation with the same error, message and details as the other stores', async () => {
    const memory = new InMemoryEventStore();
    for (const s of [store, memory]) await s.appendToStream('s', newEvents(2), { expectedRevision: 'no_stream' });
    const errors = await Promise.all([store, memory].map((s) => s.appendToStream('s', newEvents(1), { expectedRevision: 0 }).catch((e: unknown) => e)));
    expect(errors[0]).toMatchObject({ name: 'ConcurrencyError', code: 'CONCURRENCY', details: { streamId: 's', expected: 0, actual: 1 } });
    expect((errors[0] as Error).message).toBe((errors[1] as Error).message);
    await memory.close();
  });

  it('maps a lost race (the server refusing the revision it was given) to ConcurrencyError, and retries it for any', async () => {
    await store.appendToStream('s', newEvents(1), { expectedRevision: 'no_stream' });
    const results = await Promise.allSettled([
      store.appendToStream('s', newEvents(1), { expectedRevision: 0 }),
      store.appendToStream('s', newEvents(1), { expectedRevision: 0 }),
      store.appendToStream('s', newEvents(1), { expectedRevision: 'any' }),
      store.appendToStream('s', newEvents(1), { expectedRevision: 'stream_exists' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(expect.arrayContaining(['fulfilled', 'rejected']));
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'CONCURRENCY', details: { streamId: 's', expected: 0, actual: expect.any(Number) } });
    expect(await store.streamRevision('s')).toBe(3);
    expect((await verifyChain(store)).ok).toBe(true);
  });

  it('refuses more events in one append than it has position slots for, before writing', async () => {
    await expect(store.appendToStream('s', newEvents(APPEND_SLOTS + 1), { expectedRevision: 'any' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(fake.log).toHaveLength(0);
  });

  it('wakes a wait through the subscription when another handle appends, and keeps one subscription', async () => {
    const writer = new KurrentDbEventStore(fake.asClient());
    const waiting = new KurrentDbEventStore(fake.asClient(), { pollIntervalMs: 60_000 });
    try {
      const start = performance.now();
      const wait = waiting.waitForEvents(0, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { lastPosition } = await writer.appendToStream('s', newEvents(2), { expectedRevision: 'no_stream' });
      expect(await wait).toBe(lastPosition);
      expect(performance.now() - start).toBeLessThan(1000);
      expect(fake.subscriptions).toBe(1);
      const next = waiting.waitForEvents(lastPosition, { timeoutMs: 10_000 });
      const again = await writer.appendToStream('s', newEvents(1), { expectedRevision: 1 });
      expect(await next).toBe(again.lastPosition);
      expect(fake.subscriptions).toBe(1);
    } finally {
      await writer.close();
      await waiting.close();
    }
    expect(fake.subscriptions).toBe(0);
  });

  it('refuses calls after close, and disposes of the client only when it owns it', async () => {
    await store.close();
    await expect(store.readAll()).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('closed') });
    await expect(store.waitForEvents(0)).rejects.toMatchObject({ code: 'STORE' });
    expect(fake.disposed).toBe(false);
    const owning = new KurrentDbEventStore(fake.asClient(), { disposeClient: true });
    await owning.close();
    expect(fake.disposed).toBe(true);
  });

  it('rejects a prefix that would reach system streams', () => {
    expect(() => new KurrentDbEventStore(fake.asClient(), { streamPrefix: '$ce-' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(() => new KurrentDbEventStore(fake.asClient(), { streamPrefix: '' })).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
