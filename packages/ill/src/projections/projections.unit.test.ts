import { canonical, InMemoryEventStore, InMemoryReadModelStore, ProjectionRunner, projectInMemory, type Projection, type StoredEvent } from '@interlend/engine';
import type { IllStateName } from '../events';
import { illHistory, STATE_STEPS } from '../testing';
import { ILL_WORKFLOW } from '../workflow';
import { ILL_REQUEST_WORKFLOW } from './storedIllEvent';
import { EventLog, plusHours } from './__tests__/eventLog';
import { illProjections, QUEUE_TABLE, queuesProjection, requestSummaryProjection, type RequestSummaryDoc } from './index';

const T0 = '2026-01-05T09:00:00.000Z';
const t = (hours: number): string => plusHours(T0, hours);

/** A few requests in different states, and a directory import between them. */
function mixedLog(): EventLog {
  const log = new EventLog();
  log.directoryImported(t(0));
  log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']).cannotSupply(t(2)).conditional(t(3), { amount: 30, currency: 'USD' }).acceptConditions(t(4)).ship(t(5), { offered: 30, cost: 20 });
  log.request('R2', 'LIB4').submit(t(1)).toLenders(t(2), ['LIB2']).willSupply(t(3)).ship(t(4)).receive(t(30)).checkOut(t(31)).requestRenewal(t(40)).grantRenewal(t(41), '2026-03-01');
  log.directoryImported(t(2));
  log.request('R3').submit(t(2), { stateAfter: 'needsReview' }).approve(t(3)).toLenders(t(4), ['LIB3']).timeout(t(100));
  log.request('R4').submit(t(3)).cancel(t(4), 'duplicate');
  log.request('R5', 'LIB2').submit(t(4)).toLenders(t(5), ['LIB1', 'LIB3']).cancel(t(6), 'wrong edition', true).acceptCancel(t(7), true).expectToSupply(t(8)).willSupply(t(9)).ship(t(10)).receive(t(40)).shipReturn(t(90)).checkIn(t(99));
  return log;
}

function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (Array.isArray(value)) return value.some(hasUndefined);
  if (value && typeof value === 'object') return Object.values(value).some(hasUndefined);
  return false;
}

describe('ILL projections together', () => {
  it('reads the events of the workflow the ILL request workflow names', () => {
    expect(ILL_REQUEST_WORKFLOW).toBe(ILL_WORKFLOW);
  });

  it('lists the three read models the runner rebuilds in one pass', () => {
    expect(illProjections.map((p) => p.name)).toEqual(['ill.requests', 'ill.queues', 'ill.request-summaries']);
  });

  it.each(illProjections.map((p) => [p.name, p] as const))('%s ignores events of other workflows, such as a directory import', (_name, projection) => {
    const log = new EventLog();
    const event = log.directoryImported(t(0));
    expect(projection.keys(event)).toEqual([]);
    expect(projection.apply(undefined, event, 'directory')).toBeUndefined();
    expect(projectInMemory(projection, log.events).size).toBe(0);
  });

  it.each(illProjections.map((p) => [p.name, p] as const))('%s folds the same events into fresh documents equal each time, and they are plain JSON', (_name, projection) => {
    const events = mixedLog().events;
    const first = projectInMemory(projection, events);
    const second = projectInMemory(projection, events);
    // Five requests; the request summaries also keep the statistics of those that ended, by month and scope.
    expect([...first.keys()].filter((key) => !key.startsWith('stats:'))).toHaveLength(5);
    for (const [key, doc] of first) {
      expect(canonical(doc)).toBe(canonical(second.get(key)));
      expect(hasUndefined(doc)).toBe(false);
      expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
    }
  });

  it('gives the same documents when caught up in small batches as a rebuild from zero (runner verify finds no difference)', async () => {
    const events = mixedLog().events;
    const store = new InMemoryEventStore();
    const readModels = new InMemoryReadModelStore();
    const runner = new ProjectionRunner(store, readModels);
    const append = async (batch: readonly StoredEvent[]) => {
      for (const e of batch) await store.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], { expectedRevision: 'any' });
    };
    // Incremental: events arrive a few at a time, the runner catches up in batches of 3.
    for (let i = 0; i < events.length; i += 7) {
      await append(events.slice(i, i + 7));
      await runner.catchUp(illProjections, { batchSize: 3 });
    }
    expect(await runner.verify(illProjections)).toEqual([]);
    for (const projection of illProjections) {
      const live = await readModels.query(projection.name);
      const inMemory = projectInMemory(projection as Projection, events);
      expect(live.map((d) => [d.key, canonical(d.doc)])).toEqual([...inMemory.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, d]) => [k, canonical(d)]));
    }
  });
});

describe('projections of histories written by the real statechart', () => {
  const lenderStates = new Set(['withLender.requested', 'withLender.expectsToSupply', 'withLender.willSupply', 'withLender.conditional', 'withLender.cancelPending']);

  it.each(Object.keys(STATE_STEPS) as IllStateName[])('puts a request in %s in the queues the table gives that state', (state) => {
    const history = illHistory(STATE_STEPS[state]);
    const doc = projectInMemory(queuesProjection, history.stored).get('REQ-1')!;
    expect(doc.state).toBe(state);
    const context = history.state.snapshot.context;
    expect(doc.currentLender).toBe(context.lender);
    expect(doc.position).toBe(context.current);
    const table = QUEUE_TABLE[state];
    expect(doc.entries).toEqual([
      ...table.borrowing.map((queue) => ({ library: 'LIB1', role: 'borrowing', queue })),
      ...table.lending.map((queue) => ({ library: context.lender, role: 'lending', queue })),
    ]);
    if (lenderStates.has(state) || state === 'shipped' || state.startsWith('onLoan.')) expect(context.lender).toBe('LIB2');
    if (state === 'withLender.requested') expect(doc.respondBy).toBe(context.lenderRespondBy);
  });

  it.each(Object.keys(STATE_STEPS) as IllStateName[])('records the lenders of a request in %s as the statechart recorded its rota', (state) => {
    const history = illHistory(STATE_STEPS[state]);
    const doc = projectInMemory(requestSummaryProjection, history.stored).get('REQ-1') as RequestSummaryDoc;
    const rota = history.state.snapshot.context.rota.filter((e) => e.requestedAt !== null);
    expect(doc.lenders.map((l) => [l.library, l.position, l.askedAt, l.answeredAt, l.outcome])).toEqual(
      rota.map((e) => [e.library, e.position, e.requestedAt, e.answeredAt, e.outcome]),
    );
    expect(doc.outcome).toBe(state);
  });
});
