import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleShipment, STATE_STEPS, toFirstLender } from './testing';
import type { HistoryStep } from './testing';

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const first = toFirstLender();
const cancel = (continueWithNextLender?: boolean): HistoryStep => ({
  type: 'cancel',
  data: { reason: 'patron left town', ...(continueWithNextLender !== undefined ? { continueWithNextLender } : {}) },
  actor: BORROWER,
});

describe('cancelling a request', () => {
  it('cancels at once before any lender was asked', () => {
    illSpec(STATE_STEPS.networkCheck).when(cancel()).then([{ type: 'Cancelled', data: { reason: 'patron left town' } }]).thenState('cancelled');
    illSpec(STATE_STEPS.needsReview).when(cancel()).thenState('cancelled');
  });

  it('asks the lender while one has the request, remembering where it was', () => {
    for (const substate of ['requested', 'expectsToSupply', 'willSupply', 'conditional'] as const) {
      const outcome = illSpec(STATE_STEPS[`withLender.${substate}`])
        .when(cancel())
        .then([{ type: 'CancelRequested', data: { lender: 'LIB2', position: 1, reason: 'patron left town', continueWithNextLender: false } }])
        .thenState('withLender.cancelPending');
      expect(outcome.after!.snapshot.context.cancel).toMatchObject({ from: substate, continueWithNextLender: false });
    }
  });

  it('stops the lender clock while the cancel is pending, tells the lender and starts its clock to answer', () => {
    const outcome = illSpec(first).when(cancel());
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'lenderResponse' } },
      { type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about: 'cancelRequested', borrower: 'LIB1', reason: 'patron left town' } },
      // LIB2 has the directory's default of 2 business days to answer a cancel (lender-clocks.md).
      { type: 'scheduleDeadline', params: { name: 'cancelAnswer', at: '2026-01-07T09:03:00.000Z', key: '1' } },
    ]);
    expect(Object.keys(outcome.after!.snapshot.context.deadlines)).toEqual(['cancelAnswer']);
  });

  it('ends the request when the lender accepts the cancel', () => {
    const outcome = illSpec([...first, cancel()])
      .when({ type: 'acceptCancel', actor: LIB2 })
      .then([{ type: 'CancelAccepted', data: { lender: 'LIB2', position: 1, continueWithNextLender: false } }])
      .thenState('cancelled');
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'cancelAnswer' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'cancelAccepted', lender: 'LIB2', position: 1 } },
    ]);
    expect(outcome.after!.snapshot.context).toMatchObject({ endReason: 'patron left town', cancel: null });
    expect(outcome.after!.snapshot.context.rota[0]!.outcome).toBe('cancelled');
  });

  it('continues with the next lender when asked to', () => {
    const outcome = illSpec([...first, cancel(true)])
      .when({ type: 'acceptCancel', actor: LIB2 })
      .then([{ type: 'CancelAccepted', data: { continueWithNextLender: true } }])
      .thenState('withLender.requested');
    expect(outcome.after!.snapshot.context.lender).toBe('LIB3');
    expect(outcome.effects.map((e) => e.type)).toEqual(['cancelDeadline', 'notifyBorrower', 'notifyLender', 'scheduleDeadline']);
  });

  it('ends as cancelled when asked to continue but no lender is left', () => {
    const last: HistoryStep[] = [...first, ...['LIB2', 'LIB3', 'LIB4', 'LIB5'].map((code): HistoryStep => ({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor(code) })), cancel(true)];
    const outcome = illSpec(last).when({ type: 'acceptCancel', actor: lenderActor('LIB8') }).thenState('cancelled');
    expect(outcome.after!.snapshot.context.endReason).toBe('patron left town');
  });

  it.each(['requested', 'expectsToSupply', 'willSupply', 'conditional'] as const)('restores %s when the lender refuses the cancel', (substate) => {
    const outcome = illSpec([...STATE_STEPS[`withLender.${substate}`], cancel()])
      .when({ type: 'refuseCancel', data: { note: 'already on the van' }, actor: LIB2 })
      .then([{ type: 'CancelRefused', data: { restoredState: `withLender.${substate}`, note: 'already on the van' } }])
      .thenState(`withLender.${substate}`);
    expect(outcome.after!.snapshot.context.cancel).toBeNull();
    expect(outcome.effects.find((e) => e.type === 'notifyBorrower')).toMatchObject({ params: { about: 'cancelRefused' } });
  });

  it('restores the original lender clock, not a fresh one, when the cancel is refused', () => {
    const h = illHistory(first);
    const original = h.state.snapshot.context.deadlines.lenderResponse!;
    const outcome = illSpec([...first, cancel()]).when({ type: 'refuseCancel', actor: LIB2, time: '2026-01-07T12:00:00.000Z' });
    expect(outcome.effects).toContainEqual({ type: 'scheduleDeadline', params: { name: 'lenderResponse', at: original.at, key: '1' } });
    expect(outcome.effects.some((e) => e.type === 'notifyLender')).toBe(false);
  });

  it('restores the conditional clock as it was', () => {
    const steps = STATE_STEPS['withLender.conditional'];
    const original = illHistory(steps).state.snapshot.context.deadlines.conditionalAnswer!;
    const outcome = illSpec([...steps, cancel()]).when({ type: 'refuseCancel', actor: LIB2 });
    expect(outcome.effects).toContainEqual({ type: 'scheduleDeadline', params: { name: 'conditionalAnswer', at: original.at, key: '1' } });
  });

  it('lets the lender ship during a pending cancel, which refuses the cancel', () => {
    const outcome = illSpec([...first, cancel()])
      .when({ type: 'ship', data: sampleShipment(), actor: LIB2 })
      .then([{ type: 'Shipped', data: { cancelRefused: true } }])
      .thenState('shipped');
    expect(outcome.after!.snapshot.context.cancel).toBeNull();
  });

  it('refuses a second cancel while one is pending, saying so', () => {
    illSpec([...first, cancel()]).when(cancel()).thenThrows('ILLEGAL_STATE', /a cancel is already pending \(state 'withLender.cancelPending'\) with LIB2/);
  });

  it('refuses a cancel once the item has shipped, saying so', () => {
    for (const state of ['shipped', 'misdelivered', 'onLoan.inUse', 'returnShipped'] as const) {
      illSpec(STATE_STEPS[state]).when(cancel()).thenThrows('ILLEGAL_STATE', `'cancel' is not allowed once the item has shipped (state '${state}')`);
    }
  });

  it('requires a reason to cancel', () => {
    illSpec(first).when({ type: 'cancel', data: {}, actor: BORROWER }).thenThrows('VALIDATION', 'data.reason');
  });

  it('takes the answer to a cancel only from the current lender or hub staff', () => {
    illSpec([...first, cancel()]).when({ type: 'acceptCancel', actor: lenderActor('LIB3') }).thenThrows('FORBIDDEN', /LIB3 was not asked to supply request REQ-1 yet/);
    illSpec([...first, cancel()]).when({ type: 'acceptCancel', actor: hubActor }).thenState('cancelled');
  });
});
