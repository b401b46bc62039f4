import { fold } from '@interlend/engine';
import { isTerminal, TERMINAL_STATES } from './events';
import { allowedIllCommands, illRequestWorkflow } from './workflow';
import { borrowerActor, illHistory, illSpec, lenderActor, STATE_STEPS } from './testing';

/** A wrong item is not a fill (issue 11, item 6): returned and checked in, it ends in `wrongItemReturned`. */

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const awaitingReturn = STATE_STEPS['onLoan.awaitingReturn'];
const returned: Parameters<typeof illHistory>[0] = [...awaitingReturn, { type: 'shipReturn', data: { trackingId: 'RET1' }, actor: BORROWER }];

describe('a wrong item, returned and checked in', () => {
  it('ends wrongItemReturned, not completed, when the lender checks the return in', () => {
    const outcome = illSpec(returned).when({ type: 'checkIn', actor: LIB2 }).then([{ type: 'CheckedIn', data: { lender: 'LIB2', position: 1 } }]).thenState('wrongItemReturned');
    expect(outcome.after!.snapshot.status).toBe('done');
    expect(outcome.after!.snapshot.context.wrongItemReportedAt).toEqual(expect.any(String));
  });

  it('ends wrongItemReturned when the lender checks it in before the return was recorded as shipped', () => {
    illSpec(awaitingReturn).when({ type: 'checkIn', actor: LIB2 }).thenState('wrongItemReturned');
  });

  it('still ends completed for the right item', () => {
    illSpec(STATE_STEPS.returnShipped).when({ type: 'checkIn', actor: LIB2 }).thenState('completed');
    illSpec(STATE_STEPS['onLoan.inUse']).when({ type: 'checkIn', actor: LIB2 }).thenState('completed');
  });

  it('is a terminal state that accepts nothing', () => {
    expect(TERMINAL_STATES).toContain('wrongItemReturned');
    expect(isTerminal('wrongItemReturned')).toBe(true);
    expect(allowedIllCommands(illHistory(STATE_STEPS.wrongItemReturned).state.snapshot)).toEqual([]);
    illSpec(STATE_STEPS.wrongItemReturned).when({ type: 'close', data: { reason: 'done' }, actor: { id: 'HUB', role: 'hub' } }).thenThrows('ILLEGAL_STATE', "state 'wrongItemReturned'");
  });

  it('folds an old log, whose check-in was stored as completed, to wrongItemReturned (the fold decides the state now)', () => {
    const history = illHistory(STATE_STEPS.wrongItemReturned);
    const stored = history.stored.map((e) => (e.type === 'CheckedIn' ? { ...e, metadata: { ...e.metadata, stateAfter: 'completed' } } : e));
    expect(stored.at(-1)!.metadata.stateAfter).toBe('completed');
    expect(fold(illRequestWorkflow, 'REQ-1', stored).stateName).toBe('wrongItemReturned');
  });
});
