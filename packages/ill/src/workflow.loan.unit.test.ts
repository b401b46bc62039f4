import { borrowerActor, hubActor, illHistory, illSpec, lenderActor, sampleShipment, STATE_STEPS, systemActor, toFirstLender } from './testing';
import type { HistoryStep } from './testing';

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const shipped = STATE_STEPS.shipped;
const inUse = STATE_STEPS['onLoan.inUse'];
const renew: HistoryStep = { type: 'requestRenewal', data: { note: 'patron needs more time' }, actor: BORROWER };

describe('receiving', () => {
  it('schedules the due deadline at the end of the due date', () => {
    const outcome = illSpec(shipped)
      .when({ type: 'receive', actor: BORROWER })
      .then([{ type: 'Received', data: { itemIds: ['ITEM-1'], missingItemIds: [] } }])
      .thenState('onLoan.received');
    expect(outcome.effects).toEqual([{ type: 'scheduleDeadline', params: { name: 'due', at: '2026-02-06T00:00:00.000Z', key: '2026-02-05' } }]);
  });

  it('takes a due date-time as given', () => {
    const steps = [...toFirstLender(), { type: 'ship' as const, data: sampleShipment({ dueDate: '2026-02-05T17:00:00Z' }), actor: LIB2 }];
    const outcome = illSpec(steps).when({ type: 'receive', actor: BORROWER });
    expect(outcome.effects).toEqual([{ type: 'scheduleDeadline', params: { name: 'due', at: '2026-02-05T17:00:00.000Z', key: '2026-02-05T17:00:00Z' } }]);
  });

  it('records a partial receipt of a multi-volume shipment', () => {
    const steps = [...toFirstLender(), { type: 'ship' as const, data: sampleShipment({ itemIds: ['V1', 'V2'] }), actor: LIB2 }];
    illSpec(steps).when({ type: 'receive', data: { itemIds: ['V2'] }, actor: BORROWER }).then([{ type: 'Received', data: { itemIds: ['V2'], missingItemIds: ['V1'] } }]);
  });

  it('refuses an item id that was not shipped, naming it', () => {
    illSpec(shipped).when({ type: 'receive', data: { itemIds: ['ITEM-1', 'ITEM-9'] }, actor: BORROWER }).thenThrows('VALIDATION', "data.itemIds[1]: 'ITEM-9' was not shipped");
  });

  it('takes the receipt only from the borrower or hub staff', () => {
    illSpec(shipped).when({ type: 'receive', actor: LIB2 }).thenThrows('FORBIDDEN', /only the borrower LIB1/);
    illSpec(shipped).when({ type: 'receive', actor: borrowerActor('LIB4') }).thenThrows('FORBIDDEN', /LIB4 \(borrowing\) may not/);
  });
});

describe('misdelivery and wrong items', () => {
  const misdelivered = STATE_STEPS.misdelivered;

  it('lets the library that got the item report it', () => {
    illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: 'LIB5', note: 'not ours' }, actor: lenderActor('LIB5') }).then([{ type: 'Misdelivered', data: { receivedBy: 'LIB5', lender: 'LIB2' } }]);
  });

  it('refuses a misdelivery report from an uninvolved library', () => {
    illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: 'LIB5' }, actor: lenderActor('LIB4') }).thenThrows('FORBIDDEN', /only the borrower LIB1, the current lender LIB2 or hub staff/);
  });

  it('refuses a misdelivery "to" the borrower', () => {
    illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: 'LIB1' }, actor: hubActor }).thenThrows('VALIDATION', 'data.receivedBy: is the borrower LIB1');
  });

  it('refuses a misdelivery to a library that is not in the directory, naming data.receivedBy', () => {
    illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: 'NOPE' }, actor: hubActor }).thenThrows('VALIDATION', "data.receivedBy: unknown library 'NOPE'");
    // the library that says it received the item must exist too
    illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: 'LIB99' }, actor: lenderActor('LIB99') }).thenThrows('VALIDATION', "data.receivedBy: unknown library 'LIB99'");
  });

  it('takes a parcel returned to the lender that sent it as a misdelivery (it can be rerouted to the borrower)', () => {
    illSpec(shipped).when({ type: 'reportMisdelivered', data: { receivedBy: 'LIB2' }, actor: LIB2 }).then([{ type: 'Misdelivered', data: { receivedBy: 'LIB2', lender: 'LIB2' } }]).thenState('misdelivered');
  });

  it('reroutes the item to the borrower', () => {
    const outcome = illSpec(misdelivered).when({ type: 'reroute', data: { trackingId: 'TRK9' }, actor: hubActor }).then([{ type: 'Rerouted', data: { from: 'LIB5', to: 'LIB1', trackingId: 'TRK9' } }]).thenState('shipped');
    expect(outcome.after!.snapshot.context).toMatchObject({ misdeliveredTo: null, trackingId: 'TRK9' });
  });

  it('returns the item to the lender and re-requests', () => {
    const outcome = illSpec(misdelivered)
      .when({ type: 'returnMisdelivered', actor: hubActor })
      .then([{ type: 'MisdeliveredReturned', data: { from: 'LIB5', newRequestId: 'REQ-1-r1' } }])
      .thenState('returnShipped');
    expect(outcome.effects).toHaveLength(2);
    expect(outcome.effects[1]).toMatchObject({ type: 'notifyLenderOf', params: { library: 'LIB2', about: 'returnShipped' } });
    expect(outcome.effects[0]).toMatchObject({
      type: 'startReRequest',
      params: { requestId: 'REQ-1', newRequestId: 'REQ-1-r1', reason: 'misdeliveredReturned', borrower: 'LIB1', request: { relatedRequestId: 'REQ-1', material: { title: 'Field Guide to Mosses' } }, triedLenders: ['LIB2'] },
    });
  });

  it('takes reroute decisions from hub staff only', () => {
    illSpec(misdelivered).when({ type: 'reroute', actor: BORROWER }).thenThrows('FORBIDDEN', /only hub staff \(role hub\) may send 'reroute'/);
  });

  it('keeps a wrong item on loan until it is returned, and re-requests', () => {
    const outcome = illSpec(STATE_STEPS['onLoan.received'])
      .when({ type: 'reportWrongItem', data: { note: 'a different edition' }, actor: BORROWER })
      .then([{ type: 'WrongItemReported', data: { note: 'a different edition', newRequestId: 'REQ-1-r1' } }])
      .thenState('onLoan.awaitingReturn');
    expect(outcome.effects).toEqual([expect.objectContaining({ type: 'startReRequest', params: expect.objectContaining({ newRequestId: 'REQ-1-r1', reason: 'wrongItem' }) })]);
  });

  it('requires a note on a wrong item', () => {
    illSpec(STATE_STEPS['onLoan.received']).when({ type: 'reportWrongItem', data: {}, actor: BORROWER }).thenThrows('VALIDATION', 'data.note');
  });
});

describe('renewals and recalls', () => {
  it('grants one renewal with a new due date, rescheduling the due deadline', () => {
    const outcome = illSpec([...inUse, renew])
      .when({ type: 'grantRenewal', data: { dueDate: '2026-02-26' }, actor: LIB2 })
      .then([{ type: 'RenewalGranted', data: { dueDate: '2026-02-26', previousDueDate: '2026-02-05' } }])
      .thenState('onLoan.inUse');
    expect(outcome.effects).toEqual([
      { type: 'scheduleDeadline', params: { name: 'due', at: '2026-02-27T00:00:00.000Z', key: '2026-02-26' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'renewalGranted', lender: 'LIB2', position: 1 } },
    ]);
    expect(outcome.after!.snapshot.context).toMatchObject({ dueDate: '2026-02-26', renewals: 1, deadlines: { due: { key: '2026-02-26' } } });
  });

  it('keeps the due date when the renewal is denied', () => {
    const outcome = illSpec([...inUse, renew]).when({ type: 'denyRenewal', data: { note: 'on hold' }, actor: LIB2 }).then([{ type: 'RenewalDenied', data: { dueDate: '2026-02-05' } }]).thenState('onLoan.inUse');
    expect(outcome.after!.snapshot.context.dueDate).toBe('2026-02-05');
    expect(outcome.after!.snapshot.context.deadlines.due).toEqual({ at: '2026-02-06T00:00:00.000Z', key: '2026-02-05' });
  });

  it('refuses a second renewal request, saying one was already requested', () => {
    const granted = [...inUse, renew, { type: 'grantRenewal' as const, data: { dueDate: '2026-02-26' }, actor: LIB2 }];
    illSpec(granted).when(renew).thenThrows('ILLEGAL_STATE', /only one renewal may be requested \(state 'onLoan.inUse'\), and one was already requested on 2026-/);
  });

  it('refuses a renewal after a recall, saying so', () => {
    illSpec(STATE_STEPS['onLoan.recalled']).when(renew).thenThrows('ILLEGAL_STATE', /no renewal after a recall \(state 'onLoan.recalled'\): LIB2 recalled the item on 2026-/);
  });

  it('refuses a renewal after a recall even once overdue', () => {
    const recalledThenOverdue = [...STATE_STEPS['onLoan.recalled'], { deadline: 'due' as const }];
    expect(illHistory(recalledThenOverdue).state.stateName).toBe('onLoan.overdue');
    illSpec(recalledThenOverdue).when(renew).thenThrows('ILLEGAL_STATE', /no renewal after a recall/);
  });

  it('refuses a new due date that is not later than the current one', () => {
    illSpec([...inUse, renew]).when({ type: 'grantRenewal', data: { dueDate: '2026-02-05' }, actor: LIB2 }).thenThrows('VALIDATION', 'data.dueDate: must be after the current due date 2026-02-05');
  });

  it('goes back to overdue when a renewal is denied after the due date passed', () => {
    const late = [...inUse, { deadline: 'due' as const }, renew];
    expect(illHistory(late).state.stateName).toBe('onLoan.renewalPending');
    illSpec(late).when({ type: 'denyRenewal', actor: LIB2 }).thenState('onLoan.overdue');
  });

  it('goes back to in use when a renewal granted after the due date moves it into the future', () => {
    const late = [...inUse, { deadline: 'due' as const }, renew];
    const outcome = illSpec(late).when({ type: 'grantRenewal', data: { dueDate: '2026-03-31' }, actor: LIB2 }).thenState('onLoan.inUse');
    expect(outcome.after!.snapshot.context.overdue).toBe(false);
  });

  it('is overdue at once when the granted due date is already past', () => {
    const pending = [...inUse, renew];
    const outcome = illSpec(pending).when({ type: 'grantRenewal', data: { dueDate: '2026-02-10' }, actor: LIB2, time: '2026-02-12T10:00:00.000Z' }).thenState('onLoan.overdue');
    expect(outcome.effects.filter((e) => e.type.endsWith('Deadline'))).toEqual([{ type: 'cancelDeadline', params: { name: 'due' } }]);
    expect(outcome.after!.snapshot.context.deadlines).toEqual({});
  });

  it('notes the due date passing while a renewal is pending, and lets the answer decide', () => {
    const pending = [...inUse, renew];
    const due = illHistory(pending).state.snapshot.context.deadlines.due!;
    const outcome = illSpec(pending)
      .when({ type: 'deadlineReached', data: { name: 'due', key: due.key, at: due.at }, actor: systemActor, time: due.at })
      .then([{ type: 'LoanOverdue', data: { dueDate: '2026-02-05', deadlineAt: due.at } }])
      .thenState('onLoan.renewalPending');
    expect(outcome.after!.snapshot.context).toMatchObject({ overdue: true, deadlines: {} });
  });

  it('recalls an item, telling the borrower', () => {
    const outcome = illSpec(inUse).when({ type: 'recall', data: { note: 'needed locally' }, actor: LIB2 }).thenState('onLoan.recalled');
    expect(outcome.effects).toEqual([{ type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'recalled', lender: 'LIB2', position: 1 } }]);
    expect(outcome.after!.snapshot.context.recalled).toBe(true);
  });

  it('takes renewal answers and recalls only from the lender or hub staff', () => {
    illSpec([...inUse, renew]).when({ type: 'grantRenewal', data: { dueDate: '2026-02-26' }, actor: BORROWER }).thenThrows('FORBIDDEN', /'grantRenewal' is a lender's command/);
    illSpec(inUse).when({ type: 'recall', actor: lenderActor('LIB3') }).thenThrows('FORBIDDEN', /LIB3 was not asked to supply request REQ-1 yet/);
  });
});

describe('overdue, return and check-in', () => {
  it('raises overdue by the due deadline, with no deadline left pending', () => {
    const due = illHistory(inUse).state.snapshot.context.deadlines.due!;
    expect(due).toEqual({ at: '2026-02-06T00:00:00.000Z', key: '2026-02-05' });
    const outcome = illSpec(inUse)
      .when({ type: 'deadlineReached', data: { name: 'due', key: due.key, at: due.at }, actor: systemActor, time: due.at })
      .then([{ type: 'LoanOverdue' }])
      .thenState('onLoan.overdue');
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'due' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'overdue', lender: 'LIB2', position: 1 } },
    ]);
    expect(outcome.after!.snapshot.context.overdue).toBe(true);
  });

  it('refuses a due deadline from before a renewal', () => {
    const renewed = [...inUse, renew, { type: 'grantRenewal' as const, data: { dueDate: '2026-02-26' }, actor: LIB2 }];
    illSpec(renewed)
      .when({ type: 'deadlineReached', data: { name: 'due', key: '2026-02-05', at: '2026-02-06T00:00:00.000Z' }, actor: systemActor })
      .thenThrows('ILLEGAL_STATE', /stale deadline 'due' \(key 2026-02-05.*the pending 'due' deadline is key 2026-02-26/);
  });

  it('cancels the due deadline when the item is shipped back, and completes on check-in', () => {
    const returned = illSpec(inUse).when({ type: 'shipReturn', data: { trackingId: 'RET1' }, actor: BORROWER }).thenState('returnShipped');
    expect(returned.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'due' } },
      { type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about: 'returnShipped', borrower: 'LIB1', reason: null } },
    ]);
    expect(returned.after!.snapshot.context.returnTrackingId).toBe('RET1');
    illSpec(STATE_STEPS.returnShipped).when({ type: 'checkIn', actor: LIB2 }).then([{ type: 'CheckedIn', data: { lender: 'LIB2', position: 1 } }]).thenState('completed');
  });

  it('lets the lender check in an item the borrower did not mark as shipped back', () => {
    illSpec(STATE_STEPS['onLoan.overdue']).when({ type: 'checkIn', actor: LIB2 }).thenState('completed');
  });
});

describe('lost items, closing, re-requesting', () => {
  it('records a lost or damaged item from the borrower, the lender or hub staff', () => {
    illSpec(inUse).when({ type: 'reportLost', data: { kind: 'damaged', note: 'water' }, actor: LIB2 }).then([{ type: 'ItemLost', data: { kind: 'damaged', lender: 'LIB2', position: 1 } }]).thenState('lost');
    illSpec(inUse).when({ type: 'reportLost', data: { kind: 'lost' }, actor: lenderActor('LIB5') }).thenThrows('FORBIDDEN', /only the borrower LIB1, the current lender LIB2 or hub staff/);
    illSpec(inUse).when({ type: 'reportLost', data: { kind: 'stolen' }, actor: BORROWER }).thenThrows('VALIDATION', 'data.kind');
  });

  it('lets hub staff close any open request, cancelling its clock and telling the lender asked', () => {
    const outcome = illSpec(toFirstLender()).when({ type: 'close', data: { reason: 'duplicate request' }, actor: hubActor }).thenState('closed');
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'lenderResponse' } },
      { type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about: 'closed', borrower: 'LIB1', reason: 'duplicate request' } },
    ]);
    expect(outcome.after!.snapshot.context.rota[0]!.outcome).toBe('closed');
    expect(outcome.after!.snapshot.context.endReason).toBe('duplicate request');
  });

  it('lets only hub staff close', () => {
    illSpec(toFirstLender()).when({ type: 'close', data: { reason: 'x' }, actor: BORROWER }).thenThrows('FORBIDDEN', /only hub staff \(role hub\) may send 'close'/);
  });

  it('re-requests an unfilled request with a derived id', () => {
    const outcome = illSpec(STATE_STEPS.unfilled)
      .when({ type: 'reRequest', data: { note: 'wider rota' }, actor: BORROWER })
      .then([{ type: 'ReRequested', data: { newRequestId: 'REQ-1-r1', note: 'wider rota' } }])
      .thenState('reRequested');
    expect(outcome.effects).toEqual([
      {
        type: 'startReRequest',
        params: expect.objectContaining({ requestId: 'REQ-1', newRequestId: 'REQ-1-r1', reason: 'unfilled', triedLenders: ['LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB8'] }),
      },
    ]);
  });

  it('numbers a re-request of a re-request', () => {
    const history = illHistory(STATE_STEPS.unfilled, { requestId: 'REQ-1-r1' });
    expect(history.state.stateName).toBe('unfilled');
    illSpec(STATE_STEPS.unfilled, { requestId: 'REQ-1-r1' }).when({ type: 'reRequest', actor: hubActor }).then([{ type: 'ReRequested', data: { newRequestId: 'REQ-1-r2' } }]);
  });
});
