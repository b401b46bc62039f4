import { fold, type EventMetadata } from '@interlend/engine';
import type { IllCommandInput } from './commands';
import { isTerminal, STATE_NAMES, type IllEvent } from './events';
import { illRequestWorkflow } from './workflow';
import { illHistory, STATE_STEPS } from './testing';

describe('folding stored events', () => {
  it.each(STATE_NAMES.map((s) => [s]))('gives deep-equal context when the events of %s are folded twice', (stateName) => {
    const { stored, state } = illHistory(STATE_STEPS[stateName]);
    const once = fold(illRequestWorkflow, 'REQ-1', stored);
    const twice = fold(illRequestWorkflow, 'REQ-1', stored);
    expect(twice.snapshot.context).toEqual(once.snapshot.context);
    expect(twice.stateName).toBe(once.stateName);
    // ... and the same as the state built command by command
    expect(once.snapshot.context).toEqual(state.snapshot.context);
    expect(once.stateName).toBe(stateName);
    // the context is plain JSON: it survives a round trip unchanged
    expect(JSON.parse(JSON.stringify(once.snapshot.context))).toEqual(once.snapshot.context);
  });

  it('folds in pieces to the same state as in one go', () => {
    const { stored } = illHistory(STATE_STEPS.completed);
    const half = fold(illRequestWorkflow, 'REQ-1', stored.slice(0, 5));
    const rest = fold(illRequestWorkflow, 'REQ-1', stored.slice(5), half);
    expect(rest.snapshot.context).toEqual(fold(illRequestWorkflow, 'REQ-1', stored).snapshot.context);
  });
});

describe('deadlines recorded as effects', () => {
  const FIRED: Record<string, string> = { LenderTimedOut: 'lenderResponse', ConditionalAnswerExpired: 'conditionalAnswer', LoanOverdue: 'due' };

  it.each(STATE_NAMES.map((s) => [s]))('match the pending deadlines of the context in %s (none left in a terminal state)', (stateName) => {
    const { stored, state } = illHistory(STATE_STEPS[stateName]);
    const timers = new Map<string, { at: string; key: string }>();
    for (const event of stored) {
      const fired = FIRED[event.type];
      if (fired) timers.delete(fired);
      for (const effect of (event.metadata as unknown as EventMetadata).effects) {
        const name = String(effect.params.name);
        if (effect.type === 'scheduleDeadline') timers.set(name, { at: String(effect.params.at), key: String(effect.params.key) });
        if (effect.type === 'cancelDeadline') timers.delete(name);
      }
    }
    expect(Object.fromEntries(timers)).toEqual(state.snapshot.context.deadlines);
    if (isTerminal(stateName)) expect(timers.size).toBe(0);
  });
});

describe('types', () => {
  it('refuses wrong events and commands at compile time', () => {
    // @ts-expect-error a Shipped event needs its item ids, due date and costs
    const shipped: IllEvent = { type: 'Shipped', data: { lender: 'LIB2', position: 1 } };
    // @ts-expect-error there is no such event type
    const unknown: IllEvent = { type: 'ItemShipped', data: {} };
    // @ts-expect-error item ids are a list
    const ship: IllCommandInput['ship'] = { itemIds: 'ITEM-1', dueDate: '2026-02-01', cost: { amount: 1, currency: 'USD' } };
    const state: string = 'closed';
    if (isTerminal(state)) {
      const terminal: 'rejected' | 'documentDelivery' | 'filledLocally' | 'unfilled' | 'reRequested' | 'cancelled' | 'completed' | 'wrongItemReturned' | 'lost' | 'closed' = state;
      expect(terminal).toBe('closed');
    }
    expect([shipped, unknown, ship]).toHaveLength(3);
  });
});
