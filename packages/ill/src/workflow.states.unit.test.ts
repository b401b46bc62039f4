import { emptyState, type Actor } from '@interlend/engine';
import { COMMAND_PARTY, COMMAND_TYPES, type IllCommandType } from './commands';
import { STATE_NAMES, TERMINAL_STATES, isTerminal, type IllStateName } from './events';
import { allowedIllCommands, illRequestWorkflow } from './workflow';
import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleRequest, sampleShipment, STATE_STEPS, systemActor } from './testing';

/** What each state accepts (guards ignored): the contract of `allowedCommands` and `interlend act --allowed`. */
const ALLOWED: Record<IllStateName, IllCommandType[]> = {
  needsReview: ['approve', 'reject', 'amend', 'cancel', 'close', 'deadlineReached'],
  networkCheck: ['fillLocally', 'notAvailableLocally', 'amend', 'cancel', 'close', 'deadlineReached'],
  'withLender.requested': ['expectToSupply', 'willSupply', 'answerConditional', 'retryPossible', 'cannotSupply', 'ship', 'amend', 'cancel', 'close', 'deadlineReached'],
  // withdrawFromLender joins these three once a lender clock fell due (workflow.clocks.unit.test.ts).
  // scheduleMissingDeadline (the system's repair) wherever a supply, cancel-answer or need-before clock is tracked.
  'withLender.expectsToSupply': ['willSupply', 'answerConditional', 'retryPossible', 'cannotSupply', 'ship', 'amend', 'cancel', 'close', 'deadlineReached', 'scheduleMissingDeadline'],
  'withLender.willSupply': ['answerConditional', 'retryPossible', 'cannotSupply', 'ship', 'amend', 'cancel', 'close', 'deadlineReached', 'scheduleMissingDeadline'],
  'withLender.conditional': ['answerConditional', 'acceptConditions', 'rejectConditions', 'retryPossible', 'cannotSupply', 'ship', 'amend', 'cancel', 'close', 'deadlineReached'],
  'withLender.cancelPending': ['ship', 'amend', 'acceptCancel', 'refuseCancel', 'close', 'deadlineReached', 'scheduleMissingDeadline'],
  shipped: ['receive', 'reportMisdelivered', 'close', 'reportLost'],
  misdelivered: ['reroute', 'returnMisdelivered', 'close'],
  'onLoan.received': ['reportWrongItem', 'checkOutToPatron', 'requestRenewal', 'recall', 'shipReturn', 'checkIn', 'close', 'reportLost', 'deadlineReached'],
  'onLoan.inUse': ['requestRenewal', 'recall', 'shipReturn', 'checkIn', 'close', 'reportLost', 'deadlineReached'],
  'onLoan.renewalPending': ['grantRenewal', 'denyRenewal', 'recall', 'shipReturn', 'checkIn', 'close', 'reportLost', 'deadlineReached'],
  'onLoan.overdue': ['requestRenewal', 'recall', 'shipReturn', 'checkIn', 'close', 'reportLost'],
  'onLoan.recalled': ['shipReturn', 'checkIn', 'close', 'reportLost', 'deadlineReached'],
  'onLoan.awaitingReturn': ['shipReturn', 'checkIn', 'close', 'reportLost', 'deadlineReached'],
  returnShipped: ['checkIn', 'close', 'reportLost'],
  rejected: [],
  documentDelivery: [],
  filledLocally: [],
  unfilled: ['close', 'reRequest'],
  reRequested: [],
  cancelled: [],
  completed: [],
  wrongItemReturned: [],
  lost: [],
  closed: [],
};

/** Schema-valid data for every command, so that only the state can refuse it. */
const VALID_DATA: Record<IllCommandType, unknown> = {
  submit: sampleRequest(),
  approve: {},
  reject: { reason: 'not for loan' },
  fillLocally: {},
  notAvailableLocally: {},
  expectToSupply: {},
  willSupply: {},
  answerConditional: { condition: 'LibraryUseOnly' },
  acceptConditions: {},
  rejectConditions: {},
  retryPossible: { reason: 'OnLoan' },
  cannotSupply: { reason: 'NotHeld' },
  ship: sampleShipment(),
  amend: { maximumCost: { amount: 40, currency: 'USD' } },
  cancel: { reason: 'no longer needed' },
  acceptCancel: {},
  refuseCancel: {},
  withdrawFromLender: { reason: 'the lender has gone quiet' },
  receive: {},
  reportMisdelivered: { receivedBy: 'LIB5' },
  reroute: {},
  returnMisdelivered: {},
  reportWrongItem: { note: 'wrong edition' },
  checkOutToPatron: {},
  requestRenewal: {},
  grantRenewal: { dueDate: '2026-06-01' },
  denyRenewal: {},
  recall: {},
  shipReturn: {},
  checkIn: {},
  close: { reason: 'staff decision' },
  reportLost: { kind: 'lost' },
  reRequest: {},
  deadlineReached: { name: 'lenderResponse', key: '1', at: '2026-01-09T09:00:00.000Z' },
  scheduleMissingDeadline: { name: 'needBefore' },
};

/** An actor allowed to send the command in a state whose current lender is `lender`. */
function actorFor(type: IllCommandType, lender: string | null): Actor {
  switch (COMMAND_PARTY[type]) {
    case 'borrower':
      return borrowerActor();
    case 'lender':
      return lender ? lenderActor(lender) : hubActor;
    case 'system':
      return systemActor;
    default:
      return hubActor;
  }
}

describe('the states of a request', () => {
  it('lists every state name, terminal ones included', () => {
    expect(Object.keys(STATE_STEPS).sort()).toEqual([...STATE_NAMES].sort());
    for (const t of TERMINAL_STATES) expect(STATE_NAMES).toContain(t);
    expect(isTerminal('unfilled')).toBe(true);
    expect(isTerminal('withLender.requested')).toBe(false);
  });

  it('allows only submit on a request that does not exist yet', () => {
    expect(illRequestWorkflow.allowedCommands(emptyState(illRequestWorkflow, 'REQ-9'))).toEqual(['submit']);
    const spec = illSpec();
    expect(spec.state).toBeUndefined();
    spec.when({ type: 'approve', actor: borrowerActor() }).thenThrows('NOT_FOUND', /no ill-request 'REQ-1'/);
  });

  describe.each(STATE_NAMES.map((s) => [s]))('in state %s', (stateName) => {
    const history = illHistory(STATE_STEPS[stateName]);
    const spec = illSpec(STATE_STEPS[stateName]);
    const lender = history.state.snapshot.context.lender;

    it('is reached by its sample steps', () => {
      expect(history.state.stateName).toBe(stateName);
    });

    it(`allows exactly: ${ALLOWED[stateName].join(', ') || 'nothing'}`, () => {
      expect(allowedIllCommands(history.state.snapshot)).toEqual(ALLOWED[stateName]);
      expect(illRequestWorkflow.allowedCommands(history.state)).toEqual(ALLOWED[stateName]);
    });

    const refused = COMMAND_TYPES.filter((c) => !ALLOWED[stateName].includes(c));
    it.each(refused.map((c) => [c]))(`refuses %s with an IllegalStateError naming the state`, (type) => {
      const outcome = spec.when({ type, data: VALID_DATA[type], actor: actorFor(type, lender) });
      outcome.thenThrows('ILLEGAL_STATE', `state '${stateName}'`);
      expect((outcome.error as { details: { state: string } }).details.state).toBe(stateName);
    });
  });
});
