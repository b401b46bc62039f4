import { InMemoryEventStore, InMemoryReadModelStore, ManualClock, SeededIds, WorkflowRuntime, type Effect, type JsonObject, type NewEvent, type StoredEvent } from '@interlend/engine';
import { illProjections } from '../projections';
import { borrowerActor, illHistory, lenderActor, sampleDirectory, sampleRequest, sampleShipment, systemActor, toFirstLender, type HistoryStep } from '../testing';
import { illRequestWorkflow } from '../workflow';
import { scheduleMissingCommandId, scheduleMissingDeadlines } from './scheduleMissingDeadlines';

/**
 * `interlend timers schedule-missing` on a log written before the lender clocks: requests asked
 * and promised (or asked to cancel, or with a need-before date) whose events recorded no deadline
 * for the clock they are in. Such a log is made here from histories of this release with those
 * effects taken out of the metadata, which is what the release before wrote: same events, same
 * data, no `scheduleDeadline` / `cancelDeadline` for `supply`, `cancelAnswer` or `needBefore`.
 */

const LIB2 = lenderActor('LIB2');
const NEW_CLOCKS = new Set(['supply', 'cancelAnswer', 'needBefore']);

/** The events of `steps` as the release before the lender clocks stored them. */
function oldShape(requestId: string, steps: readonly HistoryStep[]): NewEvent[] {
  return illHistory(steps, { requestId }).stored.map((e: StoredEvent) => {
    const effects = ((e.metadata.effects ?? []) as unknown as Effect[]).filter((x) => !((x.type === 'scheduleDeadline' || x.type === 'cancelDeadline') && NEW_CLOCKS.has(String(x.params.name))));
    return { id: `${requestId}:${e.id}`, type: e.type, data: e.data, metadata: { ...e.metadata, effects: effects as unknown as JsonObject[] } };
  });
}
/** The events of `steps` as this release stores them. */
const currentShape = (requestId: string, steps: readonly HistoryStep[]): NewEvent[] =>
  illHistory(steps, { requestId }).stored.map((e) => ({ id: `${requestId}:${e.id}`, type: e.type, data: e.data, metadata: e.metadata }));

const willSupply: HistoryStep[] = [...toFirstLender(), { type: 'willSupply', actor: LIB2 }];

async function oldLog() {
  const store = new InMemoryEventStore();
  const readModels = new InMemoryReadModelStore();
  const streams: [string, NewEvent[]][] = [
    ['R-CANCEL', oldShape('R-CANCEL', [...willSupply, { type: 'cancel', data: { reason: 'patron left' }, actor: borrowerActor() }])],
    ['R-NEED', oldShape('R-NEED', [{ type: 'submit', data: sampleRequest({ needBefore: '2026-01-20' }), actor: borrowerActor() }])],
    ['R-SHIPPED', oldShape('R-SHIPPED', [...willSupply, { type: 'ship', data: sampleShipment(), actor: LIB2 }])],
    ['R-SUPPLY', oldShape('R-SUPPLY', willSupply)],
    // Promised under this release: its supply deadline is pending already.
    ['R-TODAY', currentShape('R-TODAY', willSupply)],
  ];
  for (const [id, events] of streams) await store.appendToStream(id, events, { expectedRevision: 'no_stream' });
  const clock = new ManualClock('2026-01-07T12:00:00.000Z');
  const runtime = new WorkflowRuntime({
    workflow: illRequestWorkflow,
    services: { directory: sampleDirectory() },
    store,
    readModels,
    clock,
    ids: new SeededIds(3, clock),
    projections: illProjections,
  });
  return { store, readModels, runtime, clock };
}

const pendingOf = async (runtime: Awaited<ReturnType<typeof oldLog>>['runtime']) =>
  (await runtime.timers.pending()).map((t) => `${t.streamId} ${t.name} ${t.at}`).sort();

describe('scheduling the clocks a log written before them never recorded', () => {
  it('finds them on a dry run and writes nothing', async () => {
    const { store, readModels, runtime } = await oldLog();
    const head = await store.headPosition();
    const before = await pendingOf(runtime);
    expect(before.filter((t) => / (supply|cancelAnswer|needBefore) /.test(t))).toEqual(['R-TODAY supply 2026-01-12T09:03:00.000Z']);

    const result = await scheduleMissingDeadlines(runtime, readModels, { dryRun: true });

    // Due as the fold computes it: LIB2's terms from the rota (the defaults: 5 and 2 business days), the need-before day's end.
    expect(result.missing).toEqual([
      { requestId: 'R-CANCEL', state: 'withLender.cancelPending', name: 'cancelAnswer', at: '2026-01-07T09:04:00.000Z', key: '1' },
      { requestId: 'R-NEED', state: 'networkCheck', name: 'needBefore', at: '2026-01-21T00:00:00.000Z', key: '2026-01-20' },
      { requestId: 'R-SUPPLY', state: 'withLender.willSupply', name: 'supply', at: '2026-01-12T09:03:00.000Z', key: '1' },
    ]);
    expect(result).toMatchObject({ checked: 5, scheduled: 0, duplicates: 0, refused: [] });
    expect(await store.headPosition()).toBe(head);
    expect(await pendingOf(runtime)).toEqual(before);
  });

  it('schedules each through the engine as the system, once: a second run writes nothing', async () => {
    const { store, readModels, runtime } = await oldLog();
    const head = await store.headPosition();

    const first = await scheduleMissingDeadlines(runtime, readModels);

    expect(first).toMatchObject({ checked: 5, scheduled: 3, duplicates: 0, refused: [] });
    const written = await store.readAll({ after: head });
    expect(written.map((e) => `${e.streamId} ${e.type} ${String(e.data.name)} by ${String((e.metadata.actor as { role: string }).role)}`)).toEqual([
      'R-CANCEL MissingDeadlineScheduled cancelAnswer by system',
      'R-NEED MissingDeadlineScheduled needBefore by system',
      'R-SUPPLY MissingDeadlineScheduled supply by system',
    ]);
    // Stamped by the clock at the edge; the state stays.
    expect(written.map((e) => [e.metadata.time, e.metadata.stateAfter, e.metadata.commandId])).toEqual([
      ['2026-01-07T12:00:00.000Z', 'withLender.cancelPending', 'schedule-missing:R-CANCEL:cancelAnswer'],
      ['2026-01-07T12:00:00.000Z', 'networkCheck', 'schedule-missing:R-NEED:needBefore'],
      ['2026-01-07T12:00:00.000Z', 'withLender.willSupply', 'schedule-missing:R-SUPPLY:supply'],
    ]);
    expect((await pendingOf(runtime)).filter((t) => / (supply|cancelAnswer|needBefore) /.test(t))).toEqual([
      'R-CANCEL cancelAnswer 2026-01-07T09:04:00.000Z',
      'R-NEED needBefore 2026-01-21T00:00:00.000Z',
      'R-SUPPLY supply 2026-01-12T09:03:00.000Z',
      'R-TODAY supply 2026-01-12T09:03:00.000Z',
    ]);

    const second = await scheduleMissingDeadlines(runtime, readModels);
    expect(second).toMatchObject({ checked: 5, missing: [], scheduled: 0 });
    expect(await store.headPosition()).toBe(head + 3);

    // The same repair sent again (two runs racing) is the same command: applied once.
    const again = await runtime.handler.handle({ commandId: scheduleMissingCommandId('R-SUPPLY', 'supply'), streamId: 'R-SUPPLY', type: 'scheduleMissingDeadline', data: { name: 'supply' }, actor: systemActor });
    expect(again.duplicate).toBe(true);
    expect(await store.headPosition()).toBe(head + 3);
  });

  it('lets the repaired clocks fall due like any other: the supply clock ages the request, the cancel answer too', async () => {
    const { readModels, runtime, clock } = await oldLog();
    await scheduleMissingDeadlines(runtime, readModels);
    clock.set('2026-01-12T10:00:00.000Z');
    const run = await runtime.runDueTimers();
    expect(run).toMatchObject({ fired: 3, refused: 0 }); // R-CANCEL cancelAnswer, R-SUPPLY supply, R-TODAY supply
    const supply = await runtime.handler.load('R-SUPPLY');
    expect(supply?.stateName).toBe('withLender.willSupply');
    expect(supply?.snapshot.context.aging).toMatchObject({ clock: 'supply', deadlineAt: '2026-01-12T09:03:00.000Z' });
    expect((await runtime.handler.load('R-CANCEL'))?.snapshot.context.aging).toMatchObject({ clock: 'cancelAnswer' });
    // A clock that fell due is no longer pending: the next run fires nothing.
    expect((await pendingOf(runtime)).filter((t) => / (supply|cancelAnswer) /.test(t))).toEqual([]);
    expect(await runtime.runDueTimers()).toMatchObject({ fired: 0 });
    // Nothing more to repair: the clocks that fell due are no longer tracked.
    expect((await scheduleMissingDeadlines(runtime, readModels, { dryRun: true })).missing).toEqual([]);
  });
});
