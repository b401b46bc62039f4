import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleShipment, STATE_STEPS, toFirstLender } from './testing';
import type { HistoryStep } from './testing';

/**
 * Amendments (issue 11, item 3): while no lender has shipped, the borrower (or hub staff) raises
 * the maximum cost or corrects the citation; the request keeps its state and rota position, and a
 * lender that answered "retry: CostExceedsMaxCost" is asked again at the new maximum.
 */

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const LIB3 = lenderActor('LIB3');
const usd = (amount: number) => ({ amount, currency: 'USD' });
/** The sample request with a 15 USD maximum (LIB1's own maximum is 25 USD), with its first lender LIB2. */
const first = toFirstLender({ maximumCost: usd(15) });
/** LIB2 (position 1) answered that the cost exceeds the 15 USD maximum: the request is with LIB3 (position 2). */
const costRetried: HistoryStep[] = [...first, { type: 'retryPossible', data: { reason: 'CostExceedsMaxCost', note: 'we charge 20 USD' }, actor: LIB2 }];
const raise = (amount: number, note?: string): HistoryStep => ({ type: 'amend', data: { maximumCost: usd(amount), ...(note ? { note } : {}) }, actor: BORROWER });

describe('raising the maximum cost', () => {
  it('records the old and new maximum and keeps the state, the rota position and the lender clock', () => {
    const before = illHistory(first).state.snapshot.context;
    const outcome = illSpec(first)
      .when(raise(25, 'patron will pay more'))
      .then([{ type: 'RequestAmended', data: { maximumCost: { from: usd(15), to: usd(25) }, reaskLenders: [], note: 'patron will pay more' } }])
      .thenState('withLender.requested');
    // No state exited or entered: nothing is scheduled or cancelled; the current lender is told.
    expect(outcome.effects).toEqual([
      { type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about: 'amended', borrower: 'LIB1', reason: 'patron will pay more' } },
    ]);
    const after = outcome.after!.snapshot.context;
    expect(after.costs.maximum).toEqual(usd(25));
    expect(after.request!.maximumCost).toEqual(usd(25));
    expect({ current: after.current, lender: after.lender, lenderRespondBy: after.lenderRespondBy, deadlines: after.deadlines }).toEqual({
      current: before.current,
      lender: before.lender,
      lenderRespondBy: before.lenderRespondBy,
      deadlines: before.deadlines,
    });
  });

  it('lets the current lender then ship at the new maximum', () => {
    illSpec(first).when({ type: 'ship', data: sampleShipment({ cost: usd(20) }), actor: LIB2 }).thenThrows('VALIDATION', 'data.cost: 20.00 USD exceeds the maximum cost 15.00 USD');
    illSpec([...first, raise(25)]).when({ type: 'ship', data: sampleShipment({ cost: usd(20) }), actor: LIB2 }).thenState('shipped');
  });

  it('does not restart the borrower clock of a conditional answer, and lets an offer under the new maximum be accepted without consent', () => {
    const steps: HistoryStep[] = [...first, { type: 'answerConditional', data: { condition: 'LibraryUseOnly', offeredCost: usd(20) }, actor: LIB2 }];
    const pending = illHistory(steps).state.snapshot.context.deadlines;
    const amended = illSpec(steps).when(raise(20)).thenState('withLender.conditional');
    expect(amended.effects.map((e) => `${e.type} ${String(e.params.about)}`)).toEqual(['notifyLenderOf amended']);
    expect(amended.after!.snapshot.context.deadlines).toEqual(pending);
    illSpec(steps).when({ type: 'acceptConditions', actor: BORROWER }).thenThrows('VALIDATION', 'data.consentToCost');
    illSpec([...steps, raise(20)])
      .when({ type: 'acceptConditions', actor: BORROWER })
      .then([{ type: 'ConditionsAccepted', data: { consentToCost: false, consentedCost: null } }])
      .thenState('withLender.willSupply');
  });

  it('marks a lender that answered "retry: CostExceedsMaxCost" to be asked again, and stays with the current lender', () => {
    const outcome = illSpec(costRetried)
      .when(raise(25))
      .then([{ type: 'RequestAmended', data: { maximumCost: { from: usd(15), to: usd(25) }, reaskLenders: [{ lender: 'LIB2', position: 1 }] } }])
      .thenState('withLender.requested');
    // Only the current lender (LIB3) is told; LIB2 is asked again when LIB3's turn ends.
    expect(outcome.effects).toMatchObject([{ type: 'notifyLenderOf', params: { library: 'LIB3', position: 2, about: 'amended' } }]);
    const context = outcome.after!.snapshot.context;
    expect(context.lender).toBe('LIB3');
    expect(context.rota[0]).toMatchObject({ library: 'LIB2', askAgain: true, outcome: 'retry: CostExceedsMaxCost' });
  });

  it('asks that lender again when the current lender’s turn ends, before any lender not yet asked, keeping its first turn', () => {
    const outcome = illSpec([...costRetried, raise(25)])
      .when({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: LIB3 })
      .then([{ type: 'LenderUnfilled', data: { lender: 'LIB3', position: 2 } }])
      .thenState('withLender.requested');
    expect(outcome.effects.find((e) => e.type === 'notifyLender')).toMatchObject({ params: { library: 'LIB2', position: 1 } });
    expect(outcome.effects.find((e) => e.type === 'scheduleDeadline')).toMatchObject({ params: { name: 'lenderResponse', key: '1' } });
    const context = outcome.after!.snapshot.context;
    expect({ current: context.current, lender: context.lender }).toEqual({ current: 1, lender: 'LIB2' });
    const lib2 = context.rota[0]!;
    expect(lib2).toMatchObject({ requestedAt: outcome.events[0]!.metadata.time, answeredAt: null, lastAnswer: null, outcome: null, leftAt: null });
    expect(lib2.askAgain).toBeUndefined();
    expect(lib2.earlierTurns).toEqual([{ requestedAt: expect.any(String), answeredAt: expect.any(String), lastAnswer: 'RetryPossible', outcome: 'retry: CostExceedsMaxCost', leftAt: expect.any(String) }]);
  });

  it('takes the lender’s shipment at the new maximum on its second turn', () => {
    const steps: HistoryStep[] = [...costRetried, raise(25), { type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: LIB3 }];
    illSpec(steps)
      .when({ type: 'ship', data: sampleShipment({ cost: usd(20) }), actor: LIB2 })
      .then([{ type: 'Shipped', data: { lender: 'LIB2', position: 1, cost: usd(20), maximumCost: usd(25) } }])
      .thenState('shipped');
  });

  it('goes on with the first lender not yet asked after the second turn ends', () => {
    const steps: HistoryStep[] = [...costRetried, raise(25), { type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: LIB3 }];
    const outcome = illSpec(steps).when({ type: 'cannotSupply', data: { reason: 'NotOnShelf' }, actor: LIB2 }).thenState('withLender.requested');
    const context = outcome.after!.snapshot.context;
    expect({ current: context.current, lender: context.lender }).toEqual({ current: 3, lender: 'LIB4' });
    expect(context.rota[0]).toMatchObject({ outcome: 'unfilled: NotOnShelf', earlierTurns: [expect.objectContaining({ outcome: 'retry: CostExceedsMaxCost' })] });
  });

  it('takes the answers of the lender asked again at its position, and refuses the lender the rota left', () => {
    const steps: HistoryStep[] = [...costRetried, raise(25), { type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: LIB3 }];
    illSpec(steps).when({ type: 'willSupply', data: { rotaPosition: 1 }, actor: LIB2 }).thenState('withLender.willSupply');
    illSpec(steps).when({ type: 'willSupply', actor: LIB3 }).thenThrows('FORBIDDEN', /LIB3's answer is too late/);
  });

  it('does not ask again a lender that asked to retry for another reason', () => {
    const onLoan: HistoryStep[] = [...first, { type: 'retryPossible', data: { reason: 'OnLoan' }, actor: LIB2 }];
    illSpec(onLoan).when(raise(25)).then([{ type: 'RequestAmended', data: { reaskLenders: [] } }]);
  });

  it('is deterministic: folding the stored events again gives the same context', () => {
    const steps: HistoryStep[] = [...costRetried, raise(25), { type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: LIB3 }];
    const executed = illHistory(steps).state.snapshot.context;
    const replayed = illSpec(steps).state!.snapshot.context; // `given` folds the events written
    expect(replayed).toEqual(executed);
    expect(replayed.rota[0]!.earlierTurns).toHaveLength(1);
  });
});

describe('correcting the citation', () => {
  it('records only the fields that change, with their old value (null where none)', () => {
    const outcome = illSpec(first)
      .when({ type: 'amend', data: { material: { title: 'Field Guide to Mosses', edition: '2nd ed.', publicationYear: 2004 } }, actor: BORROWER })
      .then([{ type: 'RequestAmended', data: { material: { edition: { from: null, to: '2nd ed.' }, publicationYear: { from: 1998, to: 2004 } }, reaskLenders: [] } }])
      .thenState('withLender.requested');
    expect(outcome.events[0]!.data).not.toHaveProperty('maximumCost');
    expect(outcome.after!.snapshot.context.request!.material).toEqual({
      format: 'book',
      title: 'Field Guide to Mosses',
      author: 'Lindqvist, A.',
      isbn: '9780000000001',
      edition: '2nd ed.',
      publicationYear: 2004,
    });
  });

  it('may be sent in review and in the network check, by hub staff too', () => {
    illSpec(STATE_STEPS.needsReview).when({ type: 'amend', data: { material: { author: 'Someone, B.' } }, actor: BORROWER }).thenState('needsReview');
    illSpec(STATE_STEPS.networkCheck).when({ type: 'amend', data: { maximumCost: usd(30) }, actor: hubActor }).thenState('networkCheck');
    illSpec(first).when({ type: 'amend', data: { maximumCost: usd(20) }, actor: hubActor }).thenState('withLender.requested');
  });

  it('refuses to change the format or flags (screening decided on them), naming the field', () => {
    illSpec(first).when({ type: 'amend', data: { material: { format: 'article' } }, actor: BORROWER }).thenThrows('VALIDATION', /data\.material/);
    illSpec(first).when({ type: 'amend', data: { material: { flags: ['rare'] } }, actor: BORROWER }).thenThrows('VALIDATION', /data\.material/);
  });
});

describe('refusals', () => {
  it('refuses a lower maximum, naming data.maximumCost.amount', () => {
    illSpec(first).when(raise(10)).thenThrows('VALIDATION', 'data.maximumCost.amount: must not be lower than the maximum cost 15.00 USD');
  });

  it('refuses another currency, naming data.maximumCost.currency', () => {
    illSpec(first).when({ type: 'amend', data: { maximumCost: { amount: 40, currency: 'EUR' } }, actor: BORROWER }).thenThrows('VALIDATION', 'data.maximumCost.currency: must be USD');
  });

  it('refuses the borrower a maximum above its library’s own maximum; hub staff may raise it beyond (docs/workflow/costs.md)', () => {
    illSpec(first).when(raise(26)).thenThrows('VALIDATION', "data.maximumCost.amount: 26.00 USD is above LIB1's maximum cost 25.00 USD: only hub staff (role hub) may raise it beyond that");
    illSpec(first)
      .when({ type: 'amend', data: { maximumCost: usd(40) }, actor: hubActor })
      .then([{ type: 'RequestAmended', data: { maximumCost: { from: usd(15), to: usd(40) } } }])
      .thenState('withLender.requested');
  });

  it('refuses an amendment that changes nothing', () => {
    illSpec(first).when({ type: 'amend', data: {}, actor: BORROWER }).thenThrows('VALIDATION', 'data: must raise maximumCost or correct material');
    illSpec(first).when({ type: 'amend', data: { note: 'just a note' }, actor: BORROWER }).thenThrows('VALIDATION', 'data: must raise maximumCost or correct material');
    illSpec(first)
      .when({ type: 'amend', data: { maximumCost: usd(15), material: { title: 'Field Guide to Mosses' } }, actor: BORROWER })
      .thenThrows('VALIDATION', 'data: changes nothing');
  });

  it('refuses once the item has shipped, naming the state, and does not offer amend again', () => {
    const outcome = illSpec(STATE_STEPS.shipped).when(raise(25)).thenThrows('ILLEGAL_STATE', "'amend' is not allowed once the item has shipped (state 'shipped'): LIB2 shipped it on");
    expect((outcome.error as { details: { allowed: string[] } }).details.allowed).toEqual(['receive', 'reportMisdelivered', 'reportLost']);
    illSpec(STATE_STEPS['onLoan.inUse']).when(raise(25)).thenThrows('ILLEGAL_STATE', "once the item has shipped (state 'onLoan.inUse')");
  });

  it('refuses in a state that ended before anything shipped, with the generic refusal', () => {
    illSpec(STATE_STEPS.cancelled).when(raise(25)).thenThrows('ILLEGAL_STATE', /'amend' is not allowed in state 'cancelled'.*allowed now: none that LIB1 \(borrowing\) may send/);
  });

  it('takes an amendment only from the borrower or hub staff', () => {
    illSpec(first).when({ type: 'amend', data: { maximumCost: usd(40) }, actor: LIB2 }).thenThrows('FORBIDDEN', /only the borrower LIB1/);
    illSpec(first).when({ type: 'amend', data: { maximumCost: usd(40) }, actor: borrowerActor('LIB4') }).thenThrows('FORBIDDEN', /LIB4 \(borrowing\) may not/);
  });
});
