import type { Actor } from '@interlend/engine';
import type { IllCommandType } from './commands';
import type { DeadlineName, IllEventType, IllStateName } from './events';
import { allowedIllCommands } from './workflow';
import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleRequest, sampleShipment, STATE_STEPS, systemActor } from './testing';

const LIB2 = lenderActor('LIB2');
const BORROWER = borrowerActor();

interface Row {
  readonly state: IllStateName;
  readonly command: IllCommandType;
  readonly actor: Actor;
  readonly data?: unknown;
  /** For deadlineReached: which pending deadline fires. */
  readonly deadline?: DeadlineName;
  readonly events: IllEventType[];
  readonly to: string;
  /** The current lender after the command, when it matters. */
  readonly lender?: string | null;
  /** Steps into the state other than STATE_STEPS[state] (a clock that must be running or have fallen due). */
  readonly steps?: Parameters<typeof illHistory>[0];
}

const row = (state: IllStateName, command: IllCommandType, actor: Actor, events: IllEventType[], to: string, more: Partial<Row> = {}): Row => ({
  state,
  command,
  actor,
  events,
  to,
  ...more,
});

/** An amendment that raises the sample request's 25 USD maximum (above LIB1's own: hub staff's to make): the state and lender stay. */
const RAISE = { maximumCost: { amount: 40, currency: 'USD' } };

const withLenderAnswers = (state: IllStateName): Row[] => [
  row(state, 'answerConditional', LIB2, ['ConditionalAnswered'], 'withLender.conditional', { data: { condition: 'NoReproduction' } }),
  row(state, 'retryPossible', LIB2, ['RetryPossibleAnswered'], 'withLender.requested', { data: { reason: 'AtBindery' }, lender: 'LIB3' }),
  row(state, 'cannotSupply', LIB2, ['LenderUnfilled'], 'withLender.requested', { data: { reason: 'NotOnShelf' }, lender: 'LIB3' }),
  row(state, 'ship', LIB2, ['Shipped'], 'shipped', { data: sampleShipment(), lender: 'LIB2' }),
  row(state, 'amend', hubActor, ['RequestAmended'], state, { data: RAISE, lender: 'LIB2' }),
  row(state, 'cancel', BORROWER, ['CancelRequested'], 'withLender.cancelPending', { data: { reason: 'patron left' } }),
  row(state, 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),
];

/** Lender clocks (docs/workflow/lender-clocks.md): steps into `state` with its clock fallen due; the sample request with a need-before date. */
const clockDue = (state: IllStateName, deadline: DeadlineName) => [...STATE_STEPS[state], { deadline }];
const WITH_NEED_BEFORE = { needBefore: '2026-01-20' };
const NEED_BEFORE_STEPS = {
  needsReview: [{ type: 'submit', data: sampleRequest({ needBefore: '2026-01-20', material: { format: 'book', title: 'Parish Registers 1700-1750', flags: ['genealogy'] } }), actor: BORROWER }],
  networkCheck: [{ type: 'submit', data: sampleRequest(WITH_NEED_BEFORE), actor: BORROWER }],
} as const;
const WITHDRAW = { reason: 'lender silent' };

const onLoanCommon = (state: IllStateName): Row[] => [
  row(state, 'shipReturn', BORROWER, ['ReturnShipped'], 'returnShipped', { data: { trackingId: 'RET9' } }),
  // A wrong item checked in is no completed loan.
  row(state, 'checkIn', LIB2, ['CheckedIn'], state === 'onLoan.awaitingReturn' ? 'wrongItemReturned' : 'completed'),
  row(state, 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),
  row(state, 'reportLost', BORROWER, ['ItemLost'], 'lost', { data: { kind: 'damaged' } }),
];

const ROWS: Row[] = [
  row('needsReview', 'approve', BORROWER, ['StaffApproved'], 'networkCheck'),
  row('needsReview', 'reject', hubActor, ['StaffRejected'], 'rejected', { data: { reason: 'genealogy items are not lent' } }),
  row('needsReview', 'amend', BORROWER, ['RequestAmended'], 'needsReview', { data: { material: { author: 'Lindqvist, Anna' } } }),
  row('needsReview', 'cancel', BORROWER, ['Cancelled'], 'cancelled', { data: { reason: 'found elsewhere' } }),
  row('needsReview', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'duplicate' } }),
  row('needsReview', 'deadlineReached', systemActor, ['NeedBeforePassed'], 'cancelled', { deadline: 'needBefore', steps: NEED_BEFORE_STEPS.needsReview }),

  row('networkCheck', 'fillLocally', BORROWER, ['FilledLocally'], 'filledLocally'),
  row('networkCheck', 'notAvailableLocally', BORROWER, ['NotAvailableLocally', 'RotaBuilt'], 'withLender.requested', { lender: 'LIB2', data: { preferredLenders: ['LIB2'] } }),
  row('networkCheck', 'amend', hubActor, ['RequestAmended'], 'networkCheck', { data: { material: { edition: '2nd ed.' } } }),
  row('networkCheck', 'cancel', BORROWER, ['Cancelled'], 'cancelled', { data: { reason: 'found elsewhere' } }),
  row('networkCheck', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'duplicate' } }),
  row('networkCheck', 'deadlineReached', systemActor, ['NeedBeforePassed'], 'cancelled', { deadline: 'needBefore', steps: NEED_BEFORE_STEPS.networkCheck }),

  row('withLender.requested', 'expectToSupply', LIB2, ['ExpectToSupplyAnswered'], 'withLender.expectsToSupply'),
  row('withLender.requested', 'willSupply', LIB2, ['WillSupplyAnswered'], 'withLender.willSupply'),
  row('withLender.requested', 'deadlineReached', systemActor, ['LenderTimedOut'], 'withLender.requested', { deadline: 'lenderResponse', lender: 'LIB3' }),
  ...withLenderAnswers('withLender.requested'),

  row('withLender.expectsToSupply', 'willSupply', LIB2, ['WillSupplyAnswered'], 'withLender.willSupply'),
  row('withLender.expectsToSupply', 'deadlineReached', systemActor, ['SupplyOverdue'], 'withLender.expectsToSupply', { deadline: 'supply', lender: 'LIB2' }),
  // The one-off repair of a request under way before its clock existed (timers schedule-missing): the state stays.
  row('withLender.expectsToSupply', 'scheduleMissingDeadline', systemActor, ['MissingDeadlineScheduled'], 'withLender.expectsToSupply', { data: { name: 'supply' }, lender: 'LIB2' }),
  row('withLender.expectsToSupply', 'withdrawFromLender', BORROWER, ['WithdrawnFromLender'], 'withLender.requested', {
    data: WITHDRAW,
    lender: 'LIB3',
    steps: clockDue('withLender.expectsToSupply', 'supply'),
  }),
  ...withLenderAnswers('withLender.expectsToSupply'),

  ...withLenderAnswers('withLender.willSupply'),
  row('withLender.willSupply', 'deadlineReached', systemActor, ['SupplyOverdue'], 'withLender.willSupply', { deadline: 'supply', lender: 'LIB2' }),
  row('withLender.willSupply', 'scheduleMissingDeadline', systemActor, ['MissingDeadlineScheduled'], 'withLender.willSupply', { data: { name: 'supply' }, lender: 'LIB2' }),
  row('withLender.willSupply', 'withdrawFromLender', hubActor, ['WithdrawnFromLender'], 'withLender.requested', { data: WITHDRAW, lender: 'LIB3', steps: clockDue('withLender.willSupply', 'supply') }),

  row('withLender.conditional', 'acceptConditions', BORROWER, ['ConditionsAccepted'], 'withLender.willSupply'),
  row('withLender.conditional', 'rejectConditions', BORROWER, ['ConditionsRejected'], 'withLender.requested', { lender: 'LIB3' }),
  row('withLender.conditional', 'deadlineReached', systemActor, ['ConditionalAnswerExpired'], 'withLender.requested', { deadline: 'conditionalAnswer', lender: 'LIB3' }),
  ...withLenderAnswers('withLender.conditional'),

  row('withLender.cancelPending', 'ship', LIB2, ['Shipped'], 'shipped', { data: sampleShipment() }),
  row('withLender.cancelPending', 'acceptCancel', LIB2, ['CancelAccepted'], 'cancelled'),
  row('withLender.cancelPending', 'refuseCancel', LIB2, ['CancelRefused'], 'withLender.requested', { lender: 'LIB2' }),
  row('withLender.cancelPending', 'amend', hubActor, ['RequestAmended'], 'withLender.cancelPending', { data: RAISE }),
  row('withLender.cancelPending', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),
  row('withLender.cancelPending', 'deadlineReached', systemActor, ['CancelUnanswered'], 'withLender.cancelPending', { deadline: 'cancelAnswer', lender: 'LIB2' }),
  row('withLender.cancelPending', 'scheduleMissingDeadline', systemActor, ['MissingDeadlineScheduled'], 'withLender.cancelPending', { data: { name: 'cancelAnswer' }, lender: 'LIB2' }),
  // The pending cancel did not ask to continue: withdrawing ends the request.
  row('withLender.cancelPending', 'withdrawFromLender', BORROWER, ['WithdrawnFromLender'], 'cancelled', { data: WITHDRAW, steps: clockDue('withLender.cancelPending', 'cancelAnswer') }),

  row('shipped', 'receive', BORROWER, ['Received'], 'onLoan.received'),
  row('shipped', 'reportMisdelivered', hubActor, ['Misdelivered'], 'misdelivered', { data: { receivedBy: 'LIB4' } }),
  row('shipped', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),
  row('shipped', 'reportLost', LIB2, ['ItemLost'], 'lost', { data: { kind: 'lost' } }),

  row('misdelivered', 'reroute', hubActor, ['Rerouted'], 'shipped', { data: { trackingId: 'TRK2' } }),
  row('misdelivered', 'returnMisdelivered', hubActor, ['MisdeliveredReturned'], 'returnShipped'),
  row('misdelivered', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),

  row('onLoan.received', 'reportWrongItem', BORROWER, ['WrongItemReported'], 'onLoan.awaitingReturn', { data: { note: 'a different title' } }),
  row('onLoan.received', 'checkOutToPatron', BORROWER, ['CheckedOutToPatron'], 'onLoan.inUse'),
  row('onLoan.received', 'requestRenewal', BORROWER, ['RenewalRequested'], 'onLoan.renewalPending'),
  row('onLoan.received', 'recall', LIB2, ['Recalled'], 'onLoan.recalled'),
  row('onLoan.received', 'deadlineReached', systemActor, ['LoanOverdue'], 'onLoan.overdue', { deadline: 'due' }),
  ...onLoanCommon('onLoan.received'),

  row('onLoan.inUse', 'requestRenewal', BORROWER, ['RenewalRequested'], 'onLoan.renewalPending'),
  row('onLoan.inUse', 'recall', LIB2, ['Recalled'], 'onLoan.recalled'),
  row('onLoan.inUse', 'deadlineReached', systemActor, ['LoanOverdue'], 'onLoan.overdue', { deadline: 'due' }),
  ...onLoanCommon('onLoan.inUse'),

  row('onLoan.renewalPending', 'grantRenewal', LIB2, ['RenewalGranted'], 'onLoan.inUse', { data: { dueDate: '2026-02-26' } }),
  row('onLoan.renewalPending', 'denyRenewal', LIB2, ['RenewalDenied'], 'onLoan.inUse'),
  row('onLoan.renewalPending', 'recall', LIB2, ['Recalled'], 'onLoan.recalled'),
  row('onLoan.renewalPending', 'deadlineReached', systemActor, ['LoanOverdue'], 'onLoan.renewalPending', { deadline: 'due' }),
  ...onLoanCommon('onLoan.renewalPending'),

  row('onLoan.overdue', 'requestRenewal', BORROWER, ['RenewalRequested'], 'onLoan.renewalPending'),
  row('onLoan.overdue', 'recall', LIB2, ['Recalled'], 'onLoan.recalled'),
  ...onLoanCommon('onLoan.overdue'),

  row('onLoan.recalled', 'deadlineReached', systemActor, ['LoanOverdue'], 'onLoan.overdue', { deadline: 'due' }),
  ...onLoanCommon('onLoan.recalled'),

  row('onLoan.awaitingReturn', 'deadlineReached', systemActor, ['LoanOverdue'], 'onLoan.awaitingReturn', { deadline: 'due' }),
  ...onLoanCommon('onLoan.awaitingReturn'),

  row('returnShipped', 'checkIn', LIB2, ['CheckedIn'], 'completed'),
  row('returnShipped', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),
  row('returnShipped', 'reportLost', hubActor, ['ItemLost'], 'lost', { data: { kind: 'lost' } }),

  row('unfilled', 'reRequest', BORROWER, ['ReRequested'], 'reRequested'),
  row('unfilled', 'close', hubActor, ['ManuallyClosed'], 'closed', { data: { reason: 'staff' } }),
];

describe('each command from each state it is allowed in', () => {
  it('covers every (state, allowed command) pair', () => {
    const covered = new Set(ROWS.map((r) => `${r.state} ${r.command}`));
    const missing: string[] = [];
    for (const [state, steps] of Object.entries(STATE_STEPS)) {
      for (const command of allowedIllCommands(illHistory(steps).state.snapshot)) {
        if (!covered.has(`${state} ${command}`)) missing.push(`${state} ${command}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it.each(ROWS.map((r) => [`${r.command} in ${r.state} -> ${r.events.join(' + ')} -> ${r.to}`, r]))('%s', (_name, r) => {
    let data = r.data;
    let time: string | undefined;
    const steps = r.steps ?? STATE_STEPS[r.state];
    if (r.deadline) {
      const pending = illHistory(steps).state.snapshot.context.deadlines[r.deadline];
      expect(pending).toBeDefined();
      data = { name: r.deadline, key: pending!.key, at: pending!.at };
      time = pending!.at;
    }
    const outcome = illSpec(steps)
      .when({ type: r.command, data, actor: r.actor, ...(time ? { time } : {}) })
      .then(r.events.map((type) => ({ type })))
      .thenState(r.to);
    if (r.lender !== undefined) expect(outcome.after?.snapshot.context.lender).toBe(r.lender);
  });
});
