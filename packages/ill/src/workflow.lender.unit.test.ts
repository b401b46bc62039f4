import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleShipment, SAMPLE_CANDIDATES, systemActor, toFirstLender } from './testing';
import type { HistoryStep } from './testing';

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const LIB3 = lenderActor('LIB3');
const first = toFirstLender();
/** LIB2 cannot supply, LIB3 lets its deadline pass: the request is with LIB4 at position 3. */
const movedOn = [...first, { type: 'cannotSupply' as const, data: { reason: 'NotHeld' as const }, actor: LIB2 }, { deadline: 'lenderResponse' as const }];

describe('answers from lenders', () => {
  it('rejects a late answer from a lender the rota already left', () => {
    illSpec(movedOn)
      .when({ type: 'willSupply', actor: LIB3 })
      .thenThrows('FORBIDDEN', "LIB3's answer is too late: the rota moved on from position 2 (LIB3, timed out) to position 3 (LIB4)");
  });

  it('rejects a shipment from a lender the rota already left', () => {
    illSpec(movedOn).when({ type: 'ship', data: sampleShipment(), actor: LIB2 }).thenThrows('FORBIDDEN', /LIB2's answer is too late: the rota moved on from position 1 \(LIB2, unfilled: NotHeld\) to position 3 \(LIB4\)/);
  });

  it('rejects an answer that names a rota position the rota left, even from hub staff', () => {
    illSpec(movedOn)
      .when({ type: 'willSupply', data: { rotaPosition: 2 }, actor: hubActor })
      .thenThrows('FORBIDDEN', 'the answer for position 2 is too late: the rota moved on from position 2 (LIB3, timed out) to position 3 (LIB4)');
  });

  it('rejects a late answer once the rota ended', () => {
    const ended = [...first, ...SAMPLE_CANDIDATES.map((code): HistoryStep => ({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor(code) }))];
    illSpec(ended).when({ type: 'willSupply', actor: LIB2 }).thenThrows('FORBIDDEN', /too late: the rota moved on from position 1 \(LIB2, unfilled: NotHeld\) and ended/);
  });

  it('accepts the current rota position when given', () => {
    illSpec(movedOn).when({ type: 'willSupply', data: { rotaPosition: 3 }, actor: lenderActor('LIB4') }).then([{ type: 'WillSupplyAnswered', data: { lender: 'LIB4', position: 3 } }]);
  });

  it('rejects an answer from a library never asked', () => {
    illSpec(first).when({ type: 'willSupply', actor: lenderActor('LIB7') }).thenThrows('FORBIDDEN', /LIB7 was not asked to supply request REQ-1 \(not among its rota's candidates\); only the current lender LIB2 \(position 1\) or hub staff/);
    illSpec(first).when({ type: 'willSupply', actor: lenderActor('ZZZ') }).thenThrows('FORBIDDEN', /ZZZ was not asked to supply request REQ-1 \(not among its rota's candidates\); only the current lender LIB2/);
  });

  it('rejects an answer from a candidate not asked yet', () => {
    illSpec(first).when({ type: 'willSupply', actor: lenderActor('LIB4') }).thenThrows('FORBIDDEN', /LIB4 was not asked to supply request REQ-1 yet \(it is at position 3\)/);
  });

  it('rejects a rota position never asked', () => {
    illSpec(first).when({ type: 'willSupply', data: { rotaPosition: 4 }, actor: hubActor }).thenThrows('FORBIDDEN', /rota position 4 of request REQ-1 was never asked/);
  });

  it("rejects a lender's command from the borrower", () => {
    illSpec(first).when({ type: 'willSupply', actor: BORROWER }).thenThrows('FORBIDDEN', /'willSupply' is a lender's command: only the current lender LIB2 \(position 1\) \(role lending\) or hub staff/);
  });

  it("rejects a borrower's command from the lender", () => {
    illSpec(first).when({ type: 'cancel', data: { reason: 'x' }, actor: LIB2 }).thenThrows('FORBIDDEN', /only the borrower LIB1 \(role borrowing\) or hub staff may send 'cancel'/);
  });

  it('lets hub staff answer for the current lender', () => {
    illSpec(first).when({ type: 'expectToSupply', actor: hubActor }).then([{ type: 'ExpectToSupplyAnswered', data: { lender: 'LIB2', position: 1 } }]);
  });

  it('accepts an unknown actor role nowhere', () => {
    illSpec(first).when({ type: 'willSupply', actor: { id: 'LIB2', role: 'patron' } }).thenThrows('FORBIDDEN', /unknown role 'patron'/);
  });

  it('refuses an answer with an invalid reason, naming the field', () => {
    illSpec(first).when({ type: 'cannotSupply', data: { reason: 'Busy' }, actor: LIB2 }).thenThrows('VALIDATION', 'data.reason');
    illSpec(first).when({ type: 'retryPossible', data: {}, actor: LIB2 }).thenThrows('VALIDATION', 'data.reason');
    illSpec(first).when({ type: 'answerConditional', data: { condition: 'NoFood' }, actor: LIB2 }).thenThrows('VALIDATION', 'data.condition');
    illSpec(first).when({ type: 'willSupply', data: { rotaPosition: 0 }, actor: LIB2 }).thenThrows('VALIDATION', 'data.rotaPosition');
  });
});

describe('moving along the rota', () => {
  it('moves to the next lender on cannot supply, recording the outcome, cancelling the old clock and starting the new one', () => {
    const outcome = illSpec(first)
      .when({ type: 'cannotSupply', data: { reason: 'NotHeld', note: 'not in catalogue' }, actor: LIB2 })
      .then([{ type: 'LenderUnfilled', data: { lender: 'LIB2', position: 1, reason: 'NotHeld', note: 'not in catalogue' } }])
      .thenState('withLender.requested');
    expect(outcome.effects.map((e) => e.type)).toEqual(['cancelDeadline', 'notifyLender', 'scheduleDeadline']);
    expect(outcome.effects[0]).toEqual({ type: 'cancelDeadline', params: { name: 'lenderResponse' } });
    expect(outcome.effects[1]).toMatchObject({ params: { library: 'LIB3', position: 2 } });
    expect(outcome.effects[2]).toMatchObject({ params: { name: 'lenderResponse', key: '2' } });
    const rota = outcome.after!.snapshot.context.rota;
    expect(rota[0]).toMatchObject({ library: 'LIB2', outcome: 'unfilled: NotHeld', lastAnswer: 'Unfilled', answeredAt: expect.any(String), leftAt: expect.any(String) });
    expect(rota[1]).toMatchObject({ library: 'LIB3', outcome: null, requestedAt: expect.any(String) });
  });

  it('moves to the next lender on retry possible', () => {
    const outcome = illSpec(first).when({ type: 'retryPossible', data: { reason: 'CostExceedsMaxCost' }, actor: LIB2 });
    expect(outcome.after!.snapshot.context.rota[0]!.outcome).toBe('retry: CostExceedsMaxCost');
    expect(outcome.after!.snapshot.context.lender).toBe('LIB3');
  });

  it('moves to the next lender when a lender does not answer in time', () => {
    const h = illHistory(first);
    const pending = h.state.snapshot.context.deadlines.lenderResponse!;
    const outcome = illSpec(first)
      .when({ type: 'deadlineReached', data: { name: 'lenderResponse', key: '1', at: pending.at }, actor: systemActor, time: pending.at })
      .then([{ type: 'LenderTimedOut', data: { lender: 'LIB2', position: 1, deadlineAt: pending.at } }])
      .thenState('withLender.requested');
    expect(outcome.after!.snapshot.context.rota[0]!.outcome).toBe('timed out');
    expect(outcome.after!.snapshot.context.rota[0]!.answeredAt).toBeNull();
  });

  it('ends the rota as unfilled after the last lender times out, telling the borrower', () => {
    const steps = [...first, ...SAMPLE_CANDIDATES.slice(0, 4).map(() => ({ deadline: 'lenderResponse' as const }))];
    const outcome = illSpec(steps);
    const last = illHistory(steps).state.snapshot.context;
    expect(last.lender).toBe('LIB8');
    const pending = last.deadlines.lenderResponse!;
    const result = outcome
      .when({ type: 'deadlineReached', data: { name: 'lenderResponse', key: '5', at: pending.at }, actor: systemActor, time: pending.at })
      .then([{ type: 'LenderTimedOut' }])
      .thenState('unfilled');
    expect(result.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'lenderResponse' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'unfilled', lender: null, position: null } },
    ]);
    expect(result.after!.snapshot.context.rota.filter((e) => e.status === 'candidate').map((e) => e.outcome)).toEqual(['timed out', 'timed out', 'timed out', 'timed out', 'timed out']);
    expect(result.after!.snapshot.context.current).toBeNull();
  });

  it('gives the lender of last resort its own, longer clock (8 business days)', () => {
    const steps = [...first, ...SAMPLE_CANDIDATES.slice(0, 4).map(() => ({ deadline: 'lenderResponse' as const }))];
    const context = illHistory(steps).state.snapshot.context;
    const entry = context.rota.find((e) => e.library === 'LIB8')!;
    expect(entry.lastResort).toBe(true);
    expect(entry.daysToRespond).toBe(8);
  });
});

describe('deadlines', () => {
  it('refuses a deadline whose key no longer matches the current position', () => {
    illSpec(movedOn)
      .when({ type: 'deadlineReached', data: { name: 'lenderResponse', key: '2', at: '2026-01-09T09:03:00.000Z' }, actor: systemActor })
      .thenThrows('ILLEGAL_STATE', /stale deadline 'lenderResponse' \(key 2, .*the pending 'lenderResponse' deadline is key 3 .*position 3 \(LIB4\) in state 'withLender.requested'/);
  });

  it('refuses a deadline that was replaced by a later one of the same name', () => {
    const steps = [...first, { type: 'answerConditional' as const, data: { condition: 'LibraryUseOnly' as const }, actor: LIB2 }];
    const before = illHistory(steps).state.snapshot.context.deadlines.conditionalAnswer!;
    const again = [...steps, { type: 'answerConditional' as const, data: { condition: 'NoReproduction' as const }, actor: LIB2, time: '2026-01-06T12:00:00.000Z' }];
    illSpec(again)
      .when({ type: 'deadlineReached', data: { name: 'conditionalAnswer', key: before.key, at: before.at }, actor: systemActor })
      .thenThrows('ILLEGAL_STATE', /stale deadline 'conditionalAnswer'/);
  });

  it('refuses a deadline no longer pending', () => {
    illSpec([...first, { type: 'willSupply', actor: LIB2 }])
      .when({ type: 'deadlineReached', data: { name: 'lenderResponse', key: '1', at: '2026-01-09T09:01:00.000Z' }, actor: systemActor })
      .thenThrows('ILLEGAL_STATE', /stale deadline 'lenderResponse' .*no 'lenderResponse' deadline is pending.* in state 'withLender.willSupply'/);
  });

  it('refuses an unknown deadline name, naming the field', () => {
    illSpec(first).when({ type: 'deadlineReached', data: { name: 'lunch', key: '1', at: '2026-01-09T09:01:00.000Z' }, actor: systemActor }).thenThrows('VALIDATION', "data.name: unknown deadline 'lunch'");
  });

  it('takes deadlines only from the timer service', () => {
    illSpec(first)
      .when({ type: 'deadlineReached', data: { name: 'lenderResponse', key: '1', at: '2026-01-09T09:01:00.000Z' }, actor: hubActor })
      .thenThrows('FORBIDDEN', /sent by the timer service only \(role system\)/);
    illSpec(first).when({ type: 'willSupply', actor: systemActor }).thenThrows('FORBIDDEN', /the system actor may send only 'deadlineReached'/);
  });
});

describe('conditional answers', () => {
  const conditional = (offered?: number) => [
    ...first,
    { type: 'answerConditional' as const, data: { condition: 'LibraryUseOnly' as const, ...(offered !== undefined ? { offeredCost: { amount: offered, currency: 'USD' } } : {}) }, actor: LIB2, time: '2026-01-05T10:00:00.000Z' },
  ];

  it('gives the borrower 4 business days, and tells it', () => {
    const outcome = illSpec(first)
      .when({ type: 'answerConditional', data: { condition: 'SignatureRequired', offeredCost: { amount: 20, currency: 'USD' } }, actor: LIB2, time: '2026-01-08T10:00:00.000Z' })
      .then([{ type: 'ConditionalAnswered', data: { condition: 'SignatureRequired', offeredCost: { amount: 20, currency: 'USD' }, respondBy: '2026-01-14T10:00:00.000Z' } }])
      .thenState('withLender.conditional');
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'lenderResponse' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'conditionalAnswer', lender: 'LIB2', position: 1 } },
      { type: 'scheduleDeadline', params: { name: 'conditionalAnswer', at: '2026-01-14T10:00:00.000Z', key: '1' } },
    ]);
    expect(outcome.after!.snapshot.context.costs).toMatchObject({ offered: { amount: 20, currency: 'USD' }, maximum: { amount: 25, currency: 'USD' } });
  });

  it('restarts the clock on each new conditional answer', () => {
    const outcome = illSpec(conditional(20)).when({ type: 'answerConditional', data: { condition: 'NoReproduction' }, actor: LIB2, time: '2026-01-07T10:00:00.000Z' }).thenState('withLender.conditional');
    expect(outcome.effects.filter((e) => e.type.endsWith('Deadline'))).toEqual([
      { type: 'cancelDeadline', params: { name: 'conditionalAnswer' } },
      { type: 'scheduleDeadline', params: { name: 'conditionalAnswer', at: '2026-01-13T10:00:00.000Z', key: '1' } },
    ]);
    const context = outcome.after!.snapshot.context;
    expect(context.conditions.map((c) => c.condition)).toEqual(['LibraryUseOnly', 'NoReproduction']);
    expect(context.costs.offered).toEqual({ amount: 20, currency: 'USD' });
  });

  it('moves on when the borrower does not answer in time', () => {
    const pending = illHistory(conditional()).state.snapshot.context.deadlines.conditionalAnswer!;
    const outcome = illSpec(conditional())
      .when({ type: 'deadlineReached', data: { name: 'conditionalAnswer', key: '1', at: pending.at }, actor: systemActor, time: pending.at })
      .then([{ type: 'ConditionalAnswerExpired' }]);
    expect(outcome.after!.snapshot.context.rota[0]!.outcome).toBe('conditions expired');
    expect(outcome.after!.snapshot.context.lender).toBe('LIB3');
  });

  it('accepts conditions within the maximum cost', () => {
    const outcome = illSpec(conditional(20))
      .when({ type: 'acceptConditions', actor: BORROWER })
      .then([{ type: 'ConditionsAccepted', data: { consentToCost: false, consentedCost: null, offeredCost: { amount: 20, currency: 'USD' } } }])
      .thenState('withLender.willSupply');
    // The borrower's clock stops; the lender's supply clock starts (lender-clocks.md).
    expect(outcome.effects.map((e) => `${e.type} ${String(e.params.name)}`)).toEqual(['cancelDeadline conditionalAnswer', 'scheduleDeadline supply']);
    expect(outcome.after!.snapshot.context.conditionsStatus).toBe('accepted');
  });

  it('refuses to accept an offer above the maximum cost without consent, saying how', () => {
    illSpec(conditional(40))
      .when({ type: 'acceptConditions', actor: BORROWER })
      .thenThrows('VALIDATION', 'data.consentToCost: LIB2 offers 40.00 USD, above the maximum cost 25.00 USD: send consentToCost: true to accept that cost');
  });

  it('records consent to a higher cost, which then lets a shipment up to it through', () => {
    const accepted = [...conditional(40), { type: 'acceptConditions' as const, data: { consentToCost: true }, actor: BORROWER }];
    const h = illHistory(accepted);
    expect(h.events.at(-1)).toMatchObject({ type: 'ConditionsAccepted', data: { consentToCost: true, consentedCost: { amount: 40, currency: 'USD' } } });
    expect(h.state.snapshot.context.costs.consented).toEqual({ amount: 40, currency: 'USD' });
    illSpec(accepted)
      .when({ type: 'ship', data: sampleShipment({ cost: { amount: 40, currency: 'USD' } }), actor: LIB2 })
      .then([{ type: 'Shipped', data: { cost: { amount: 40, currency: 'USD' }, offeredCost: { amount: 40, currency: 'USD' }, costDiffersFromOffer: false, consentedCost: { amount: 40, currency: 'USD' } } }]);
    illSpec(accepted)
      .when({ type: 'ship', data: sampleShipment({ cost: { amount: 41, currency: 'USD' } }), actor: LIB2 })
      .thenThrows('VALIDATION', /data.cost: 41.00 USD exceeds the cost 40.00 USD the borrower consented to/);
  });

  it('moves on when the borrower rejects the conditions', () => {
    const outcome = illSpec(conditional()).when({ type: 'rejectConditions', data: { note: 'patron needs to take it home' }, actor: BORROWER }).then([{ type: 'ConditionsRejected' }]);
    expect(outcome.after!.snapshot.context.rota[0]!.outcome).toBe('conditions rejected');
    expect(outcome.effects.map((e) => e.type)).toEqual(['cancelDeadline', 'notifyLender', 'scheduleDeadline']);
  });

  it('presumes the conditions accepted when the lender ships anyway', () => {
    const outcome = illSpec(conditional(20))
      .when({ type: 'ship', data: sampleShipment({ cost: { amount: 15, currency: 'USD' }, conditions: ['LibraryUseOnly'] }), actor: LIB2 })
      .then([{ type: 'Shipped', data: { conditionsPresumedAccepted: true, costDiffersFromOffer: true, offeredCost: { amount: 20, currency: 'USD' } } }]);
    expect(outcome.after!.snapshot.context.conditionsStatus).toBe('presumed');
    expect(outcome.after!.snapshot.context.costs).toEqual({
      maximum: { amount: 25, currency: 'USD' },
      offered: { amount: 20, currency: 'USD' },
      actual: { amount: 15, currency: 'USD' },
      consented: null,
      differsFromOffer: true,
    });
  });

  it('resets costs and conditions when the rota moves to the next lender', () => {
    const outcome = illSpec(conditional(40)).when({ type: 'rejectConditions', actor: BORROWER });
    const context = outcome.after!.snapshot.context;
    expect(context.costs).toEqual({ maximum: { amount: 25, currency: 'USD' }, offered: null, actual: null, consented: null, differsFromOffer: false });
    expect(context.conditions).toEqual([]);
    expect(context.conditionsStatus).toBe('none');
    expect(context.deadlines).toEqual({ lenderResponse: expect.objectContaining({ key: '2' }) });
  });

  it('refuses an offer in another currency', () => {
    illSpec(first)
      .when({ type: 'answerConditional', data: { condition: 'Other', offeredCost: { amount: 5, currency: 'EUR' } }, actor: LIB2 })
      .thenThrows('VALIDATION', "data.offeredCost.currency: must be USD, the currency of the request's maximum cost");
  });
});

describe('shipping', () => {
  it('ships several volumes in one shipment and tells the borrower', () => {
    const outcome = illSpec(first)
      .when({ type: 'ship', data: sampleShipment({ itemIds: ['V1', 'V2', 'V3'] }), actor: LIB2 })
      .then([
        {
          type: 'Shipped',
          data: {
            lender: 'LIB2',
            position: 1,
            itemIds: ['V1', 'V2', 'V3'],
            dueDate: '2026-02-05',
            cost: { amount: 10, currency: 'USD' },
            maximumCost: { amount: 25, currency: 'USD' },
            offeredCost: null,
            costDiffersFromOffer: false,
            conditionsPresumedAccepted: false,
            cancelRefused: false,
            trackingId: 'TRK1',
            sentVia: 'courier',
          },
        },
      ])
      .thenState('shipped');
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'lenderResponse' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'shipped', lender: 'LIB2', position: 1 } },
    ]);
    expect(outcome.after!.snapshot.context).toMatchObject({ itemIds: ['V1', 'V2', 'V3'], dueDate: '2026-02-05', trackingId: 'TRK1', deadlines: {} });
    expect(outcome.after!.snapshot.context.rota[0]).toMatchObject({ outcome: 'supplied', lastAnswer: 'Shipped', leftAt: null });
  });

  it('refuses a shipment above the maximum cost', () => {
    illSpec(first)
      .when({ type: 'ship', data: sampleShipment({ cost: { amount: 30, currency: 'USD' } }), actor: LIB2 })
      .thenThrows('VALIDATION', /data.cost: 30.00 USD exceeds the maximum cost 25.00 USD; answer retryPossible \(CostExceedsMaxCost\) or answerConditional/);
  });

  it('accepts a shipment at exactly the maximum cost', () => {
    illSpec(first).when({ type: 'ship', data: sampleShipment({ cost: { amount: 25, currency: 'USD' } }), actor: LIB2 }).thenState('shipped');
  });

  it('refuses a shipment in another currency, duplicate item ids, no item, or a due date already past', () => {
    const spec = illSpec(first);
    spec.when({ type: 'ship', data: sampleShipment({ cost: { amount: 1, currency: 'CAD' } }), actor: LIB2 }).thenThrows('VALIDATION', 'data.cost.currency');
    spec.when({ type: 'ship', data: sampleShipment({ itemIds: ['A', 'B', 'A'] }), actor: LIB2 }).thenThrows('VALIDATION', "data.itemIds[2]: duplicate item id 'A'");
    spec.when({ type: 'ship', data: sampleShipment({ itemIds: [] }), actor: LIB2 }).thenThrows('VALIDATION', 'data.itemIds: must list at least one item id');
    spec.when({ type: 'ship', data: sampleShipment({ dueDate: '2026-01-01' }), actor: LIB2 }).thenThrows('VALIDATION', 'data.dueDate: must be after the shipment');
    spec.when({ type: 'ship', data: sampleShipment({ dueDate: 'next month' }), actor: LIB2 }).thenThrows('VALIDATION', 'data.dueDate');
  });
});
