import { InMemoryEventStore, type EventStore, type NewEvent } from '@interlend/engine';
import { copyLog } from './copyLog';
import { sameStore } from './targetSetup';

const event = (id: string, size = 10): NewEvent => ({ id, type: 'Happened', data: { text: 'x'.repeat(size) }, metadata: {} });

/** Counts the appends a store receives. */
function counting(store: EventStore): { store: EventStore; appends: { streamId: string; events: number }[] } {
  const appends: { streamId: string; events: number }[] = [];
  const proxy: EventStore = Object.create(store) as EventStore;
  proxy.appendToStream = (streamId, events, options) => (appends.push({ streamId, events: events.length }), store.appendToStream(streamId, events, options));
  return { store: proxy, appends };
}

describe('copyLog batching', () => {
  it("appends consecutive events of one stream together, bounded by maxEventsPerAppend, and keeps the source's order", async () => {
    const source = new InMemoryEventStore();
    await source.appendToStream('a', [1, 2, 3, 4, 5, 6, 7].map((i) => event(`a${i}`)), { expectedRevision: 'no_stream' });
    await source.appendToStream('b', [event('b1')], { expectedRevision: 'no_stream' });
    await source.appendToStream('a', [event('a8')], { expectedRevision: 6 });
    const target = counting(new InMemoryEventStore());
    const result = await copyLog(source, target.store, { maxEventsPerAppend: 3 });
    expect(target.appends).toEqual([
      { streamId: 'a', events: 3 },
      { streamId: 'a', events: 3 },
      { streamId: 'a', events: 1 },
      { streamId: 'b', events: 1 },
      { streamId: 'a', events: 1 },
    ]);
    expect(result).toMatchObject({ status: 'complete', copied: 9, appends: 5, events: 9 });
    expect((await target.store.readAll()).map((e) => `${e.streamId}@${e.revision}:${e.id}`)).toEqual((await source.readAll()).map((e) => `${e.streamId}@${e.revision}:${e.id}`));
  });

  it('starts a new append when the next event would pass maxBytesPerAppend (one event always goes)', async () => {
    const source = new InMemoryEventStore();
    await source.appendToStream('a', [event('a1', 600), event('a2', 600), event('a3', 2_000)], { expectedRevision: 'no_stream' });
    const target = counting(new InMemoryEventStore());
    await copyLog(source, target.store, { maxBytesPerAppend: 1_300 });
    expect(target.appends.map((a) => a.events)).toEqual([2, 1]);
  });

  it('copies nothing from an empty source', async () => {
    expect(await copyLog(new InMemoryEventStore(), new InMemoryEventStore())).toMatchObject({ status: 'complete', copied: 0, events: 0, lastEventId: undefined });
  });
});

describe('sameStore', () => {
  it('tells the same PostgreSQL database behind two spellings, and different databases apart', () => {
    const pg = (url: string) => ({ kind: 'postgres', url }) as const;
    expect(sameStore(pg('postgres://u:p@localhost/ill'), pg('postgresql://other@127.0.0.1:5432/ill'))).toBe(true);
    expect(sameStore(pg('postgres://localhost/ill'), pg('postgres://localhost/ill2'))).toBe(false);
    expect(sameStore(pg('postgres://localhost:5433/ill'), pg('postgres://localhost/ill'))).toBe(false);
    expect(sameStore({ kind: 'sqlite', path: '/tmp/a.db' }, { kind: 'sqlite', path: '/tmp/a.db' })).toBe(true);
    expect(sameStore({ kind: 'sqlite', path: '/tmp/a.db' }, pg('postgres://localhost/a'))).toBe(false);
  });
});
