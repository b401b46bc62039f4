import { InMemoryEventStore, InMemoryReadModelStore, fold } from '@interlend/engine';
import { simulate } from './simulator';
import { illRequestWorkflow } from '../workflow';

describe('simulate', () => {
  it('drives every request to a terminal state with no unexpected refusals', async () => {
    const store = new InMemoryEventStore();
    const summary = await simulate(store, new InMemoryReadModelStore(), { requests: 150, libraries: 12, seed: 5 });
    expect(summary.unexpectedRefusals).toEqual([]);
    expect(summary.notTerminal).toEqual([]);
    expect(Object.values(summary.finalStates).reduce((a, b) => a + b, 0)).toBe(150 + summary.reRequests);
    // each scenario family leaves its mark
    for (const state of ['completed', 'unfilled', 'cancelled', 'lost', 'documentDelivery', 'rejected']) expect(summary.finalStates[state]).toBeGreaterThan(0);
    expect(summary.deadlinesFired).toBeGreaterThan(0);
    expect(summary.expectedRefusals['late answer from a lender the rota left']).toBeGreaterThan(0);
  });

  it('plays lenders that promise and never ship: the supply clock falls due, staff withdraw, the next lender is asked', async () => {
    const store = new InMemoryEventStore();
    const summary = await simulate(store, new InMemoryReadModelStore(), { requests: 150, libraries: 12, seed: 5 });
    const events = await store.readAll({ after: 0, maxCount: 100_000 });
    const ofType = (type: string) => events.filter((e) => e.type === type);
    expect(summary.scenarios.neverShips).toBeGreaterThan(0);
    const overdue = ofType('SupplyOverdue');
    expect(overdue.length).toBeGreaterThanOrEqual(summary.scenarios.neverShips!);
    // Each fallen-due lender was withdrawn from, by the borrower or hub staff, after its clock fell due.
    const withdrawn = ofType('WithdrawnFromLender');
    expect(withdrawn.map((e) => e.streamId).sort()).toEqual(overdue.map((e) => e.streamId).sort());
    for (const w of withdrawn) {
      const due = overdue.find((o) => o.streamId === w.streamId)!;
      expect(w.position).toBeGreaterThan(due.position);
      expect(w.data).toMatchObject({ clock: 'supply', lender: due.data.lender });
    }
    // Most went on to the next lender, which was asked (and the request then ended like any other).
    const movedOn = withdrawn.filter((w) => w.data.continueWithNextLender === true);
    expect(movedOn.length).toBeGreaterThan(0);
    for (const w of movedOn) {
      const next = events.find((e) => e.streamId === w.streamId && e.position > w.position && e.type !== 'WithdrawnFromLender');
      expect(next === undefined || ['ExpectToSupplyAnswered', 'WillSupplyAnswered', 'ConditionalAnswered', 'Shipped', 'LenderUnfilled', 'RetryPossibleAnswered', 'LenderTimedOut'].includes(next.type)).toBe(true);
    }
    // A fired supply deadline is cancelled when it falls due: the run ends with no deadline pending.
    expect(summary.notTerminal).toEqual([]);
    expect(summary.unexpectedRefusals).toEqual([]);
  });

  it('gives the same events, ids and times for the same options', async () => {
    const run = async () => {
      const store = new InMemoryEventStore();
      const summary = await simulate(store, new InMemoryReadModelStore(), { requests: 40, libraries: 8, seed: 9 });
      return { summary, events: await store.readAll({ after: 0, maxCount: 100_000 }) };
    };
    const [a, b] = [await run(), await run()];
    expect(b.summary).toEqual(a.summary);
    expect(b.events).toEqual(a.events);
    const other = await simulate(new InMemoryEventStore(), new InMemoryReadModelStore(), { requests: 40, libraries: 8, seed: 10 });
    expect(other).not.toEqual(a.summary);
  });

  it('replaying every stored history reproduces each event\'s stored state after', async () => {
    const store = new InMemoryEventStore();
    await simulate(store, new InMemoryReadModelStore(), { requests: 60, libraries: 10, seed: 2 });
    const all = await store.readAll({ after: 0, maxCount: 100_000 });
    const streams = new Map<string, typeof all>();
    for (const e of all) if (e.metadata.workflow === illRequestWorkflow.name) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e]);
    expect(streams.size).toBeGreaterThanOrEqual(60);
    for (const [id, events] of streams) {
      let state = fold(illRequestWorkflow, id, []);
      for (const event of events) {
        state = fold(illRequestWorkflow, id, [event], state);
        expect(`${id}@${event.revision}:${state.stateName}`).toBe(`${id}@${event.revision}:${String(event.metadata.stateAfter)}`);
      }
    }
  });
});
