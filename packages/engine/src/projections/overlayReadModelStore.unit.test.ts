import { SeededRandom } from '../ports/random';
import { readModelStoreContract } from '../testing/eventStoreContract';
import { InMemoryReadModelStore } from './inMemoryReadModelStore';
import { OverlayReadModelStore } from './overlayReadModelStore';
import type { Doc, DocQuery, DocWrite, ReadModelStore } from './types';

readModelStoreContract('OverlayReadModelStore over an empty store', async () => {
  const base = new InMemoryReadModelStore();
  const store = new OverlayReadModelStore(base);
  return {
    store,
    // Entries read by the overlay's layers and by the base it reads through to.
    overreads: async (projection, query) => {
      const before = store.examined + base.examined;
      const answer = await store.query(projection, query);
      return store.examined + base.examined - before > answer.length + 1;
    },
    cleanup: async () => undefined,
  };
});

/** Documents whose index values are a function of the document, as a projection's are. */
const indexOf = (doc: Doc): string[] => ((doc as { tags?: string[] }).tags ?? []).slice();
const write = (key: string, doc: Doc | null): DocWrite => (doc === null ? { key, doc } : { key, doc, index: indexOf(doc) });

function randomWrites(random: SeededRandom, count: number): DocWrite[] {
  const tags = ['due:2026-01-01', 'due:2026-01-02', 'due:2026-01-03', 'lib:A', 'lib:B', 'lib:C'];
  return Array.from({ length: count }, () => {
    const key = `k${random.int(0, 29)}`;
    if (random.next() < 0.15) return write(key, null);
    const picked = tags.filter(() => random.next() < 0.3);
    return write(key, { n: random.int(0, 1000), tags: picked });
  });
}

const queries: DocQuery[] = [
  {},
  { limit: 5 },
  { index: 'lib:A' },
  { index: 'lib:B', limit: 2 },
  { indexRange: { from: 'due:', to: 'due;' } },
  { indexRange: { from: 'due:', to: 'due:2026-01-02\u0000' }, limit: 3 },
  { indexRange: { from: 'lib:B', to: 'lib:D' } },
  { after: { key: 'k15' }, limit: 4 },
  { index: 'lib:A', after: { key: 'k12' }, limit: 2 },
  { indexRange: { from: 'due:', to: 'due;' }, after: { value: 'due:2026-01-02', key: 'k12' }, limit: 3 },
  { indexRange: { from: 'due:', to: 'lib;' }, after: { value: 'due:2026-01-03', key: 'k3' } },
];

async function snapshot(store: ReadModelStore): Promise<unknown> {
  const out: unknown[] = [await store.checkpoint('p'), await store.projections()];
  for (const q of queries) out.push(await store.query('p', q));
  for (const { index, indexRange } of queries) out.push(await store.count('p', { index, indexRange }));
  out.push([...(await store.getMany('p', Array.from({ length: 30 }, (_, i) => `k${i}`))).entries()].sort());
  return out;
}

describe('OverlayReadModelStore', () => {
  it('answers every query as if its writes had gone to the base, and never writes the base', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = new SeededRandom(seed);
      const direct = new InMemoryReadModelStore();
      const base = new InMemoryReadModelStore();
      const batches = Array.from({ length: 6 }, () => randomWrites(random, random.int(1, 12)));
      const split = random.int(0, batches.length);
      let checkpoint = 0;
      for (const [i, batch] of batches.entries()) {
        if (i < split) await base.commit('p', batch, { expected: checkpoint, next: checkpoint + 1 });
        await direct.commit('p', batch, { expected: checkpoint, next: checkpoint + 1 });
        checkpoint++;
      }
      const baseBefore = await snapshot(base);
      const overlay = new OverlayReadModelStore(base, (_p, doc) => indexOf(doc));
      const plain = new OverlayReadModelStore(base);
      for (const [i, batch] of batches.entries()) {
        if (i < split) continue;
        await overlay.commit('p', batch, { expected: i, next: i + 1 });
        await plain.commit('p', batch, { expected: i, next: i + 1 });
        // A count between commits: what the overlay learnt of the base stays true after the next.
        await overlay.count('p', { index: 'lib:A' });
      }
      expect(await snapshot(overlay)).toEqual(await snapshot(direct));
      for (const { index, indexRange } of queries) expect(await plain.count('p', { index, indexRange })).toBe(await direct.count('p', { index, indexRange }));
      expect(await snapshot(base)).toEqual(baseBefore);
      expect(overlay.changed).toBe(split < batches.length);
    }
  });

  it('hides the base after a reset and refuses a commit on a stale checkpoint', async () => {
    const base = new InMemoryReadModelStore();
    await base.commit('p', [write('a', { tags: ['x'] })], { expected: 0, next: 3 });
    const overlay = new OverlayReadModelStore(base, (_p, doc) => indexOf(doc));
    await expect(overlay.commit('p', [write('b', {})], { expected: 0, next: 4 })).rejects.toMatchObject({ code: 'CONCURRENCY' });
    await overlay.reset('p');
    expect(await overlay.checkpoint('p')).toBe(0);
    expect(await overlay.query('p')).toEqual([]);
    expect(await overlay.count('p', { index: 'x' })).toBe(0);
    expect((await overlay.getMany('p', ['a'])).size).toBe(0);
    expect(await overlay.projections()).toEqual([]);
    expect(await base.query('p')).toEqual([{ key: 'a', doc: { tags: ['x'] } }]);
  });
});
