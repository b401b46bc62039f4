import { InMemoryEventStore, InMemoryReadModelStore, ManualClock, SeededIds, WorkflowRuntime, projectInMemory, type Actor, type EventMetadata } from '@interlend/engine';
import { isRequestSummary, requestSummaryProjection } from './projections/libraryHistory';
import { computeStatistics } from './projections/statistics';
import { borrowerActor, illSpec, lenderActor, sampleDirectory, sampleRequest, sampleShipment, systemActor } from './testing';
import { illRequestWorkflow } from './workflow';
import type { HistoryStep } from './testing';

/**
 * Business time apart from record time: staff record on Monday what happened on Friday. The
 * command says when it happened (`occurredAt`); the lender's clock starts then, not when it was
 * typed in, and the event keeps both times.
 */

/** Friday 9 January 2026: the request was submitted in the morning. */
const submittedFriday: HistoryStep[] = [{ type: 'submit', data: sampleRequest(), actor: borrowerActor(), time: '2026-01-09T08:00:00.000Z' }];
/** When the borrower's staff sent it to the lenders (Friday afternoon) and when they recorded it (Monday morning). */
const FRIDAY_AFTERNOON = '2026-01-09T14:00:00.000Z';
const MONDAY_MORNING = '2026-01-12T09:12:00.000Z';
const sendToLenders = { type: 'notAvailableLocally' as const, data: { preferredLenders: ['LIB2', 'LIB3', 'LIB4'] }, actor: borrowerActor() };

const lenderResponseAt = (effects: readonly { type: string; params: Record<string, unknown> }[]) =>
  effects.find((e) => e.type === 'scheduleDeadline' && e.params.name === 'lenderResponse')?.params.at;

describe('business time apart from record time', () => {
  it("counts the first lender's response deadline from when the request was sent, not from when it was recorded", () => {
    // LIB2 answers loans in 4 business days: Friday 14:00 + 4 business days = Thursday 15 January 14:00.
    const outcome = illSpec(submittedFriday)
      .when({ ...sendToLenders, time: MONDAY_MORNING, occurredAt: FRIDAY_AFTERNOON })
      .thenState('withLender.requested');
    expect(lenderResponseAt(outcome.effects)).toBe('2026-01-15T14:00:00.000Z');
    expect(outcome.after?.snapshot.context.lenderRespondBy).toBe('2026-01-15T14:00:00.000Z');
    // Both times are kept with every event the command wrote.
    for (const event of outcome.events) expect(event.metadata).toMatchObject({ time: FRIDAY_AFTERNOON, recordedAt: MONDAY_MORNING });
  });

  it('counts it from the record time when the command does not say when it happened', () => {
    // The same command recorded on Monday without occurredAt: Monday 09:12 + 4 business days = Friday 16 January 09:12.
    const outcome = illSpec(submittedFriday).when({ ...sendToLenders, time: MONDAY_MORNING }).thenState('withLender.requested');
    expect(lenderResponseAt(outcome.effects)).toBe('2026-01-16T09:12:00.000Z');
    expect((outcome.events[0]!.metadata as unknown as EventMetadata).time).toBe(MONDAY_MORNING);
    expect(outcome.events[0]!.metadata.recordedAt).toBeUndefined();
  });

  it("refuses a lender's answer said to have happened before the request reached the lender, naming that time", () => {
    const sent: HistoryStep[] = [...submittedFriday, { ...sendToLenders, time: FRIDAY_AFTERNOON }];
    illSpec(sent)
      .when({ type: 'willSupply', actor: lenderActor('LIB2'), time: MONDAY_MORNING, occurredAt: '2026-01-09T13:00:00Z' })
      .thenThrows('VALIDATION', `occurredAt: 2026-01-09T13:00:00.000Z is before the previous event of ill-request 'REQ-1', which happened at ${FRIDAY_AFTERNOON}`);
  });

  it('refuses a time in the future', () => {
    illSpec(submittedFriday)
      .when({ ...sendToLenders, time: MONDAY_MORNING, occurredAt: '2026-01-12T09:13:00Z' })
      .thenThrows('VALIDATION', /occurredAt: 2026-01-12T09:13:00.000Z is in the future/);
  });

  it("refuses occurredAt on the timer's deadlineReached: a deadline happens at its own time", () => {
    const sent: HistoryStep[] = [...submittedFriday, { ...sendToLenders, time: FRIDAY_AFTERNOON }];
    illSpec(sent)
      .when({
        type: 'deadlineReached',
        data: { name: 'lenderResponse', key: '1', at: '2026-01-15T14:00:00.000Z' },
        actor: systemActor,
        time: '2026-01-15T14:00:00.000Z',
        occurredAt: '2026-01-15T14:00:00.000Z',
      })
      .thenThrows('VALIDATION', /occurredAt: not accepted on 'deadlineReached'/);
  });
});

describe('business time through the engine runtime (recorded on Monday)', () => {
  function mondayRuntime() {
    const clock = new ManualClock(MONDAY_MORNING);
    const store = new InMemoryEventStore();
    const runtime = new WorkflowRuntime({
      workflow: illRequestWorkflow,
      services: { directory: sampleDirectory() },
      store,
      readModels: new InMemoryReadModelStore(),
      clock,
      ids: new SeededIds(1, clock),
    });
    let n = 0;
    const act = async (type: string, actor: Actor, data: unknown, occurredAt?: string) =>
      (await runtime.execute({ commandId: `c${++n}`, streamId: 'REQ-1', type, data, actor, ...(occurredAt ? { occurredAt } : {}) })).state;
    return { clock, store, runtime, act };
  }

  it("fires the lender's deadline at the time counted from the business time", async () => {
    const { clock, runtime, act } = mondayRuntime();
    await act('submit', borrowerActor(), sampleRequest(), '2026-01-09T08:00:00Z');
    await act('notAvailableLocally', borrowerActor(), { preferredLenders: ['LIB2', 'LIB3'] }, FRIDAY_AFTERNOON);
    expect(await runtime.timers.nextDueAt()).toBe('2026-01-15T14:00:00.000Z');
    clock.set('2026-01-15T13:59:59.999Z');
    expect((await runtime.runDueTimers()).fired).toBe(0);
    clock.set('2026-01-15T14:00:00.000Z');
    expect(await runtime.runDueTimers()).toEqual({ fired: 1, refused: 0, refusals: [] });
    expect((await runtime.handler.load('REQ-1'))?.snapshot.context.lender).toBe('LIB3');
  });

  it('counts turnaround and lender response time from when things happened, not from when they were recorded', async () => {
    const { store, act } = mondayRuntime();
    await act('submit', borrowerActor(), sampleRequest(), '2026-01-09T08:00:00Z');
    await act('notAvailableLocally', borrowerActor(), { preferredLenders: ['LIB2'] }, '2026-01-09T09:00:00Z');
    await act('willSupply', lenderActor('LIB2'), {}, '2026-01-09T10:00:00Z');
    await act('ship', lenderActor('LIB2'), sampleShipment(), '2026-01-09T20:00:00Z');
    const events = await store.readStream('REQ-1');
    for (const e of events) expect(e.metadata.recordedAt).toBe(MONDAY_MORNING);
    const stats = computeStatistics([...projectInMemory(requestSummaryProjection, events).values()].filter(isRequestSummary), { now: MONDAY_MORNING });
    // Submitted Friday 08:00, shipped Friday 20:00: 12 hours (73 by the record times: 08:00 Friday to 09:12 Monday).
    expect(stats.turnaround.requestToShip).toMatchObject({ count: 1, meanHours: 12 });
    // Asked Friday 09:00, answered Friday 10:00.
    expect(stats.lenderResponse).toMatchObject({ count: 1, meanHours: 1 });
  });
});
