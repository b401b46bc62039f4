/**
 * Aggregates a projection derives from its own documents (Projection.derive): kept exact by the
 * runner whatever the batching, the commit size and the cache bound, and by projectInMemory.
 */
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import type { NewEvent } from '../eventStore/types';
import { InMemoryReadModelStore } from './inMemoryReadModelStore';
import { ProjectionRunner, projectInMemory, type CatchUpOptions } from './projectionRunner';
import type { Projection, StoredDoc } from './types';

/** One document per stream: its group, points and events; `Removed` deletes it. */
interface Item {
  [key: string]: string | number;
  group: string;
  points: number;
  events: number;
}

/** One aggregate per group: items in it, their points, and items by their number of events (a map whose keys come and go). */
interface GroupTotals {
  [key: string]: number | Record<string, number>;
  items: number;
  points: number;
  byEvents: Record<string, number>;
}

const aggregateKey = (group: string): string => `group:${group}`;

/** Adds `sign` times an item's contribution to a group's totals; no entry is left at zero, map keys are kept sorted. */
function add(doc: GroupTotals | undefined, item: Item, sign: 1 | -1): GroupTotals | null {
  const totals: GroupTotals = doc ?? { items: 0, points: 0, byEvents: {} };
  totals.items += sign;
  totals.points += sign * item.points;
  const counts = { ...totals.byEvents, [item.events]: (totals.byEvents[item.events] ?? 0) + sign };
  totals.byEvents = Object.fromEntries(
    Object.entries(counts)
      .filter(([, n]) => n !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ) as Record<string, number>;
  return totals.items === 0 ? null : totals;
}

const items: Projection<Item, GroupTotals> = {
  name: 'test.items',
  version: 1,
  keys: (e) => [e.streamId],
  apply(doc, e) {
    if (e.type === 'Removed') return doc ? null : undefined;
    const data = e.data as { group: string; points: number };
    const next = doc ?? { group: data.group, points: 0, events: 0 };
    next.group = data.group;
    next.points += data.points;
    next.events += 1;
    return next;
  },
  index: (doc, key) => (key.startsWith('group:') ? ['totals'] : [`item-group:${String(doc.group)}`]),
  derive(_key, before, after) {
    const updates = [];
    if (before) updates.push({ key: aggregateKey(before.group), update: (doc: GroupTotals | undefined) => add(doc, before, -1) });
    if (after) updates.push({ key: aggregateKey(after.group), update: (doc: GroupTotals | undefined) => add(doc, after, 1) });
    return updates;
  },
};

/** A seeded log: 30 streams moving between four groups, gaining points, some removed and started again. */
function script(): { streamId: string; event: NewEvent }[] {
  let seed = 12345;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.floor(seed / 65_536) % n;
  };
  const out: { streamId: string; event: NewEvent }[] = [];
  for (let i = 0; i < 500; i++) {
    const streamId = `s${next(30)}`;
    const type = next(12) === 0 ? 'Removed' : 'Moved';
    out.push({ streamId, event: { id: `e${i}`, type, data: { group: 'abcd'[next(4)]!, points: next(50) - 10 }, metadata: {} } });
  }
  return out;
}

async function logOf(events: { streamId: string; event: NewEvent }[]): Promise<InMemoryEventStore> {
  const store = new InMemoryEventStore();
  for (const { streamId, event } of events) await store.appendToStream(streamId, [event], { expectedRevision: 'any' });
  return store;
}

/** Every stored document of the projection, as stored text, in key order. */
async function stored(readModels: InMemoryReadModelStore): Promise<string> {
  return JSON.stringify(await readModels.query(items.name));
}

async function built(store: InMemoryEventStore, options: CatchUpOptions): Promise<string> {
  const readModels = new InMemoryReadModelStore();
  await new ProjectionRunner(store, readModels).rebuild([items], options);
  return stored(readModels);
}

describe('a projection that derives aggregates from its documents', () => {
  it('gives the same documents, byte for byte, incrementally event by event, in one rebuild, with tiny cache and commit bounds, and in memory', async () => {
    const store = await logOf(script());
    // Event by event: a catch-up, and so a commit, after each event.
    const stepwise = new InMemoryReadModelStore();
    const all = await store.readAll({ after: 0, maxCount: 10_000 });
    for (const e of all) await new ProjectionRunner(store, stepwise).catchUp([items], { until: e.position });

    const oneRebuild = await built(store, {});
    expect(await stored(stepwise)).toBe(oneRebuild);
    expect(await built(store, { batchSize: 7, flushDocs: 1, cacheDocs: 1 })).toBe(oneRebuild);
    expect(await built(store, { batchSize: 1, flushDocs: 3, cacheDocs: 2 })).toBe(oneRebuild);
    const inMemory: StoredDoc[] = [...projectInMemory(items, all)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, doc]) => ({ key, doc }));
    expect(JSON.stringify(inMemory)).toBe(oneRebuild);
    expect(await new ProjectionRunner(store, stepwise).verify([items])).toEqual([]);
  });

  it('keeps each aggregate equal to the sum over the documents it covers, and drops one left empty', async () => {
    const store = await logOf(script());
    const readModels = new InMemoryReadModelStore();
    await new ProjectionRunner(store, readModels).catchUp([items], { batchSize: 13, flushDocs: 5, cacheDocs: 4 });
    const docs = (await readModels.query(items.name)).filter((d) => !d.key.startsWith('group:')).map((d) => d.doc as Item);
    const expected = new Map<string, GroupTotals>();
    for (const doc of docs) {
      const key = aggregateKey(doc.group);
      const next = add(expected.get(key), doc, 1);
      if (next) expected.set(key, next);
    }
    const totals = await readModels.query(items.name, { index: 'totals' });
    expect(totals.length).toBeGreaterThan(1);
    expect(new Map(totals.map((d) => [d.key, d.doc]))).toEqual(expected);

    // Removing every item of group a leaves no aggregate for it.
    const inA = (await readModels.query(items.name, { index: 'item-group:a' })).map((d) => d.key);
    expect(inA.length).toBeGreaterThan(0);
    for (const streamId of inA) await store.appendToStream(streamId, [{ id: `rm-${streamId}`, type: 'Removed', data: {}, metadata: {} }], { expectedRevision: 'any' });
    await new ProjectionRunner(store, readModels).catchUp([items]);
    expect((await readModels.getMany(items.name, [aggregateKey('a')])).size).toBe(0);
    expect(await built(store, {})).toBe(await stored(readModels));
  });

  it('commits the aggregates with the documents and the checkpoint: a runner that loses the race applies none of its own', async () => {
    const store = await logOf(script().slice(0, 200));
    const readModels = new InMemoryReadModelStore();
    const runner = new ProjectionRunner(store, readModels);
    await runner.catchUp([items], { until: 100 });
    // Another runner commits the next events first; this one's commit of the same events is refused and it takes the other's checkpoint.
    const commit = readModels.commit.bind(readModels);
    let raced = false;
    readModels.commit = async (projection, writes, checkpoint) => {
      if (!raced && projection === items.name) {
        raced = true;
        await new ProjectionRunner(store, readModels).catchUp([items], { until: 150 });
      }
      return commit(projection, writes, checkpoint);
    };
    await runner.catchUp([items]);
    expect(raced).toBe(true);
    expect(await readModels.checkpoint(items.name)).toBe(150);
    await runner.catchUp([items]);
    expect(await readModels.checkpoint(items.name)).toBe(200);
    expect(await stored(readModels)).toBe(await built(store, {}));
  });
});
