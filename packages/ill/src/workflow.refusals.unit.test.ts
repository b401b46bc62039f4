import { emptyState } from '@interlend/engine';
import { illRequestWorkflow } from './workflow';
import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleRequest, STATE_STEPS, systemActor } from './testing';

/**
 * Refusals list only what the caller could send now (issue 11, item 7): authorization applied,
 * never the timer-only `deadlineReached`, never the command just refused; and say so when nothing
 * is left.
 */

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
type Refusal = { message: string; details: { state: string; allowed: string[]; command: string } };
const refusal = (outcome: { error?: unknown }): Refusal => outcome.error as Refusal;

describe('what a refusal lists', () => {
  it('lists only the borrower’s commands to the borrower, without the timer’s', () => {
    const outcome = illSpec(STATE_STEPS['withLender.requested']).when({ type: 'receive', actor: BORROWER }).thenThrows('ILLEGAL_STATE');
    expect(refusal(outcome).details).toEqual({ state: 'withLender.requested', allowed: ['amend', 'cancel'], command: 'receive' });
    expect(refusal(outcome).message).toMatch(/; allowed now: amend, cancel$/);
  });

  it('lists only the current lender’s commands to the lender', () => {
    const outcome = illSpec(STATE_STEPS['withLender.requested']).when({ type: 'checkIn', actor: LIB2 }).thenThrows('ILLEGAL_STATE');
    expect(refusal(outcome).details.allowed).toEqual(['expectToSupply', 'willSupply', 'answerConditional', 'retryPossible', 'cannotSupply', 'ship']);
  });

  it('lists every person’s command to hub staff, but never deadlineReached', () => {
    const outcome = illSpec(STATE_STEPS['withLender.requested']).when({ type: 'receive', actor: hubActor }).thenThrows('ILLEGAL_STATE');
    expect(refusal(outcome).details.allowed).toEqual(['expectToSupply', 'willSupply', 'answerConditional', 'retryPossible', 'cannotSupply', 'ship', 'amend', 'cancel', 'close']);
  });

  it('never lists the command just refused (a second cancel while one is pending)', () => {
    const outcome = illSpec(STATE_STEPS['withLender.cancelPending']).when({ type: 'cancel', data: { reason: 'again' }, actor: BORROWER }).thenThrows('ILLEGAL_STATE', /a cancel is already pending/);
    expect(refusal(outcome).details.allowed).not.toContain('cancel');
    // withdrawFromLender is the state's too, but only once a lender clock fell due: not offered yet.
    expect(refusal(outcome).details.allowed).toEqual(['amend']);
    expect(refusal(outcome).message).not.toMatch(/allowed now:.*\bcancel\b/);
  });

  it('never lists the command just refused (a second renewal)', () => {
    const steps = [...STATE_STEPS['onLoan.renewalPending'], { type: 'denyRenewal' as const, actor: LIB2 }];
    const outcome = illSpec(steps).when({ type: 'requestRenewal', actor: BORROWER }).thenThrows('ILLEGAL_STATE', /only one renewal may be requested/);
    expect(refusal(outcome).details.allowed).toEqual(['shipReturn', 'reportLost']);
    expect(refusal(outcome).message).toMatch(/; allowed now: shipReturn, reportLost$/);
  });

  it('says so when nothing is left for this caller', () => {
    const outcome = illSpec(STATE_STEPS.shipped).when({ type: 'checkIn', actor: lenderActor('LIB3') }).thenThrows('FORBIDDEN');
    expect(outcome).toBeDefined(); // an uninvolved lender is refused before the state is looked at
    const ended = illSpec(STATE_STEPS.completed).when({ type: 'close', data: { reason: 'tidy up' }, actor: hubActor }).thenThrows('ILLEGAL_STATE');
    expect(refusal(ended).details.allowed).toEqual([]);
    expect(refusal(ended).message).toMatch(/; allowed now: none that HUB \(hub\) may send$/);
  });

  it('lists the lender’s few commands while the item is in transit', () => {
    const outcome = illSpec(STATE_STEPS.shipped).when({ type: 'ship', data: { itemIds: ['X'], dueDate: '2026-03-01', cost: { amount: 1, currency: 'USD' } }, actor: LIB2 }).thenThrows('ILLEGAL_STATE');
    expect(refusal(outcome).details.allowed).toEqual(['reportMisdelivered', 'reportLost']);
  });

  it('lists nothing to the timer service when its deadline is stale', () => {
    const history = illHistory(STATE_STEPS['withLender.requested']);
    const pending = history.state.snapshot.context.deadlines.lenderResponse!;
    const outcome = illSpec(STATE_STEPS['withLender.requested'])
      .when({ type: 'deadlineReached', data: { name: 'lenderResponse', key: '7', at: pending.at }, actor: systemActor, time: pending.at })
      .thenThrows('ILLEGAL_STATE', /stale deadline/);
    expect(refusal(outcome).details.allowed).toEqual([]);
    expect(refusal(outcome).message).toMatch(/allowed now: none that system \(system\) may send$/);
  });

  it('refuses a second submit of an existing request, listing what the borrower may do instead', () => {
    const outcome = illSpec(STATE_STEPS.networkCheck).when({ type: 'submit', data: sampleRequest(), actor: BORROWER }).thenThrows('ILLEGAL_STATE', /already exists/);
    expect(refusal(outcome).details.allowed).toEqual(['fillLocally', 'notAvailableLocally', 'amend', 'cancel']);
  });
});

describe('allowedCommands with an actor', () => {
  it('leaves out what this request refuses all the same: no second renewal', () => {
    const denied = illHistory([...STATE_STEPS['onLoan.renewalPending'], { type: 'denyRenewal', actor: LIB2 }]).state;
    expect(denied.stateName).toBe('onLoan.inUse');
    expect(illRequestWorkflow.allowedCommands(denied)).toContain('requestRenewal');
    expect(illRequestWorkflow.allowedCommands(denied, BORROWER)).toEqual(['shipReturn', 'reportLost']);
    const first = illHistory(STATE_STEPS['onLoan.inUse']).state;
    expect(illRequestWorkflow.allowedCommands(first, BORROWER)).toEqual(['requestRenewal', 'shipReturn', 'reportLost']);
  });

  it('lists what the state accepts without an actor, and what the actor may send with one', () => {
    const { state } = illHistory(STATE_STEPS['withLender.requested']);
    expect(illRequestWorkflow.allowedCommands(state)).toContain('deadlineReached');
    expect(illRequestWorkflow.allowedCommands(state, BORROWER)).toEqual(['amend', 'cancel']);
    expect(illRequestWorkflow.allowedCommands(state, lenderActor('LIB3'))).toEqual([]);
    expect(illRequestWorkflow.allowedCommands(state, systemActor)).toEqual([]);
  });

  it('offers submit on a request that does not exist to a borrower or hub staff, not to a lender', () => {
    const empty = emptyState(illRequestWorkflow, 'REQ-9');
    expect(illRequestWorkflow.allowedCommands(empty, BORROWER)).toEqual(['submit']);
    expect(illRequestWorkflow.allowedCommands(empty, hubActor)).toEqual(['submit']);
    expect(illRequestWorkflow.allowedCommands(empty, LIB2)).toEqual([]);
  });
});
