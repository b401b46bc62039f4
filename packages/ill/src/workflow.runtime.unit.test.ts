import { InMemoryEventStore, InMemoryReadModelStore, ManualClock, SeededIds, WorkflowRuntime, type Actor, type Effect } from '@interlend/engine';
import { illRequestWorkflow } from './workflow';
import { borrowerActor, hubActor, lenderActor, sampleDirectory, sampleRequest, sampleShipment } from './testing';

/** The workflow in the engine's real runtime: command handler, timer worker and effect dispatcher over in-memory stores. */
describe('a request through the engine runtime', () => {
  it('times out a lender, ships from the next, goes overdue, and completes with no timer left', async () => {
    const clock = new ManualClock('2026-01-05T09:00:00.000Z');
    const notified: Effect[] = [];
    const runtime = new WorkflowRuntime({
      workflow: illRequestWorkflow,
      services: { directory: sampleDirectory() },
      store: new InMemoryEventStore(),
      readModels: new InMemoryReadModelStore(),
      clock,
      ids: new SeededIds(1, clock),
      effectHandlers: { notifyLender: (effect) => void notified.push(effect) },
    });
    let n = 0;
    const act = async (type: string, actor: Actor, data: unknown = {}) => (await runtime.execute({ commandId: `c${++n}`, streamId: 'REQ-1', type, data, actor })).state.stateName;

    expect(await act('submit', borrowerActor(), sampleRequest())).toBe('networkCheck');
    expect(await act('notAvailableLocally', borrowerActor(), { preferredLenders: ['LIB2', 'LIB3'] })).toBe('withLender.requested');
    expect(await runtime.timers.nextDueAt()).toBe('2026-01-09T09:00:00.000Z');

    clock.set('2026-01-09T09:00:00.000Z');
    expect(await runtime.runDueTimers()).toEqual({ fired: 1, refused: 0, refusals: [] });
    expect((await runtime.handler.load('REQ-1'))?.snapshot.context.lender).toBe('LIB3');
    expect(notified.map((e) => e.params.library)).toEqual(['LIB2', 'LIB3']);

    clock.advance(3_600_000);
    await expect(act('willSupply', lenderActor('LIB2'))).rejects.toThrow("LIB2's answer is too late: the rota moved on from position 1 (LIB2, timed out) to position 2 (LIB3)");
    expect(await act('ship', lenderActor('LIB3'), sampleShipment())).toBe('shipped');
    expect(await runtime.timers.nextDueAt()).toBeUndefined();
    expect(await act('receive', borrowerActor())).toBe('onLoan.received');
    expect(await runtime.timers.nextDueAt()).toBe('2026-02-06T00:00:00.000Z');

    clock.set('2026-02-06T00:00:00.000Z');
    expect((await runtime.runDueTimers()).fired).toBe(1);
    expect((await runtime.handler.load('REQ-1'))?.stateName).toBe('onLoan.overdue');
    expect(await act('shipReturn', borrowerActor())).toBe('returnShipped');
    expect(await act('checkIn', lenderActor('LIB3'))).toBe('completed');
    expect(await runtime.timers.pending()).toEqual([]);
  });

  it('tells the lender of an amendment and a close once each, after the append commits, and never on a replay', async () => {
    const store = new InMemoryEventStore();
    const readModels = new InMemoryReadModelStore();
    const clock = new ManualClock('2026-01-05T09:00:00.000Z');
    const told: string[] = [];
    const open = () =>
      new WorkflowRuntime({
        workflow: illRequestWorkflow,
        services: { directory: sampleDirectory() },
        store,
        readModels,
        clock,
        ids: new SeededIds(2, clock),
        effectHandlers: {
          notifyLenderOf: async (effect, { event }) => {
            // Carried out only once the event that asked for it is in the log.
            const stored = await store.readStream(event.streamId);
            told.push(`${String(effect.params.about)} ${String(effect.params.library)} committed:${stored.some((e) => e.id === event.id)}`);
          },
        },
      });
    const runtime = open();
    let n = 0;
    const act = async (type: string, actor: Actor, data: unknown = {}) => (await runtime.execute({ commandId: `c${++n}`, streamId: 'REQ-1', type, data, actor })).state.stateName;
    await act('submit', borrowerActor(), sampleRequest());
    await act('notAvailableLocally', borrowerActor(), { preferredLenders: ['LIB2'] });
    await act('willSupply', lenderActor('LIB2'));
    await act('amend', borrowerActor(), { material: { edition: '2nd ed.' } });
    expect(await act('close', hubActor, { reason: 'duplicate' })).toBe('closed');
    expect(told).toEqual(['amended LIB2 committed:true', 'closed LIB2 committed:true']);

    // Another process folds the request from the log and settles: the notices are not sent again.
    const again = open();
    expect((await again.handler.load('REQ-1'))?.stateName).toBe('closed');
    await again.settle();
    expect(told).toHaveLength(2);
  });
});
