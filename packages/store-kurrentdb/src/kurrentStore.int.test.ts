import { eventStoreContract } from '@interlend/engine/testing';
import { verifyChain } from '@interlend/engine';
import type { NewEvent } from '@interlend/engine';
import { KurrentDbEventStore, openKurrentDb } from './index';
import type { KurrentDbHandle } from './index';

/**
 * The event-store contract against a real KurrentDB, when KURRENTDB_URL names one:
 *
 *     KURRENTDB_URL='kurrentdb://localhost:2113?tls=false' npx jest packages/store-kurrentdb
 *
 * One connection for the file; every test gets a store of its own through a stream prefix of its
 * own (`interlend-test-<run>-<n>-`: no prefix is a prefix of another), so the server needs no
 * cleaning between tests. The test streams stay on the server: use a server for tests.
 */
const url = process.env.KURRENTDB_URL?.trim();

if (!url) {
  describe('KurrentDB contract suite', () => {
    const reason = 'KURRENTDB_URL is not set (no KurrentDB server on this machine)';
    // Logged while the suite is collected: jest runs no hooks around skipped tests.
    console.log(`KurrentDB contract suite skipped: ${reason}. Run it with KURRENTDB_URL='kurrentdb://localhost:2113?tls=false' npx jest packages/store-kurrentdb`);
    test.skip(`KurrentDB contract suite: skipped, ${reason}`, () => undefined);
    // Jest lists the skipped test above only in a file that runs something: this is that something.
    test('says why the KurrentDB contract suite did not run', () => {
      expect(reason).toContain('KURRENTDB_URL');
    });
  });
} else {
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  let count = 0;
  const prefix = (): string => `interlend-test-${runId}-${++count}-`;
  let handle: KurrentDbHandle;
  beforeAll(() => {
    handle = openKurrentDb(url);
  });
  afterAll(() => handle.close());

  eventStoreContract(`KurrentDbEventStore on ${url.replace(/:[^:@/]*@/, ':***@')}`, async () => {
    const streamPrefix = prefix();
    const opened: KurrentDbEventStore[] = [new KurrentDbEventStore(handle.client, { streamPrefix, pollIntervalMs: 200 })];
    return {
      store: opened[0] as KurrentDbEventStore,
      reopen: async () => {
        const again = new KurrentDbEventStore(handle.client, { streamPrefix, pollIntervalMs: 200 });
        opened.push(again);
        return again;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
      },
    };
  });

  describe('KurrentDbEventStore on a real server', () => {
    let n = 0;
    const newEvents = (count: number): NewEvent[] => Array.from({ length: count }, (_, i) => ({ id: `kdb-int-${runId}-${++n}`, type: 'T', data: { i }, metadata: {} }));

    it('gets commit positions on stream reads, and resumes $all from the middle of an append', async () => {
      const store = new KurrentDbEventStore(handle.client, { streamPrefix: prefix() });
      try {
        await store.appendToStream('a', newEvents(5), { expectedRevision: 'no_stream' });
        await store.appendToStream('b', newEvents(1), { expectedRevision: 'no_stream' });
        const all = await store.readAll();
        expect(await store.readStream('a')).toEqual(all.slice(0, 5));
        expect(await store.readAll({ after: all[2]!.position })).toEqual(all.slice(3));
        expect(await store.headPosition()).toBe(all[5]!.position);
        expect((await verifyChain(store)).ok).toBe(true);
      } finally {
        await store.close();
      }
    });

    it('answers an append repeated with the same ids as the server does: with the first result', async () => {
      const store = new KurrentDbEventStore(handle.client, { streamPrefix: prefix() });
      try {
        const events = newEvents(2);
        const first = await store.appendToStream('s', events, { expectedRevision: 'no_stream' });
        expect(await store.appendToStream('s', events, { expectedRevision: 'no_stream' })).toEqual(first);
        expect(await store.streamRevision('s')).toBe(1);
      } finally {
        await store.close();
      }
    });
  });
}
