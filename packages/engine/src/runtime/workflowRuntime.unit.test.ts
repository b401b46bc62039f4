import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import { InMemoryReadModelStore } from '../projections/inMemoryReadModelStore';
import type { Projection } from '../projections/types';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import { projectInMemory } from '../projections/projectionRunner';
import { WorkflowRuntime } from './workflowRuntime';
import type { Effect } from '../workflow/types';

const author = { id: 'LIB1', role: 'author' };
const reviewer = { id: 'REV', role: 'reviewer' };

/** Counts events per stream and remembers the last state: a small projection for the runner's tests. */
const perStream: Projection<{ events: number; state: string }> = {
  name: 'test.per-stream',
  version: 1,
  keys: (e) => [e.streamId],
  apply: (doc, e) => ({ events: (doc?.events ?? 0) + 1, state: String(e.metadata.stateAfter) }),
  index: (doc) => [`state:${doc.state}`],
};

function setup(store = new InMemoryEventStore(), readModels = new InMemoryReadModelStore()) {
  const clock = new ManualClock('2026-03-02T10:00:00.000Z');
  const notified: { effect: Effect; effectId: string }[] = [];
  const runtime = new WorkflowRuntime({
    workflow: approvalWorkflow,
    services: { reviewers: ['REV'] },
    store,
    readModels,
    clock,
    ids: new SeededIds(7, clock),
    projections: [perStream],
    effectHandlers: { notifyAuthor: (effect, { effectId }) => void notified.push({ effect, effectId }) },
  });
  return { runtime, clock, store, readModels, notified };
}

describe('deadlines', () => {
  it('fires a persisted deadline through the command path once it is due, and not before', async () => {
    const { runtime, clock, store } = setup();
    await runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    expect(await runtime.timers.nextDueAt()).toBe('2026-03-03T10:00:00.000Z');
    clock.advance(23 * 3_600_000);
    expect((await runtime.runDueTimers()).fired).toBe(0);
    clock.advance(3_600_000);
    const run = await runtime.runDueTimers();
    expect(run.fired).toBe(1);
    const events = await store.readStream('s1');
    expect(events.map((e) => e.type)).toEqual(['Opened', 'Expired']);
    expect(events[1]!.metadata).toMatchObject({ actor: { id: 'system', role: 'system' }, commandId: 'deadline:s1:review:r1:2026-03-03T10:00:00.000Z' });
    expect(await runtime.timers.pending()).toEqual([]);
  });

  it('survives a restart: a new process over the same stores fires what the old one scheduled', async () => {
    const first = setup();
    await first.runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const second = setup(first.store, first.readModels);
    second.clock.advance(2 * 86_400_000);
    expect((await second.runtime.runDueTimers()).fired).toBe(1);
    expect((await first.store.readStream('s1')).map((e) => e.type)).toEqual(['Opened', 'Expired']);
  });

  it('drops a deadline when the state that scheduled it is left', async () => {
    const { runtime, clock, store } = setup();
    await runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await runtime.execute({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    expect(await runtime.timers.pending()).toEqual([]);
    clock.advance(5 * 86_400_000);
    expect((await runtime.runDueTimers()).fired).toBe(0);
    expect(await store.readStream('s1')).toHaveLength(2);
  });

  it('fires more due deadlines than one batch of the due-time index holds, each once, and none that is not due', async () => {
    const { runtime, clock, store } = setup();
    for (let i = 0; i < 230; i++) await runtime.execute({ commandId: `c${i}`, streamId: `s${String(i).padStart(3, '0')}`, type: 'open', data: { title: 'T' }, actor: author });
    clock.advance(3_600_000);
    await runtime.execute({ commandId: 'late', streamId: 'later', type: 'open', data: { title: 'T' }, actor: author });
    clock.advance(23 * 3_600_000);
    const run = await runtime.runDueTimers();
    expect(run).toMatchObject({ fired: 230, refused: 0 });
    expect((await store.readStream('s229')).map((e) => e.type)).toEqual(['Opened', 'Expired']);
    expect((await store.readStream('later')).map((e) => e.type)).toEqual(['Opened']);
    expect((await runtime.timers.pending()).map((t) => t.streamId)).toEqual(['later']);
    expect((await runtime.runDueTimers()).fired).toBe(0);
  });

  it('applies a deadline fired twice (two workers) once', async () => {
    const a = setup();
    await a.runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const b = setup(a.store, a.readModels);
    a.clock.advance(2 * 86_400_000);
    b.clock.advance(2 * 86_400_000);
    await Promise.all([a.runtime.timers.runDue(), b.runtime.timers.runDue()]);
    expect((await a.store.readStream('s1')).map((e) => e.type)).toEqual(['Opened', 'Expired']);
  });
});

describe('effects', () => {
  it('runs effects after the append, once, with a stable effect id, and never while folding', async () => {
    const { runtime, notified } = setup();
    await runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await runtime.execute({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    await runtime.settle();
    expect(notified).toHaveLength(1);
    expect(notified[0]!.effect).toEqual({ type: 'notifyAuthor', params: { author: 'LIB1' } });
    await runtime.handler.load('s1');
    runtime.handler.clearCache();
    await runtime.handler.load('s1'); // a replay
    expect(notified).toHaveLength(1);
  });

  it('runs again what a crash interrupted (at least once) and resumes after its checkpoint', async () => {
    const { runtime, store, readModels } = setup();
    await runtime.handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await runtime.handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    const failing = new WorkflowRuntime({ ...runtime.options, effectHandlers: { notifyAuthor: () => { throw new Error('network down'); } } });
    await expect(failing.settle()).rejects.toThrow('network down');
    const { runtime: restarted, notified } = setup(store, readModels);
    await restarted.settle();
    expect(notified.map((n) => n.effect.type)).toEqual(['notifyAuthor']);
  });
});

describe('projection runner', () => {
  async function history(runtime: WorkflowRuntime) {
    for (let i = 0; i < 30; i++) {
      await runtime.handler.handle({ commandId: `o${i}`, streamId: `s${i}`, type: 'open', data: { title: 'T' }, actor: author });
      if (i % 3 === 0) await runtime.handler.handle({ commandId: `a${i}`, streamId: `s${i}`, type: 'approve', actor: reviewer });
      if (i % 3 === 1) await runtime.handler.handle({ commandId: `m${i}`, streamId: `s${i}`, type: 'comment', data: { text: 'x' }, actor: author });
    }
  }

  it('builds the same read model incrementally, in small batches, from zero, and in memory', async () => {
    const { runtime, store, readModels } = setup();
    await history(runtime as unknown as WorkflowRuntime);
    await runtime.runner.catchUp([perStream], { batchSize: 7, flushDocs: 3 });
    const incremental = await readModels.query(perStream.name);
    expect(incremental).toHaveLength(30);
    expect(await runtime.runner.verify([perStream])).toEqual([]);
    await runtime.runner.rebuild([perStream]);
    expect(await readModels.query(perStream.name)).toEqual(incremental);
    const inMemory = projectInMemory(perStream, await store.readAll({ after: 0, maxCount: 10_000 }));
    expect([...inMemory.entries()].map(([key, doc]) => ({ key, doc })).sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(incremental);
    expect(await readModels.query(perStream.name, { index: 'state:approved' })).toHaveLength(10);
  });

  it('keeps at most cacheDocs documents between commits, reading dropped ones back, with the same result', async () => {
    class CountingReadModels extends InMemoryReadModelStore {
      loaded: string[] = [];
      override async getMany(projection: string, keys: readonly string[]) {
        if (projection === perStream.name) this.loaded.push(...keys);
        return super.getMany(projection, keys);
      }
    }
    const readModels = new CountingReadModels();
    const { runtime, store } = setup(new InMemoryEventStore(), readModels);
    // Every stream opened first, then each touched again: the second touch comes after 29 others.
    for (let i = 0; i < 30; i++) await runtime.handler.handle({ commandId: `o${i}`, streamId: `s${i}`, type: 'open', data: { title: 'T' }, actor: author });
    for (let i = 0; i < 30; i++) await runtime.handler.handle({ commandId: `m${i}`, streamId: `s${i}`, type: 'comment', data: { text: 'x' }, actor: author });
    await runtime.runner.rebuild([perStream], { batchSize: 5, cacheDocs: 4 });
    const bounded = await readModels.query(perStream.name);
    // The first pass cached s0..s29 (the read model was empty: nothing to load); the cache was cut
    // to its bound, so the second pass read the dropped documents back from the store.
    expect(new Set(readModels.loaded).size).toBeGreaterThanOrEqual(20);
    expect(bounded.every((d) => (d.doc as { events: number }).events === 2)).toBe(true);
    const inMemory = projectInMemory(perStream, await store.readAll({ after: 0, maxCount: 10_000 }));
    expect(bounded).toEqual([...inMemory.entries()].map(([key, doc]) => ({ key, doc })).sort((a, b) => (a.key < b.key ? -1 : 1)));
    readModels.loaded = [];
    await runtime.runner.rebuild([perStream], { batchSize: 5 });
    expect(readModels.loaded).toEqual([]); // with the default bound everything stays cached
    expect(await readModels.query(perStream.name)).toEqual(bounded);
  });

  it('verify reports a document that differs from a rebuild', async () => {
    const { runtime, readModels } = setup();
    await history(runtime as unknown as WorkflowRuntime);
    await runtime.runner.catchUp([perStream]);
    const at = await readModels.checkpoint(perStream.name);
    await readModels.commit(perStream.name, [{ key: 's4', doc: { events: 99, state: 'open' } }], { expected: at, next: at });
    const diffs = await runtime.runner.verify([perStream]);
    expect(diffs).toEqual([{ projection: perStream.name, key: 's4', incremental: { events: 99, state: 'open' }, rebuilt: { events: 2, state: 'open' } }]);
    expect(await readModels.query(`${perStream.name}#verify`)).toEqual([]);
  });

  it('rebuilds a read model written by another version of the projection', async () => {
    const { runtime, readModels } = setup();
    await history(runtime as unknown as WorkflowRuntime);
    await runtime.runner.catchUp([perStream]);
    const v2: Projection<{ events: number; state: string }> = { ...perStream, version: 2, apply: (doc, e) => ({ events: (doc?.events ?? 0) + 10, state: String(e.metadata.stateAfter) }) };
    await runtime.runner.catchUp([v2]);
    const docs = await readModels.getMany(perStream.name, ['s0']);
    expect(docs.get('s0')).toEqual({ events: 20, state: 'approved' });
  });

  it('stops at `until` for time travel', async () => {
    const { runtime, readModels } = setup();
    await history(runtime as unknown as WorkflowRuntime);
    await runtime.runner.catchUp([perStream], { until: 2 });
    expect(await readModels.checkpoint(perStream.name)).toBe(2);
    expect((await readModels.getMany(perStream.name, ['s0'])).get('s0')).toEqual({ events: 2, state: 'approved' });
  });
});

describe('execute with commands in flight', () => {
  it('returns each command only once the read models include it, sharing the follow-up passes between the commands in flight', async () => {
    const { runtime, readModels } = setup();
    let passes = 0;
    const catchUp = runtime.runner.catchUp.bind(runtime.runner);
    runtime.runner.catchUp = async (...args) => {
      passes++;
      return catchUp(...args);
    };
    const streams = Array.from({ length: 20 }, (_, i) => `s${i}`);
    await Promise.all(
      streams.map(async (streamId) => {
        await runtime.execute({ commandId: `open-${streamId}`, streamId, type: 'open', data: { title: 'T' }, actor: author });
        // Read-your-writes: once execute returned, the read model shows this command.
        expect((await readModels.getMany(perStream.name, [streamId])).get(streamId)).toEqual({ events: 1, state: 'open' });
      }),
    );
    // One pass per command would be 20; sharing makes it a handful (the first, then one per wave).
    expect(passes).toBeLessThan(streams.length / 2);
    expect((await readModels.query(perStream.name)).length).toBe(20);
  });
});
