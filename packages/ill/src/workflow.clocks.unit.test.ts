import type { Effect } from '@interlend/engine';
import { workflowSpec } from '@interlend/engine/testing';
import { parseDirectory } from './directory';
import { allowedIllCommands, illRequestWorkflow } from './workflow';
import type { HistoryStep } from './testing';
import {
  borrowerActor,
  hubActor,
  illHistory,
  illSpec,
  lenderActor,
  sampleDirectory,
  sampleDirectoryJson,
  sampleRequest,
  sampleShipment,
  STATE_STEPS,
  systemActor,
  toFirstLender,
} from './testing';

/**
 * Lender clocks and the need-before date (docs/workflow/lender-clocks.md): a lender that promised
 * to supply and never ships, a cancel request never answered, a request no longer needed.
 * The sample steps run one minute apart from Monday 2026-01-05 09:01 UTC (the first lender is asked
 * at 09:02, so a command after it runs at 09:03).
 */

/** A step of a history: a command, or a pending deadline firing. */
type Step = Parameters<typeof illHistory>[0][number];

const BORROWER = borrowerActor();
const LIB2 = lenderActor('LIB2');
const first = toFirstLender();
const expects: HistoryStep[] = [...first, { type: 'expectToSupply', actor: LIB2 }];
const willSupply: HistoryStep[] = [...first, { type: 'willSupply', actor: LIB2 }];
const cancel = (continueWithNextLender?: boolean): HistoryStep => ({
  type: 'cancel',
  data: { reason: 'patron left town', ...(continueWithNextLender === undefined ? {} : { continueWithNextLender }) },
  actor: BORROWER,
});
const withdraw = (data: { reason: string; continueWithNextLender?: boolean } = { reason: 'LIB2 has gone quiet' }): HistoryStep => ({ type: 'withdrawFromLender', data, actor: BORROWER });

const ofType = (effects: readonly Effect[], type: string) => effects.filter((e) => e.type === type);
const deadlineEffects = (effects: readonly Effect[]) =>
  effects.filter((e) => e.type === 'scheduleDeadline' || e.type === 'cancelDeadline').map((e) => `${e.type} ${String(e.params.name)}${e.params.at ? ` ${String(e.params.at)}` : ''}`);

describe('the supply clock: a lender that promised to supply must ship', () => {
  it('starts when the lender expects to supply: 5 business days by default', () => {
    // Monday 09:03 + 5 business days = the next Monday 09:03.
    const outcome = illSpec(first).when({ type: 'expectToSupply', actor: LIB2 }).thenState('withLender.expectsToSupply');
    expect(ofType(outcome.effects, 'scheduleDeadline')).toEqual([{ type: 'scheduleDeadline', params: { name: 'supply', at: '2026-01-12T09:03:00.000Z', key: '1' } }]);
    expect(outcome.after!.snapshot.context.deadlines.supply).toEqual({ at: '2026-01-12T09:03:00.000Z', key: '1' });
  });

  it('starts again when the lender then says it will supply', () => {
    const outcome = illSpec(expects).when({ type: 'willSupply', actor: LIB2, time: '2026-01-07T10:00:00.000Z' }).thenState('withLender.willSupply');
    expect(deadlineEffects(outcome.effects)).toEqual(['cancelDeadline supply', 'scheduleDeadline supply 2026-01-14T10:00:00.000Z']);
  });

  it("takes the days from the lender's profile, skipping its closures", () => {
    const json = sampleDirectoryJson();
    const lib2 = json.libraries.find((l) => l.code === 'LIB2')!;
    lib2.daysToShip = 2;
    lib2.closures = [{ from: '2026-01-06', to: '2026-01-07', reason: 'move' }];
    const outcome = illSpec(first, { directory: parseDirectory(json) }).when({ type: 'willSupply', actor: LIB2 });
    // Tuesday and Wednesday closed: Thursday is the first business day, Friday the second.
    expect(outcome.after!.snapshot.context.deadlines.supply!.at).toBe('2026-01-09T09:03:00.000Z');
  });

  it("takes the directory's network-wide default where the profile sets none", () => {
    const json = { ...sampleDirectoryJson(), lenderClocks: { daysToShip: 3 } };
    const outcome = illSpec(first, { directory: parseDirectory(json) }).when({ type: 'willSupply', actor: LIB2 });
    expect(outcome.after!.snapshot.context.deadlines.supply!.at).toBe('2026-01-08T09:03:00.000Z');
  });

  it('keeps the terms its rota recorded when the directory changes later', () => {
    const json = { ...sampleDirectoryJson(), lenderClocks: { daysToShip: 3 } };
    const h = illHistory(first, { directory: parseDirectory(json) });
    const rotaBuilt = h.events.find((e) => e.type === 'RotaBuilt')!;
    expect((rotaBuilt.data as { candidates: { library: string; daysToShip?: number }[] }).candidates[0]).toMatchObject({ library: 'LIB2', daysToShip: 3 });
    // The same history, answered once the directory is back to the default of 5 days: still 3.
    const outcome = workflowSpec(illRequestWorkflow, { services: { directory: sampleDirectory() }, streamId: 'REQ-1', time: '2026-01-05T09:03:00.000Z' })
      .given(...h.events)
      .when({ type: 'willSupply', actor: LIB2 });
    expect(outcome.after!.snapshot.context.deadlines.supply!.at).toBe('2026-01-08T09:03:00.000Z');
  });

  it('does not record the default terms in RotaBuilt (lean events), and a rota without them folds with the defaults', () => {
    const h = illHistory(first);
    const candidates = (h.events.find((e) => e.type === 'RotaBuilt')!.data as { candidates: object[] }).candidates;
    for (const c of candidates) expect(Object.keys(c)).not.toEqual(expect.arrayContaining(['daysToShip']));
    expect(illSpec(first).when({ type: 'willSupply', actor: LIB2 }).after!.snapshot.context.deadlines.supply!.at).toBe('2026-01-12T09:03:00.000Z');
  });

  it('falls due: SupplyOverdue, the request stays with the lender, aging, and the borrower is told', () => {
    const pending = illHistory(willSupply).state.snapshot.context.deadlines.supply!;
    const outcome = illSpec(willSupply)
      .when({ type: 'deadlineReached', data: { name: 'supply', key: pending.key, at: pending.at }, actor: systemActor, time: pending.at })
      .then([{ type: 'SupplyOverdue', data: { lender: 'LIB2', position: 1, deadlineAt: pending.at } }])
      .thenState('withLender.willSupply');
    // The deadline that fired is cancelled (no state is left to do it): the timer worker holds nothing to fire again.
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'supply' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'supplyOverdue', lender: 'LIB2', position: 1 } },
    ]);
    expect(outcome.after!.snapshot.context.aging).toEqual({ clock: 'supply', deadlineAt: pending.at, since: pending.at });
    expect(outcome.after!.snapshot.context.deadlines.supply).toBeUndefined();
  });

  it('refuses a supply deadline replaced by a later one as stale', () => {
    const old = illHistory(expects).state.snapshot.context.deadlines.supply!;
    illSpec([...expects, { type: 'willSupply', actor: LIB2, time: '2026-01-08T09:00:00.000Z' }])
      .when({ type: 'deadlineReached', data: { name: 'supply', key: old.key, at: old.at }, actor: systemActor, time: old.at })
      .thenThrows('ILLEGAL_STATE', /stale deadline 'supply'.*the pending 'supply' deadline is key 1 at 2026-01-15T09:00:00.000Z/);
  });

  it('ends when the lender ships, and a late deadline is then refused', () => {
    const pending = illHistory(willSupply).state.snapshot.context.deadlines.supply!;
    const shipped = illSpec(willSupply).when({ type: 'ship', data: sampleShipment(), actor: LIB2 }).thenState('shipped');
    expect(deadlineEffects(shipped.effects)).toEqual(['cancelDeadline supply']);
    expect(shipped.after!.snapshot.context.deadlines).toEqual({});
    illSpec([...willSupply, { type: 'ship', data: sampleShipment(), actor: LIB2 }])
      .when({ type: 'deadlineReached', data: { name: 'supply', key: pending.key, at: pending.at }, actor: systemActor, time: pending.at })
      .thenThrows('ILLEGAL_STATE', /'deadlineReached' is not allowed in state 'shipped'/);
  });

  it('ends on a conditional answer and starts again when the conditions are accepted', () => {
    const conditional = illSpec(willSupply).when({ type: 'answerConditional', data: { condition: 'LibraryUseOnly' }, actor: LIB2 }).thenState('withLender.conditional');
    expect(deadlineEffects(conditional.effects)[0]).toBe('cancelDeadline supply');
    const accepted = illSpec([...willSupply, { type: 'answerConditional', data: { condition: 'LibraryUseOnly' }, actor: LIB2 }]).when({
      type: 'acceptConditions',
      actor: BORROWER,
      time: '2026-01-06T09:00:00.000Z',
    });
    expect(deadlineEffects(accepted.effects)).toEqual(['cancelDeadline conditionalAnswer', 'scheduleDeadline supply 2026-01-13T09:00:00.000Z']);
  });

  it('is restored as it was when a cancel is refused, not started afresh', () => {
    const original = illHistory(willSupply).state.snapshot.context.deadlines.supply!;
    const outcome = illSpec([...willSupply, cancel()]).when({ type: 'refuseCancel', actor: LIB2, time: '2026-01-07T12:00:00.000Z' }).thenState('withLender.willSupply');
    expect(ofType(outcome.effects, 'scheduleDeadline')).toEqual([{ type: 'scheduleDeadline', params: { name: 'supply', at: original.at, key: '1' } }]);
  });

  it('stays fallen due through a refused cancel: not scheduled again, still aging', () => {
    const outcome = illSpec([...willSupply, { deadline: 'supply' }, cancel()]).when({ type: 'refuseCancel', actor: LIB2 }).thenState('withLender.willSupply');
    expect(ofType(outcome.effects, 'scheduleDeadline')).toEqual([]);
    expect(outcome.after!.snapshot.context.aging).toMatchObject({ clock: 'supply' });
  });

  it('lets the late lender still ship, which ends the aging', () => {
    const outcome = illSpec([...willSupply, { deadline: 'supply' }]).when({ type: 'ship', data: sampleShipment(), actor: LIB2 }).thenState('shipped');
    expect(outcome.after!.snapshot.context.aging).toBeNull();
  });
});

describe('the cancel-answer clock: a lender asked to cancel must answer', () => {
  it('starts with the cancel request: 2 business days by default, from the profile where it sets one', () => {
    const json = sampleDirectoryJson();
    json.libraries.find((l) => l.code === 'LIB2')!.daysToAnswerCancel = 1;
    const outcome = illSpec(willSupply, { directory: parseDirectory(json) }).when({ ...cancel(), time: '2026-01-09T15:00:00.000Z' }).thenState('withLender.cancelPending');
    // Friday 15:00 + 1 business day = Monday 15:00; the supply clock stops meanwhile.
    expect(deadlineEffects(outcome.effects)).toEqual(['cancelDeadline supply', 'scheduleDeadline cancelAnswer 2026-01-12T15:00:00.000Z']);
  });

  it('falls due: CancelUnanswered, the request stays pending, aging, and the borrower is told', () => {
    const steps = [...willSupply, cancel()];
    const pending = illHistory(steps).state.snapshot.context.deadlines.cancelAnswer!;
    const outcome = illSpec(steps)
      .when({ type: 'deadlineReached', data: { name: 'cancelAnswer', key: pending.key, at: pending.at }, actor: systemActor, time: pending.at })
      .then([{ type: 'CancelUnanswered', data: { lender: 'LIB2', position: 1, deadlineAt: pending.at } }])
      .thenState('withLender.cancelPending');
    expect(outcome.effects).toEqual([
      { type: 'cancelDeadline', params: { name: 'cancelAnswer' } },
      { type: 'notifyBorrower', params: { requestId: 'REQ-1', borrower: 'LIB1', about: 'cancelUnanswered', lender: 'LIB2', position: 1 } },
    ]);
    expect(outcome.after!.snapshot.context.aging).toMatchObject({ clock: 'cancelAnswer' });
  });

  it('ends with the answer: a refusal restores the supply clock, an acceptance ends the request', () => {
    const refused = illSpec([...willSupply, cancel()]).when({ type: 'refuseCancel', actor: LIB2 });
    expect(deadlineEffects(refused.effects)[0]).toBe('cancelDeadline cancelAnswer');
    expect(refused.after!.snapshot.context.deadlines.cancelAnswer).toBeUndefined();
    const late = illSpec([...willSupply, cancel(), { deadline: 'cancelAnswer' }]).when({ type: 'acceptCancel', actor: LIB2 }).thenState('cancelled');
    expect(late.after!.snapshot.context.aging).toBeNull();
  });

  it('clears the aging when a late lender refuses the cancel (its supply clock then runs again)', () => {
    const outcome = illSpec([...willSupply, cancel(), { deadline: 'cancelAnswer' }]).when({ type: 'refuseCancel', actor: LIB2 }).thenState('withLender.willSupply');
    expect(outcome.after!.snapshot.context.aging).toBeNull();
    expect(ofType(outcome.effects, 'scheduleDeadline').map((e) => e.params.name)).toEqual(['supply']);
  });
});

describe('withdrawing from an aging lender (withdrawFromLender)', () => {
  it('is refused before a lender clock fell due, naming the state and the deadline', () => {
    illSpec(willSupply)
      .when(withdraw())
      .thenThrows('ILLEGAL_STATE', /'withdrawFromLender' is allowed only once a lender clock has fallen due; in state 'withLender.willSupply' LIB2's 'supply' deadline is due at 2026-01-12T09:03:00.000Z/);
    illSpec([...willSupply, cancel()]).when(withdraw()).thenThrows('ILLEGAL_STATE', /in state 'withLender.cancelPending' LIB2's 'cancelAnswer' deadline is due at/);
  });

  it('is listed among the allowed commands only once a lender clock fell due', () => {
    expect(allowedIllCommands(illHistory(willSupply).state.snapshot)).not.toContain('withdrawFromLender');
    expect(allowedIllCommands(illHistory([...willSupply, { deadline: 'supply' }]).state.snapshot)).toContain('withdrawFromLender');
    expect(allowedIllCommands(illHistory([...willSupply, cancel(), { deadline: 'cancelAnswer' }]).state.snapshot)).toContain('withdrawFromLender');
  });

  it('is refused where no lender clock runs', () => {
    illSpec(first).when(withdraw()).thenThrows('ILLEGAL_STATE', /not allowed in state 'withLender.requested'/);
    illSpec(STATE_STEPS.shipped).when(withdraw()).thenThrows('ILLEGAL_STATE', /state 'shipped'/);
  });

  it('moves on to the next lender once the supply clock fell due, telling the lender withdrawn from', () => {
    const outcome = illSpec([...expects, { deadline: 'supply' }])
      .when(withdraw())
      .then([{ type: 'WithdrawnFromLender', data: { lender: 'LIB2', position: 1, reason: 'LIB2 has gone quiet', continueWithNextLender: true, clock: 'supply' } }])
      .thenState('withLender.requested');
    const context = outcome.after!.snapshot.context;
    expect(context.lender).toBe('LIB3');
    expect(context.rota[0]).toMatchObject({ library: 'LIB2', outcome: 'withdrawn: supply overdue' });
    expect(context.aging).toBeNull();
    expect(ofType(outcome.effects, 'notifyLenderOf')).toEqual([
      { type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about: 'withdrawn', borrower: 'LIB1', reason: 'LIB2 has gone quiet' } },
    ]);
    expect(ofType(outcome.effects, 'notifyLender')).toMatchObject([{ params: { library: 'LIB3', position: 2 } }]);
  });

  it('cancels the request when staff do not continue, with their reason', () => {
    const outcome = illSpec([...willSupply, { deadline: 'supply' }])
      .when({ type: 'withdrawFromLender', data: { reason: 'patron gave up waiting', continueWithNextLender: false }, actor: hubActor })
      .thenState('cancelled');
    expect(outcome.after!.snapshot.context.endReason).toBe('patron gave up waiting');
  });

  it('ends unfilled when no lender is left to move on to', () => {
    const last: Step[] = [
      ...first,
      ...['LIB2', 'LIB3', 'LIB4', 'LIB5'].map((code): HistoryStep => ({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor(code) })),
      { type: 'willSupply', actor: lenderActor('LIB8') },
      { deadline: 'supply' },
    ];
    illSpec(last).when(withdraw()).thenState('unfilled');
  });

  it("after an unanswered cancel, follows the cancel's own choice unless told otherwise", () => {
    illSpec([...willSupply, cancel(true), { deadline: 'cancelAnswer' }])
      .when(withdraw())
      .then([{ type: 'WithdrawnFromLender', data: { continueWithNextLender: true, clock: 'cancelAnswer' } }])
      .thenState('withLender.requested');
    const ended = illSpec([...willSupply, cancel(), { deadline: 'cancelAnswer' }]).when(withdraw()).thenState('cancelled');
    expect(ended.after!.snapshot.context.rota[0]!.outcome).toBe('withdrawn: cancel unanswered');
  });

  it('may be sent by the borrower or hub staff only', () => {
    illSpec([...willSupply, { deadline: 'supply' }])
      .when({ type: 'withdrawFromLender', data: { reason: 'x' }, actor: LIB2 })
      .thenThrows('FORBIDDEN', /only the borrower LIB1 \(role borrowing\) or hub staff may send 'withdrawFromLender'/);
  });

  it('requires a reason, naming the field', () => {
    illSpec([...willSupply, { deadline: 'supply' }])
      .when({ type: 'withdrawFromLender', data: {} as never, actor: BORROWER })
      .thenThrows('VALIDATION', /data\.reason/);
  });
});

describe('the need-before date ends the search when it passes before anything shipped', () => {
  const NEED_BEFORE = '2026-01-20';
  const submitted: HistoryStep[] = toFirstLender({ needBefore: NEED_BEFORE }).slice(0, 1);
  const withLender: HistoryStep[] = toFirstLender({ needBefore: NEED_BEFORE });

  it('is scheduled on submit, due when that day is over', () => {
    const outcome = illSpec().when({ type: 'submit', data: sampleRequest({ needBefore: NEED_BEFORE }), actor: BORROWER }).thenState('networkCheck');
    expect(outcome.effects).toEqual([{ type: 'scheduleDeadline', params: { name: 'needBefore', at: '2026-01-21T00:00:00.000Z', key: NEED_BEFORE } }]);
  });

  it('is not scheduled for a request without one', () => {
    const outcome = illSpec().when({ type: 'submit', data: sampleRequest(), actor: BORROWER });
    expect(outcome.effects).toEqual([]);
  });

  it('cancels the request while it is with a lender, telling the borrower and that lender, and stops the lender clocks', () => {
    const steps = [...withLender, { type: 'willSupply', actor: LIB2 } as HistoryStep];
    const outcome = illSpec(steps)
      .when({ type: 'deadlineReached', data: { name: 'needBefore', key: NEED_BEFORE, at: '2026-01-21T00:00:00.000Z' }, actor: systemActor, time: '2026-01-21T00:00:00.000Z' })
      .then([{ type: 'NeedBeforePassed', data: { needBefore: NEED_BEFORE, lender: 'LIB2', position: 1, deadlineAt: '2026-01-21T00:00:00.000Z' } }])
      .thenState('cancelled');
    const context = outcome.after!.snapshot.context;
    expect(context.endReason).toBe('not needed after 2026-01-20: the need-before date passed before anything shipped');
    expect(context.rota[0]!.outcome).toBe('cancelled: need-before date passed');
    expect(context.deadlines).toEqual({});
    expect(deadlineEffects(outcome.effects)).toEqual(['cancelDeadline supply']);
    expect(ofType(outcome.effects, 'notifyBorrower')).toMatchObject([{ params: { about: 'needBeforePassed', lender: 'LIB2' } }]);
    expect(ofType(outcome.effects, 'notifyLenderOf')).toEqual([
      { type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about: 'needBeforePassed', borrower: 'LIB1', reason: 'not needed after 2026-01-20' } },
    ]);
  });

  it('cancels a request no lender was asked for yet, telling only the borrower', () => {
    const outcome = illSpec(submitted).when({ type: 'deadlineReached', data: { name: 'needBefore', key: NEED_BEFORE, at: '2026-01-21T00:00:00.000Z' }, actor: systemActor }).thenState('cancelled');
    expect(outcome.effects.map((e) => e.type)).toEqual(['notifyBorrower']);
  });

  it('ends once the item ships; a late need-before deadline is then refused as stale', () => {
    const shipped = illSpec(withLender).when({ type: 'ship', data: sampleShipment(), actor: LIB2 }).thenState('shipped');
    expect(deadlineEffects(shipped.effects)).toEqual(['cancelDeadline lenderResponse', 'cancelDeadline needBefore']);
    illSpec([...withLender, { type: 'ship', data: sampleShipment(), actor: LIB2 }])
      .when({ type: 'deadlineReached', data: { name: 'needBefore', key: NEED_BEFORE, at: '2026-01-21T00:00:00.000Z' }, actor: systemActor })
      .thenThrows('ILLEGAL_STATE', /'deadlineReached' is not allowed in state 'shipped'/);
  });

  // Every way a request can end before anything shipped leaves no need-before deadline pending.
  const ends: [string, Step[], string][] = [
    ['rejected at screening', [{ type: 'submit', data: sampleRequest({ needBefore: NEED_BEFORE, material: { format: 'ebook', title: 'Digital Mosses' } }), actor: BORROWER }], 'rejected'],
    [
      'handed to document delivery',
      [{ type: 'submit', data: sampleRequest({ needBefore: NEED_BEFORE, serviceType: 'Copy', material: { format: 'article', title: 'Mosses of the North', issn: '1234-5678' } }), actor: BORROWER }],
      'documentDelivery',
    ],
    [
      'rejected by staff',
      [
        { type: 'submit', data: sampleRequest({ needBefore: NEED_BEFORE, material: { format: 'book', title: 'Parish Registers', flags: ['genealogy'] } }), actor: BORROWER },
        { type: 'reject', data: { reason: 'not lent' }, actor: hubActor },
      ],
      'rejected',
    ],
    ['filled locally', [...submitted, { type: 'fillLocally', actor: BORROWER }], 'filledLocally'],
    ['cancelled before a lender', [...submitted, cancel()], 'cancelled'],
    ['closed', [...submitted, { type: 'close', data: { reason: 'duplicate' }, actor: hubActor }], 'closed'],
    ['closed with a lender', [...withLender, { type: 'close', data: { reason: 'duplicate' }, actor: hubActor }], 'closed'],
    ['cancel accepted', [...withLender, cancel(), { type: 'acceptCancel', actor: LIB2 }], 'cancelled'],
    ['withdrawn without continuing', [...withLender, { type: 'willSupply', actor: LIB2 }, { deadline: 'supply' }, withdraw({ reason: 'x', continueWithNextLender: false })], 'cancelled'],
    [
      'unfilled',
      [...withLender, ...['LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB8'].map((code): HistoryStep => ({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor(code) }))],
      'unfilled',
    ],
  ];
  it.each(ends)('leaves no need-before deadline pending when %s', (_name, steps, state) => {
    const h = illHistory(steps);
    expect(h.state.stateName).toBe(state);
    expect(h.state.snapshot.context.deadlines.needBefore).toBeUndefined();
    // The effects recorded cancel what they scheduled: the timer worker has nothing left to fire.
    const last = new Map<string, string>();
    for (const e of h.stored) for (const effect of ((e.metadata as { effects?: Effect[] }).effects ?? []) as Effect[]) if (effect.params.name === 'needBefore') last.set('needBefore', effect.type);
    expect(last.get('needBefore')).toBe('cancelDeadline');
  });
});

describe('scheduling a clock a request under way never had (scheduleMissingDeadline, timers schedule-missing)', () => {
  const repair = (name: 'supply' | 'cancelAnswer' | 'needBefore'): HistoryStep => ({ type: 'scheduleMissingDeadline', data: { name }, actor: systemActor });

  it('records the deadline the fold tracks and schedules it; the state, the context and the clock stay', () => {
    const before = illHistory(willSupply).state.snapshot.context;
    const outcome = illSpec(willSupply)
      .when(repair('supply'))
      .then([{ type: 'MissingDeadlineScheduled', data: { name: 'supply', at: '2026-01-12T09:03:00.000Z', key: '1' } }])
      .thenState('withLender.willSupply');
    expect(outcome.effects).toEqual([{ type: 'scheduleDeadline', params: { name: 'supply', at: '2026-01-12T09:03:00.000Z', key: '1' } }]);
    expect(outcome.after!.snapshot.context).toEqual(before);
  });

  it("schedules the cancel-answer and need-before clocks with the lender's terms and the patron's date", () => {
    const json = sampleDirectoryJson();
    json.libraries.find((l) => l.code === 'LIB2')!.daysToAnswerCancel = 3;
    illSpec([...willSupply, cancel()], { directory: parseDirectory(json) })
      .when(repair('cancelAnswer'))
      .then([{ type: 'MissingDeadlineScheduled', data: { name: 'cancelAnswer', at: '2026-01-08T09:04:00.000Z', key: '1' } }]);
    illSpec(toFirstLender({ needBefore: '2026-01-20' }).slice(0, 1))
      .when(repair('needBefore'))
      .then([{ type: 'MissingDeadlineScheduled', data: { name: 'needBefore', at: '2026-01-21T00:00:00.000Z', key: '2026-01-20' } }])
      .thenState('networkCheck');
  });

  it('is a deadline like any other: it falls due and the request ages', () => {
    const pending = illHistory([...willSupply, repair('supply')]).state.snapshot.context.deadlines.supply!;
    illSpec([...willSupply, repair('supply')])
      .when({ type: 'deadlineReached', data: { name: 'supply', key: pending.key, at: pending.at }, actor: systemActor, time: pending.at })
      .then([{ type: 'SupplyOverdue' }])
      .thenState('withLender.willSupply');
  });

  it('is refused where that clock does not run, or already fell due, naming the state', () => {
    illSpec(first).when(repair('supply')).thenThrows('ILLEGAL_STATE', /no 'supply' clock runs for ill-request 'REQ-1' in state 'withLender.requested': there is no deadline to schedule/);
    illSpec(willSupply).when(repair('cancelAnswer')).thenThrows('ILLEGAL_STATE', /no 'cancelAnswer' clock runs .* in state 'withLender.willSupply'/);
    illSpec([...willSupply, { deadline: 'supply' }]).when(repair('supply')).thenThrows('ILLEGAL_STATE', /no 'supply' clock runs/);
    illSpec(toFirstLender().slice(0, 1)).when(repair('needBefore')).thenThrows('ILLEGAL_STATE', /no 'needBefore' clock runs .* in state 'networkCheck'/);
    illSpec(STATE_STEPS.shipped).when(repair('supply')).thenThrows('ILLEGAL_STATE', /state 'shipped'/);
  });

  it('is sent by the system only, and is offered to nobody else', () => {
    illSpec(willSupply).when({ ...repair('supply'), actor: hubActor }).thenThrows('FORBIDDEN', /'scheduleMissingDeadline' is sent by the system only \(role system/);
    illSpec(willSupply).when({ ...repair('supply'), actor: BORROWER }).thenThrows('FORBIDDEN', /sent by the system only/);
    expect(illRequestWorkflow.allowedCommands(illHistory(willSupply).state, hubActor)).not.toContain('scheduleMissingDeadline');
    expect(allowedIllCommands(illHistory(willSupply).state.snapshot)).toContain('scheduleMissingDeadline');
    expect(allowedIllCommands(illHistory(first).state.snapshot)).not.toContain('scheduleMissingDeadline');
  });

  it('refuses a clock name it does not repair, naming the field', () => {
    illSpec(willSupply)
      .when({ type: 'scheduleMissingDeadline', data: { name: 'lenderResponse' } as never, actor: systemActor })
      .thenThrows('VALIDATION', /data\.name/);
  });
});

describe('notices to lenders (notifyLenderOf)', () => {
  const notice = (about: string, reason: string | null = null) => ({ type: 'notifyLenderOf', params: { requestId: 'REQ-1', library: 'LIB2', position: 1, about, borrower: 'LIB1', reason } });

  it('tells the lender of a cancel request, with its reason', () => {
    expect(ofType(illSpec(willSupply).when(cancel()).effects, 'notifyLenderOf')).toEqual([notice('cancelRequested', 'patron left town')]);
  });

  it.each(['onLoan.received', 'onLoan.inUse', 'onLoan.overdue'] as const)('tells the lender of a renewal request (from %s)', (state) => {
    const outcome = illSpec(STATE_STEPS[state]).when({ type: 'requestRenewal', actor: BORROWER }).thenState('onLoan.renewalPending');
    expect(ofType(outcome.effects, 'notifyLenderOf')).toEqual([notice('renewalRequested')]);
  });

  it('tells the lender the item was shipped back', () => {
    const outcome = illSpec(STATE_STEPS['onLoan.inUse']).when({ type: 'shipReturn', data: { trackingId: 'RET1' }, actor: BORROWER }).thenState('returnShipped');
    expect(ofType(outcome.effects, 'notifyLenderOf')).toEqual([notice('returnShipped')]);
  });

  const close: HistoryStep = { type: 'close', data: { reason: 'duplicate of REQ-0' }, actor: hubActor };
  const amend = (note?: string): HistoryStep => ({ type: 'amend', data: { material: { edition: '2nd ed.' }, ...(note ? { note } : {}) }, actor: BORROWER });

  it.each([
    ['asked (withLender.requested)', first],
    ['expecting to supply', expects],
    ['promised (withLender.willSupply)', willSupply],
    ['conditional', [...first, { type: 'answerConditional', data: { condition: 'LibraryUseOnly' }, actor: LIB2 }]],
    ['asked to cancel', [...willSupply, cancel()]],
    ['aging (its supply clock fell due)', [...willSupply, { deadline: 'supply' }]],
  ] as [string, Step[]][])('tells the lender that staff closed the request by hand while it was %s, with their reason', (_name, steps) => {
    const outcome = illSpec(steps).when(close).thenState('closed');
    expect(ofType(outcome.effects, 'notifyLenderOf')).toEqual([notice('closed', 'duplicate of REQ-0')]);
  });

  it('tells no lender of a close when none has the request', () => {
    expect(ofType(illSpec(toFirstLender().slice(0, 1)).when(close).thenState('closed').effects, 'notifyLenderOf')).toEqual([]);
    const unfilled: Step[] = [...first, ...['LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB8'].map((code): HistoryStep => ({ type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor(code) }))];
    expect(ofType(illSpec(unfilled).when(close).thenState('closed').effects, 'notifyLenderOf')).toEqual([]);
  });

  it.each([
    ['asked', first, 'withLender.requested'],
    ['expecting to supply', expects, 'withLender.expectsToSupply'],
    ['promised', willSupply, 'withLender.willSupply'],
    ['asked to cancel', [...willSupply, cancel()], 'withLender.cancelPending'],
  ] as [string, Step[], string][])('tells the lender of an amendment while it is %s, with the note; nothing else happens', (_name, steps, state) => {
    const outcome = illSpec(steps).when(amend('patron found the edition')).then([{ type: 'RequestAmended' }]).thenState(state);
    expect(outcome.effects).toEqual([notice('amended', 'patron found the edition')]);
    expect(ofType(illSpec(steps).when(amend()).effects, 'notifyLenderOf')).toEqual([notice('amended')]);
  });

  it('tells no lender of an amendment before one is asked', () => {
    expect(illSpec(toFirstLender().slice(0, 1)).when(amend('x')).thenState('networkCheck').effects).toEqual([]);
  });

  it('tells nobody else: a lender is not told of what it did itself', () => {
    expect(ofType(illSpec(willSupply).when({ type: 'ship', data: sampleShipment(), actor: LIB2 }).effects, 'notifyLenderOf')).toEqual([]);
    expect(ofType(illSpec(STATE_STEPS['onLoan.renewalPending']).when({ type: 'grantRenewal', data: { dueDate: '2026-03-01' }, actor: LIB2 }).effects, 'notifyLenderOf')).toEqual([]);
  });
});
