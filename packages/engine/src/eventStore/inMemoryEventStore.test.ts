import { eventStoreContract } from '../testing/eventStoreContract';
import { InMemoryEventStore } from './inMemoryEventStore';

eventStoreContract('InMemoryEventStore', async () => {
  const store = new InMemoryEventStore();
  return { store, cleanup: () => store.close() };
});

describe('InMemoryEventStore specifics', () => {
  it('rejects an event id already in the store with ConcurrencyError, writing nothing', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a', [{ id: 'e-1', type: 'T', data: {}, metadata: {} }], { expectedRevision: 'no_stream' });
    await expect(
      store.appendToStream('b', [{ id: 'e-2', type: 'T', data: {}, metadata: {} }, { id: 'e-1', type: 'T', data: {}, metadata: {} }], { expectedRevision: 'any' }),
    ).rejects.toMatchObject({ code: 'CONCURRENCY', details: { reason: 'duplicate_event_id' } });
    expect(await store.headPosition()).toBe(1);
    expect(await store.streamRevision('b')).toBe(-1);
  });

  it('hands out frozen events', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a', [{ id: 'e-1', type: 'T', data: { nested: { x: 1 } }, metadata: {} }], { expectedRevision: 'no_stream' });
    const [event] = await store.readAll();
    expect(Object.isFrozen(event)).toBe(true);
    expect(Object.isFrozen(event?.data.nested)).toBe(true);
  });

  it('fails with StoreError once closed', async () => {
    const store = new InMemoryEventStore();
    await store.close();
    await expect(store.headPosition()).rejects.toMatchObject({ code: 'STORE' });
    await expect(store.waitForEvents(0)).rejects.toMatchObject({ code: 'STORE' });
  });
});
