import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import type { JsonObject, StoredEvent } from '../eventStore/types';
import { isStoreError } from '../errors';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import { CommandHandler } from '../commandHandling/commandHandler';
import { ProjectionRunner, projectInMemory } from '../projections/projectionRunner';
import { InMemoryReadModelStore } from '../projections/inMemoryReadModelStore';
import type { Projection } from '../projections/types';
import { fold } from './fold';
import type { WorkflowDefinition } from './types';
import { readStream, upcastEvent, type EventSchemas } from './upcast';

/**
 * `Opened` went through three shapes: v1 `{ title }`, v2 `{ heading }`, v3 `{ heading: { text } }`.
 * The machine of the versioned workflow reads only v3; v1 and v2 events are upcast on read.
 */
const schemas: EventSchemas = {
  versions: { Opened: 3 },
  upcasters: [
    { type: 'Opened', from: 1, upcast: (data) => ({ heading: data.title ?? '' }) },
    { type: 'Opened', from: 2, upcast: (data) => ({ heading: { text: data.heading ?? '' } }) },
  ],
};
const v3Title = (data: JsonObject): string => String((data.heading as { text: string }).text);
// A projection reading `title` from the v3 shape (the fixture's documents are plain titles).
const machineView = (e: StoredEvent): StoredEvent => (e.type === 'Opened' ? { ...e, data: { title: v3Title(e.data) } } : e);

const author = { id: 'LIB1', role: 'author' };
function opened(data: JsonObject, v?: number, revision = 0): StoredEvent {
  return {
    id: `e${revision}`,
    streamId: 's1',
    revision,
    position: revision + 1,
    type: 'Opened',
    data,
    metadata: { workflow: 'approval', commandId: `c${revision}`, commandType: 'open', actor: author, time: '2026-03-02T10:00:00.000Z', stateBefore: 'new', stateAfter: 'open', effects: [], ...(v === undefined ? {} : { v }) },
  };
}

describe('upcasting events on read', () => {
  it('reads an event without a version as version 1 and takes it through each upcaster in turn', () => {
    const up = upcastEvent(schemas, opened({ title: 'Old' }));
    expect(up.data).toEqual({ heading: { text: 'Old' } });
    expect(up.metadata.v).toBe(3);
    expect(upcastEvent(schemas, opened({ heading: 'Middle' }, 2)).data).toEqual({ heading: { text: 'Middle' } });
  });

  it('returns an event already in the current shape as it is, and never changes the stored event', () => {
    const current = opened({ heading: { text: 'New' } }, 3);
    expect(upcastEvent(schemas, current)).toBe(current);
    const old = opened({ title: 'Old' });
    const copy = JSON.parse(JSON.stringify(old)) as StoredEvent;
    upcastEvent(schemas, old);
    expect(old).toEqual(copy);
  });

  it('leaves every type alone when a workflow declares no versions', () => {
    const e = opened({ title: 'T' });
    expect(upcastEvent(undefined, e)).toBe(e);
  });

  it('folds an old-shaped event exactly like its new shape', () => {
    const workflow: WorkflowDefinition<typeof approvalWorkflow.machine, { reviewers: string[] }> = { ...approvalWorkflow, events: { versions: { Opened: 2 }, upcasters: [{ type: 'Opened', from: 1, upcast: (d) => ({ title: `${String(d.name)}` }) }] } };
    const fromOld = fold(workflow, 's1', [opened({ name: 'Same' })]);
    const fromNew = fold(workflow, 's1', [opened({ title: 'Same' }, 2)]);
    expect(fromOld.stateName).toBe('open');
    expect(fromOld.snapshot.context).toEqual(fromNew.snapshot.context);
    expect(fromOld.snapshot.context).toMatchObject({ title: 'Same' });
  });

  it('refuses an event of a version newer than the code, naming the event, its stream and its version', () => {
    const future = opened({ heading: { text: 'x' } }, 4);
    let error: unknown;
    try {
      upcastEvent(schemas, future);
    } catch (e) {
      error = e;
    }
    expect(isStoreError(error)).toBe(true);
    expect((error as Error).message).toBe(
      'event Opened at revision 0 of stream s1 (position 1) is at schema version 4, but this release knows Opened up to version 3: it was written by a newer release; upgrade before reading this log',
    );
    expect(() => fold({ ...approvalWorkflow, events: schemas }, 's1', [future])).toThrow(/event Opened at revision 0 of stream s1 .* schema version 4/);
  });

  it('names the missing step when no upcaster leads from a stored version', () => {
    const gap: EventSchemas = { versions: { Opened: 3 }, upcasters: [{ type: 'Opened', from: 1, upcast: (d) => d }] };
    expect(() => upcastEvent(gap, opened({ title: 'x' }))).toThrow('event Opened at revision 0 of stream s1 (position 1) is at schema version 2 and no upcaster leads Opened from version 2 to 3');
  });

  it('refuses two upcasters for the same step', () => {
    const twice: EventSchemas = { versions: { Opened: 2 }, upcasters: [{ type: 'Opened', from: 1, upcast: (d) => d }, { type: 'Opened', from: 1, upcast: (d) => d }] };
    expect(() => upcastEvent(twice, opened({ title: 'x' }))).toThrow('two upcasters for Opened from version 1');
  });

  it('derives stateBefore from the event before, keeping the ones stored', () => {
    const stored: StoredEvent[] = [
      opened({ title: 'T' }),
      { ...opened({}, 1, 1), type: 'Commented', metadata: { workflow: 'approval', v: 1, commandId: 'c1', commandType: 'comment', actor: author, time: 't', stateAfter: 'open', effects: [] } },
      { ...opened({}, 1, 2), type: 'Approved', metadata: { workflow: 'approval', v: 1, commandId: 'c2', commandType: 'approve', actor: author, time: 't', stateAfter: 'approved', effects: [] } },
    ];
    const read = readStream(schemas, stored, { initialState: 'new' });
    expect(read.map((e) => [e.metadata.stateBefore, e.metadata.stateAfter])).toEqual([
      ['new', 'open'],
      ['open', 'open'],
      ['open', 'approved'],
    ]);
    expect(read[0]!.data).toEqual({ heading: { text: 'T' } });
    expect(readStream(schemas, stored.slice(2), { initialState: 'new', previousStateAfter: 'open' })[0]!.metadata.stateBefore).toBe('open');
  });

  it('appends at the current version, and the handler folds a stream that mixes versions', async () => {
    const store = new InMemoryEventStore();
    const workflow = { ...approvalWorkflow, events: { versions: { Opened: 2 }, upcasters: [{ type: 'Opened', from: 1, upcast: (d: JsonObject) => ({ title: String(d.name) }) }] } };
    await store.appendToStream('s1', [{ id: 'old', type: 'Opened', data: { name: 'Legacy' }, metadata: opened({}).metadata }], { expectedRevision: 'no_stream' });
    const clock = new ManualClock('2026-03-02T11:00:00.000Z');
    const handler = new CommandHandler({ workflow, store, services: { reviewers: ['REV'] }, clock, ids: new SeededIds(1, clock) });
    expect((await handler.load('s1'))?.snapshot.context).toMatchObject({ title: 'Legacy' });
    await handler.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'hi' }, actor: author });
    const stored = await store.readStream('s1');
    expect(stored.map((e) => e.metadata.v)).toEqual([undefined, 1]);
    const fresh = new CommandHandler({ workflow, store, services: { reviewers: ['REV'] } });
    expect((await fresh.load('s1'))?.snapshot.context).toMatchObject({ title: 'Legacy', comments: 1 });
  });

  it('hands projections the current shape, in the runner and in memory', async () => {
    const titles: Projection<string> = {
      name: 'titles',
      version: 1,
      upcast: (e) => machineView(upcastEvent(schemas, e)),
      keys: (e) => (e.type === 'Opened' ? [e.streamId] : []),
      apply: (_doc, e) => String(e.data.title),
    };
    const store = new InMemoryEventStore();
    await store.appendToStream('s1', [{ id: 'a', type: 'Opened', data: { title: 'One' }, metadata: opened({}).metadata }], { expectedRevision: 'no_stream' });
    await store.appendToStream('s2', [{ id: 'b', type: 'Opened', data: { heading: { text: 'Three' } }, metadata: { ...opened({}).metadata, v: 3 } }], { expectedRevision: 'no_stream' });
    const readModels = new InMemoryReadModelStore();
    const runner = new ProjectionRunner(store, readModels);
    await runner.catchUp([titles]);
    expect((await readModels.query('titles')).map((d) => [d.key, d.doc])).toEqual([
      ['s1', 'One'],
      ['s2', 'Three'],
    ]);
    expect(await runner.verify([titles])).toEqual([]);
    expect([...projectInMemory(titles, await store.readAll()).values()]).toEqual(['One', 'Three']);
  });
});
