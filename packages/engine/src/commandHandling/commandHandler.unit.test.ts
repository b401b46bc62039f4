import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import type { EventStore, StoredEvent } from '../eventStore/types';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import { CommandHandler } from './commandHandler';
import { isConcurrencyError, isForbiddenError, isIllegalStateError, isNotFoundError, isValidationError } from '../errors';
import { fold } from '../workflow/fold';
import { readStream } from '../workflow/upcast';

const author = { id: 'LIB1', role: 'author' };
const reviewer = { id: 'REV', role: 'reviewer' };

function setup(store: EventStore = new InMemoryEventStore()) {
  const clock = new ManualClock('2026-03-02T10:00:00.000Z');
  const handler = new CommandHandler({ workflow: approvalWorkflow, store, services: { reviewers: ['REV'] }, clock, ids: new SeededIds(1, clock) });
  return { store, clock, handler };
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the command to be refused');
}

describe('CommandHandler', () => {
  it('creates a stream, stamps time, actor, command id, schema version and the state after (the state before is derived on read)', async () => {
    const { handler, store } = setup();
    const result = await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    expect(result.duplicate).toBe(false);
    expect(result.state.stateName).toBe('open');
    await handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    const stored = await store.readStream('s1');
    expect(stored[0]).toMatchObject({
      type: 'Opened',
      revision: 0,
      data: { title: 'T' },
      metadata: { commandId: 'c1', commandType: 'open', actor: author, time: '2026-03-02T10:00:00.000Z', stateAfter: 'open', workflow: 'approval', v: 1 },
    });
    expect(stored.map((e) => e.metadata.stateBefore)).toEqual([undefined, undefined]);
    const read = readStream(undefined, stored, { initialState: 'new' });
    expect(read.map((e) => [e.metadata.stateBefore, e.metadata.stateAfter])).toEqual([
      ['new', 'open'],
      ['open', 'approved'],
    ]);
  });

  it('records the effects the machine asked for without running them', async () => {
    const { handler } = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const r = await handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    expect(r.events[0]!.metadata.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'review' } },
      { type: 'notifyAuthor', params: { author: 'LIB1' } },
    ]);
  });

  it('yields the events of a command delivered twice once, returning the first result', async () => {
    const { handler, store } = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const first = await handler.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'a' }, actor: author });
    const again = await handler.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'a' }, actor: author });
    expect(again.duplicate).toBe(true);
    expect(again.events.map((e) => e.id)).toEqual(first.events.map((e) => e.id));
    expect(await store.readStream('s1')).toHaveLength(2);
    // also after a restart (cold cache): the command ids come back from the stored metadata
    const { handler: fresh } = setup(store);
    expect((await fresh.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'a' }, actor: author })).duplicate).toBe(true);
    expect(await store.readStream('s1')).toHaveLength(2);
  });

  it('keeps at most cacheSize streams, least recently used out first, and no stream whose machine is done', async () => {
    const clock = new ManualClock('2026-03-02T10:00:00.000Z');
    const store = new InMemoryEventStore();
    const handler = new CommandHandler({ workflow: approvalWorkflow, store, services: { reviewers: ['REV'] }, clock, ids: new SeededIds(1, clock), cacheSize: 2 });
    for (const s of ['s1', 's2', 's3']) await handler.handle({ commandId: `open-${s}`, streamId: s, type: 'open', data: { title: s }, actor: author });
    expect(handler.cachedStreams).toBe(2);
    // s1 was dropped: the next command reads it from the store and decides on what it holds.
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'comment', data: { text: 'a' }, actor: author });
    expect((await store.readStream('s1')).map((e) => e.type)).toEqual(['Opened', 'Commented']);
    // A final state leaves the cache; a duplicate of its command is still found, from the store.
    const approved = await handler.handle({ commandId: 'ok-s1', streamId: 's1', type: 'approve', actor: reviewer });
    expect(approved.state.stateName).toBe('approved');
    expect(handler.cachedStreams).toBe(1);
    const again = await handler.handle({ commandId: 'ok-s1', streamId: 's1', type: 'approve', actor: reviewer });
    expect(again.duplicate).toBe(true);
    expect(again.events.map((e) => e.id)).toEqual(approved.events.map((e) => e.id));
    expect(handler.cachedStreams).toBe(1);
    expect(await store.readStream('s1')).toHaveLength(3);
  });

  it('refuses invalid data naming the field, and writes nothing', async () => {
    const { handler, store } = setup();
    const error = await errorOf(handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 7 }, actor: author }));
    expect(isValidationError(error)).toBe(true);
    expect((error as Error).message).toMatch(/data\.title/);
    expect(await store.headPosition()).toBe(0);
  });

  it('refuses an unknown command type and a missing command id', async () => {
    const { handler } = setup();
    const e1 = await errorOf(handler.handle({ commandId: 'c1', streamId: 's1', type: 'fly', actor: author }));
    expect((e1 as Error).message).toMatch(/unknown command 'fly'.*known: open/);
    const e2 = await errorOf(handler.handle({ commandId: '', streamId: 's1', type: 'open', data: { title: 'x' }, actor: author }));
    expect((e2 as Error).message).toMatch(/commandId/);
  });

  it('refuses a command on a stream that does not exist, and a second creation', async () => {
    const { handler } = setup();
    expect(isNotFoundError(await errorOf(handler.handle({ commandId: 'c1', streamId: 'nope', type: 'approve', actor: reviewer })))).toBe(true);
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const e = await errorOf(handler.handle({ commandId: 'c2', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author }));
    expect(isIllegalStateError(e)).toBe(true);
    expect((e as Error).message).toMatch(/already exists/);
  });

  it('refuses a command the machine does not accept now, naming the state and what is allowed', async () => {
    const { handler, store } = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    const e = await errorOf(handler.handle({ commandId: 'c3', streamId: 's1', type: 'reject', data: { reason: 'no' }, actor: reviewer }));
    expect(isIllegalStateError(e)).toBe(true);
    expect((e as Error).message).toBe("'reject' is not allowed in state 'approved' of approval 's1'; allowed now: none that REV (reviewer) may send");
    expect(await store.readStream('s1')).toHaveLength(2);
  });

  it('refuses an actor the workflow does not authorize', async () => {
    const { handler } = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    expect(isForbiddenError(await errorOf(handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: author })))).toBe(true);
    expect(isForbiddenError(await errorOf(handler.handle({ commandId: 'c3', streamId: 's1', type: 'comment', data: { text: 'x' }, actor: { id: 'LIB9', role: 'author' } })))).toBe(true);
  });

  it('re-reads and retries when another writer appends between its read and its append', async () => {
    const inner = new InMemoryEventStore();
    let interfere = 1;
    const racing: EventStore = Object.assign(Object.create(inner) as EventStore, {
      appendToStream: async (...args: Parameters<EventStore['appendToStream']>) => {
        if (interfere-- > 0) {
          const other = setup(inner).handler;
          await other.handle({ commandId: 'other', streamId: 's1', type: 'comment', data: { text: 'racing' }, actor: author });
        }
        return inner.appendToStream(...args);
      },
    });
    const { handler } = setup(inner);
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const raced = new CommandHandler({ workflow: approvalWorkflow, store: racing, services: { reviewers: ['REV'] } });
    const r = await raced.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'mine' }, actor: author });
    expect(r.state.revision).toBe(2);
    expect((r.state.snapshot.context as { comments: number }).comments).toBe(2);
    expect((await inner.readStream('s1')).map((e) => e.metadata.commandId)).toEqual(['c1', 'other', 'c2']);
  });

  it('reports a conflict that outlasts its attempts, writing nothing of its own', async () => {
    const inner = new InMemoryEventStore();
    const { handler } = setup(inner);
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    let n = 0;
    const racing: EventStore = Object.assign(Object.create(inner) as EventStore, {
      appendToStream: async (...args: Parameters<EventStore['appendToStream']>) => {
        await setup(inner).handler.handle({ commandId: `other-${n++}`, streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author });
        return inner.appendToStream(...args);
      },
    });
    const raced = new CommandHandler({ workflow: approvalWorkflow, store: racing, services: { reviewers: ['REV'] }, maxAttempts: 3 });
    const e = await errorOf(raced.handle({ commandId: 'mine', streamId: 's1', type: 'comment', data: { text: 'm' }, actor: author }));
    expect(isConcurrencyError(e)).toBe(true);
    expect((e as Error).message).toMatch(/gave up after 3 attempts/);
    expect((await inner.readStream('s1')).some((ev) => ev.metadata.commandId === 'mine')).toBe(false);
  });

  it('reads only the events after its cached revision, however long the stream', async () => {
    const inner = new InMemoryEventStore();
    const reads: number[] = [];
    const counting: EventStore = Object.assign(Object.create(inner) as EventStore, {
      readStream: async (...args: Parameters<EventStore['readStream']>) => {
        const events = await inner.readStream(...args);
        reads.push(events.length);
        return events;
      },
    });
    const handler = new CommandHandler({ workflow: approvalWorkflow, store: counting, services: { reviewers: ['REV'] } });
    await handler.handle({ commandId: 'c0', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    for (let i = 1; i <= 300; i++) await handler.handle({ commandId: `c${i}`, streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author });
    // After the first command, the cached state is checked against the stream's revision and
    // nothing is read again.
    expect(reads.length).toBe(1);
  });

  it('folds what another process appended since its cache was filled', async () => {
    const store = new InMemoryEventStore();
    const a = setup(store).handler;
    const b = setup(store).handler;
    await a.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await a.load('s1');
    await b.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    expect((await a.load('s1'))!.stateName).toBe('approved');
  });

  it('decides on its cached state, and a stale cache costs one refused append, not a wrong decision', async () => {
    const store = new InMemoryEventStore();
    const a = setup(store).handler;
    const b = setup(store).handler;
    await a.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await b.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    // a's cache still says 'open', where reject is allowed; the store says 'approved'
    const e = await errorOf(a.handle({ commandId: 'c3', streamId: 's1', type: 'reject', data: { reason: 'late' }, actor: reviewer }));
    expect(isIllegalStateError(e)).toBe(true);
    expect((e as Error).message).toMatch(/state 'approved'/);
    expect((await store.readStream('s1')).map((ev) => ev.type)).toEqual(['Opened', 'Approved']);
  });

  it('recognises a command another process already applied, even with a stale cache', async () => {
    const store = new InMemoryEventStore();
    const a = setup(store).handler;
    const b = setup(store).handler;
    await a.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    const first = await b.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author });
    const again = await a.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author });
    expect(again.duplicate).toBe(true);
    expect(again.events.map((ev) => ev.id)).toEqual(first.events.map((ev) => ev.id));
    expect(await store.readStream('s1')).toHaveLength(2);
  });

  it('replaying the stored events reproduces every stored state after', async () => {
    const { handler, store } = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await handler.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author });
    await handler.handle({ commandId: 'c3', streamId: 's1', type: 'reject', data: { reason: 'r' }, actor: reviewer });
    const events: StoredEvent[] = await store.readStream('s1');
    events.forEach((e, i) => expect(fold(approvalWorkflow, 's1', events.slice(0, i + 1)).stateName).toBe(e.metadata.stateAfter));
  });
});
