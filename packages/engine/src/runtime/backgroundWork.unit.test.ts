/**
 * Work after a command (effects, projections, deadlines) never fails the command: several
 * processes carrying the same log forward conflict as a matter of course, and a store may be busy.
 */
import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { ConcurrencyError, NotFoundError, StoreError } from '../errors';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import { InMemoryReadModelStore } from '../projections/inMemoryReadModelStore';
import type { DocWrite, Projection, ReadModelStore } from '../projections/types';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import type { EffectHandler } from '../effects/effectDispatcher';
import { EffectDispatcher } from '../effects/effectDispatcher';
import { WorkflowRuntime, type BackgroundProblem } from './workflowRuntime';

const author = { id: 'LIB1', role: 'author' };
const reviewer = { id: 'REV', role: 'reviewer' };

const perStream: Projection<{ events: number }> = {
  name: 'test.per-stream',
  version: 1,
  keys: (e) => [e.streamId],
  apply: (doc) => ({ events: (doc?.events ?? 0) + 1 }),
};

/** A read-model store whose commits can be made to fail on demand, as a busy or contended store's do. */
class FlakyReadModels extends InMemoryReadModelStore {
  failNext: (projection: string) => Error | undefined = () => undefined;
  override async commit(projection: string, writes: readonly DocWrite[], checkpoint: { expected: number; next: number }): Promise<void> {
    const error = this.failNext(projection);
    if (error) throw error;
    return super.commit(projection, writes, checkpoint);
  }
}

function runtimeOver(store: InMemoryEventStore, readModels: ReadModelStore, handlers: Record<string, EffectHandler> = {}) {
  const clock = new ManualClock('2026-03-02T10:00:00.000Z');
  const problems: BackgroundProblem[] = [];
  const runtime = new WorkflowRuntime({
    workflow: approvalWorkflow,
    services: { reviewers: ['REV'] },
    store,
    readModels,
    clock,
    ids: new SeededIds(7, clock),
    projections: [perStream],
    effectHandlers: { notifyAuthor: () => undefined, ...handlers },
    onBackgroundError: (p) => problems.push(p),
  });
  return { runtime, problems, clock };
}

describe('a command whose follow-up work fails', () => {
  it('is reported as done (its events are in the log) when the effects checkpoint and the projections cannot commit', async () => {
    const store = new InMemoryEventStore();
    const readModels = new FlakyReadModels();
    const { runtime, problems } = runtimeOver(store, readModels);
    readModels.failNext = (p) => (p === 'engine.effects' || p === perStream.name ? new StoreError('database is locked') : undefined);
    await runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const result = await runtime.execute({ commandId: 'c2', streamId: 's1', type: 'approve', data: {}, actor: reviewer });
    expect(result.state.stateName).toBe('approved');
    expect((await store.readStream('s1')).map((e) => e.type)).toEqual(['Opened', 'Approved']);
    expect(problems.map((p) => p.stage)).toEqual(expect.arrayContaining(['effects', 'projections']));
    expect(problems.every((p) => (p.error as Error).message === 'database is locked')).toBe(true);

    // The next settle picks the work up where it stopped.
    readModels.failNext = () => undefined;
    expect(await runtime.settleQuietly()).toBe(true);
    expect((await readModels.getMany(perStream.name, ['s1'])).get('s1')).toEqual({ events: 2 });
  });

  it('is reported as done when another process moved the effects checkpoint under it', async () => {
    const store = new InMemoryEventStore();
    const readModels = new InMemoryReadModelStore();
    const runs: string[] = [];
    const a = runtimeOver(store, readModels, { notifyAuthor: (_e, { effectId }) => void runs.push(`a:${effectId}`) });
    const b = runtimeOver(store, readModels, { notifyAuthor: (_e, { effectId }) => void runs.push(`b:${effectId}`) });
    await a.runtime.execute({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await a.runtime.handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', data: {}, actor: reviewer });
    // Both dispatchers start from the same checkpoint; one commits first, the other must not fail.
    const settled = await Promise.all([a.runtime.settleQuietly(), b.runtime.settleQuietly()]);
    expect(settled).toEqual([true, true]);
    expect(a.problems).toEqual([]);
    expect(b.problems).toEqual([]);
    expect(new Set(runs.map((r) => r.slice(2))).size).toBe(1); // one effect, run at least once
    expect(await readModels.checkpoint('engine.effects')).toBe(await store.headPosition());
  });
});

describe('EffectDispatcher', () => {
  it('skips and reports an effect its handler refuses for good, and retries one that failed for a passing reason', async () => {
    const store = new InMemoryEventStore();
    const readModels = new InMemoryReadModelStore();
    const { runtime } = runtimeOver(store, readModels);
    for (const id of ['s1', 's2', 's3']) {
      await runtime.handler.handle({ commandId: `o-${id}`, streamId: id, type: 'open', data: { title: 'T' }, actor: author });
      await runtime.handler.handle({ commandId: `a-${id}`, streamId: id, type: 'approve', data: {}, actor: reviewer });
    }
    const calls: string[] = [];
    let storeDown = true;
    const failures: string[] = [];
    const dispatcher = new EffectDispatcher(
      store,
      readModels,
      {
        notifyAuthor: (_effect, { event }) => {
          calls.push(event.streamId);
          if (event.streamId === 's1') throw new NotFoundError('no such author');
          if (event.streamId === 's2' && storeDown) throw new StoreError('database is locked');
        },
      },
      { onFailure: (f) => failures.push(`${f.event.streamId}:${(f.error as Error).message}`) },
    );
    await expect(dispatcher.catchUp()).rejects.toThrow('database is locked');
    expect(failures).toEqual(['s1:no such author']);
    // Progress up to the failed event was kept: s1's effect is not run again.
    storeDown = false;
    expect(await dispatcher.catchUp()).toBe(2);
    expect(calls).toEqual(['s1', 's2', 's2', 's3']);
    expect(await readModels.checkpoint('engine.effects')).toBe(await store.headPosition());
  });

  it('takes the later checkpoint when another dispatcher committed first', async () => {
    const store = new InMemoryEventStore();
    const readModels = new FlakyReadModels();
    const { runtime } = runtimeOver(store, readModels);
    await runtime.handler.handle({ commandId: 'o', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await runtime.handler.handle({ commandId: 'a', streamId: 's1', type: 'approve', data: {}, actor: reviewer });
    const head = await store.headPosition();
    let raced = false;
    readModels.failNext = (p) => {
      if (p !== 'engine.effects' || raced) return undefined;
      raced = true;
      void InMemoryReadModelStore.prototype.commit.call(readModels, p, [], { expected: 0, next: head });
      return new ConcurrencyError('moved');
    };
    const dispatcher = new EffectDispatcher(store, readModels, { notifyAuthor: () => undefined });
    expect(await dispatcher.catchUp()).toBe(1);
    expect(await readModels.checkpoint('engine.effects')).toBe(head);
  });
});
