import { readModelStoreContract } from '../testing/eventStoreContract';
import { InMemoryReadModelStore } from './inMemoryReadModelStore';

readModelStoreContract('InMemoryReadModelStore', async () => {
  const store = new InMemoryReadModelStore();
  return {
    store,
    // The store counts the index entries and keys its queries visit.
    overreads: async (projection, query) => {
      const before = store.examined;
      const answer = await store.query(projection, query);
      return store.examined - before > answer.length + 1;
    },
    cleanup: async () => undefined,
  };
});

describe('InMemoryReadModelStore sorted index', () => {
  it('answers the same after one large commit as after the same writes one at a time (the bulk merge and the single inserts agree)', async () => {
    const writes = Array.from({ length: 300 }, (_, i) => {
      const key = `k${(i * 37) % 120}`;
      return i % 7 === 3 ? { key, doc: null } : { key, doc: { i }, index: [`due:${String((i * 13) % 50).padStart(2, '0')}`, `lib:${i % 3}`] };
    });
    const bulk = new InMemoryReadModelStore();
    await bulk.commit('p', writes, { expected: 0, next: 1 });
    const single = new InMemoryReadModelStore();
    for (const [n, write] of writes.entries()) await single.commit('p', [write], { expected: n, next: n + 1 });
    for (const query of [{}, { index: 'lib:1' }, { indexRange: { from: 'due:', to: 'due;' } }, { indexRange: { from: 'due:10', to: 'lib:2' }, limit: 40 }, { after: { key: 'k50' }, limit: 9 }]) {
      expect(await bulk.query('p', query)).toEqual(await single.query('p', query));
    }
    expect((await bulk.query('p')).length).toBeGreaterThan(50);
  });
});
