import { projectInMemory } from '@interlend/engine';
import { EventLog, plusHours } from './__tests__/eventLog';
import { isRequestSummary, libraryHistory, requestSummaryProjection, type RequestSummaryDoc } from './libraryHistory';

const T0 = '2026-01-05T09:00:00.000Z';
const t = (hours: number): string => plusHours(T0, hours);

function summaries(log: EventLog): Map<string, RequestSummaryDoc> {
  return new Map([...projectInMemory(requestSummaryProjection, log.events)].filter((e): e is [string, RequestSummaryDoc] => isRequestSummary(e[1])));
}

describe('request summaries', () => {
  it('records every lender asked in rota order, with when it was asked, first answered and how its turn ended', () => {
    const log = new EventLog();
    log
      .request('R1')
      .submit(t(0))
      .toLenders(t(1), ['LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB6'])
      .cannotSupply(t(3), 'NotHeld')
      .timeout(t(97))
      .retryPossible(t(100), 'CostExceedsMaxCost')
      .conditional(t(101), { amount: 30, currency: 'USD' })
      .rejectConditions(t(102))
      .expectToSupply(t(110))
      .willSupply(t(111))
      .ship(t(112), { cost: 12 });
    const doc = summaries(log).get('R1')!;
    expect(doc.lenders).toEqual([
      { library: 'LIB2', position: 1, askedAt: t(1), respondBy: t(97), answeredAt: t(3), outcome: 'unfilled: NotHeld' },
      { library: 'LIB3', position: 2, askedAt: t(3), respondBy: t(99), answeredAt: null, outcome: 'timed out' },
      { library: 'LIB4', position: 3, askedAt: t(97), respondBy: t(193), answeredAt: t(100), outcome: 'retry: CostExceedsMaxCost' },
      { library: 'LIB5', position: 4, askedAt: t(100), respondBy: t(196), answeredAt: t(101), outcome: 'conditions rejected' },
      { library: 'LIB6', position: 5, askedAt: t(102), respondBy: t(198), answeredAt: t(110), outcome: 'supplied' },
    ]);
    expect(doc.supplier).toBe('LIB6');
  });

  it('keeps the milestones of a completed loan, and only what histories and statistics show', () => {
    const log = new EventLog();
    log
      .request('R1')
      .submit(t(0), { title: 'Mosses', serviceLevel: 'Normal', maximumCost: { amount: 25, currency: 'USD' } })
      .toLenders(t(1), ['LIB2'])
      .conditional(t(2), { amount: 20, currency: 'USD' })
      .acceptConditions(t(3))
      .ship(t(24), { cost: 15, offered: 20 })
      .receive(t(72))
      .checkOut(t(73))
      .requestRenewal(t(200))
      .grantRenewal(t(201), '2026-03-01')
      .recall(t(300))
      .shipReturn(t(310))
      .checkIn(t(350));
    const doc = summaries(log).get('R1')!;
    expect(doc).toMatchObject({
      borrower: 'LIB1',
      title: 'Mosses',
      outcome: 'completed',
      terminal: true,
      milestones: {
        submittedAt: t(0),
        firstSentAt: t(1),
        shippedAt: t(24),
        receivedAt: t(72),
        checkedInAt: t(350),
        unfilledAt: null,
        closedAt: t(350),
      },
      cost: { amount: 15, currency: 'USD' },
      returnShippingCost: null,
    });
    expect(Object.keys(doc).sort()).toEqual(['borrower', 'cancelReason', 'cost', 'format', 'lenders', 'milestones', 'outcome', 'pendingCancelReason', 'requestId', 'returnShippingCost', 'serviceType', 'supplier', 'terminal', 'title']);
  });

  it('records a final cancel with its reason, the lender it was with ending "cancelled"', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']).willSupply(t(2)).cancel(t(3), 'patron left town').acceptCancel(t(4));
    const doc = summaries(log).get('R1')!;
    expect(doc).toMatchObject({ outcome: 'cancelled', cancelReason: 'patron left town', pendingCancelReason: null, supplier: null });
    expect(doc.lenders.map((l) => [l.library, l.outcome])).toEqual([['LIB2', 'cancelled']]);
  });

  it('does not call a cancel that continued with the next lender a cancelled request', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']).cancel(t(2), 'too slow', true).acceptCancel(t(3), true);
    const doc = summaries(log).get('R1')!;
    expect(doc).toMatchObject({ outcome: 'withLender.requested', cancelReason: null, terminal: false });
    expect(doc.lenders.map((l) => [l.library, l.outcome])).toEqual([
      ['LIB2', 'cancelled'],
      ['LIB3', null],
    ]);
  });

  it('marks when the rota ended unfilled, and keeps that after a re-request closed it', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).cannotSupply(t(5), 'NonCirculating').reRequest(t(6));
    expect(summaries(log).get('R1')).toMatchObject({
      outcome: 'reRequested',
      milestones: { unfilledAt: t(5), closedAt: t(6) },
    });
    expect(summaries(log).get('R1')!.lenders.map((l) => l.outcome)).toEqual(['unfilled: NonCirculating']);
  });

  it('ends lost with its supplier', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).ship(t(2), { dueDate: '2026-01-20' }).receive(t(30)).overdue('2026-01-21T00:00:00.000Z').lost('2026-02-01T00:00:00.000Z', 'damaged');
    expect(summaries(log).get('R1')).toMatchObject({ outcome: 'lost', terminal: true, supplier: 'LIB2' });
  });

  it('indexes a summary by its borrower and every lender asked', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']).cannotSupply(t(2));
    const doc = summaries(log).get('R1')!;
    // Still open (with LIB3): also in the open index, for the network and each of its libraries.
    expect(requestSummaryProjection.index!(doc, 'R1')).toEqual(['library:LIB1', 'library:LIB2', 'library:LIB3', `submitted:${t(0)}`, 'open', 'open:LIB1', 'open:LIB2', 'open:LIB3']);
    log.request('R2').submit(t(0)).reject(t(1), 'not in scope');
    expect(requestSummaryProjection.index!(summaries(log).get('R2')!, 'R2')).toEqual(['library:LIB1', `submitted:${t(0)}`]);
  });
});

describe('libraryHistory', () => {
  it("gives a library's borrowed requests and the requests it was asked to lend, with its own outcome on each", () => {
    const log = new EventLog();
    log.request('R1', 'LIB1').submit(t(0), { title: 'A' }).toLenders(t(1), ['LIB2', 'LIB3']).cannotSupply(t(2)).ship(t(20)).receive(t(50));
    log.request('R2', 'LIB2').submit(t(5), { title: 'B' }).toLenders(t(6), ['LIB1']).willSupply(t(7));
    log.request('R3', 'LIB4').submit(t(8), { title: 'C' }).toLenders(t(9), ['LIB2']);
    const docs = [...summaries(log).values()];

    const lib2 = libraryHistory(docs, 'LIB2');
    expect(lib2.borrowed).toEqual([
      {
        requestId: 'R2',
        title: 'B',
        format: 'book',
        serviceType: 'Loan',
        outcome: 'withLender.willSupply',
        terminal: false,
        submittedAt: t(5),
        closedAt: null,
        lendersAsked: ['LIB1'],
        supplier: null,
        receivedAt: null,
      },
    ]);
    expect(lib2.lent.map((r) => [r.requestId, r.borrower, r.position, r.askedAt, r.answeredAt, r.lenderOutcome, r.requestOutcome])).toEqual([
      ['R1', 'LIB1', 1, t(1), t(2), 'unfilled: NotHeld', 'onLoan.received'],
      ['R3', 'LIB4', 1, t(9), null, null, 'withLender.requested'],
    ]);

    const lib3 = libraryHistory(docs, 'LIB3');
    expect(lib3.borrowed).toEqual([]);
    expect(lib3.lent).toMatchObject([{ requestId: 'R1', lenderOutcome: 'supplied', shippedAt: t(20) }]);
  });
});
