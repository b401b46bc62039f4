import { projectInMemory, type StoredEvent } from '@interlend/engine';
import { borrowerActor, illHistory, lenderActor, sampleShipment, STATE_STEPS, toFirstLender } from '../testing';
import type { HistoryStep } from '../testing';
import { EventLog, plusHours } from './__tests__/eventLog';
import { isRequestSummary, requestSummaryProjection, type RequestSummaryDoc } from './libraryHistory';
import { computeStatistics } from './statistics';

/**
 * A wrong item is not a fill (issue 11, item 6) and a lender asked again after an amendment is
 * asked twice (item 3): what the request summaries and statistics make of both. The events are
 * written by the real command path (illHistory), one request id each.
 */

const NOW = '2026-06-01T00:00:00.000Z';
const summaries = (...streams: StoredEvent[][]): RequestSummaryDoc[] => [...projectInMemory(requestSummaryProjection, streams.flat()).values()].filter(isRequestSummary);
const written = (steps: Parameters<typeof illHistory>[0], requestId: string): StoredEvent[] => illHistory(steps, { requestId }).stored;

describe('a wrong item in the statistics', () => {
  const wrong = written(STATE_STEPS.wrongItemReturned, 'REQ-W');
  const right = written(STATE_STEPS.completed, 'REQ-C');

  it('gives the request summary the outcome wrongItemReturned, terminal, with the wrong item’s time', () => {
    const doc = summaries(wrong).find((d) => d.requestId === 'REQ-W')!;
    expect(doc).toMatchObject({ outcome: 'wrongItemReturned', terminal: true, supplier: 'LIB2' });
    expect(doc.milestones.wrongItemAt).toEqual(expect.any(String));
    expect(doc.milestones.closedAt).toEqual(expect.any(String));
  });

  it('counts it neither as received (filled) for the borrower nor as supplied by the lender', () => {
    const stats = computeStatistics(summaries(wrong, right), { now: NOW });
    expect(stats.requests).toMatchObject({ submitted: 2, requested: 2, received: 1, open: 0 });
    expect(stats.fillRate).toBe(0.5);
    expect(stats.byBorrower).toEqual([expect.objectContaining({ borrower: 'LIB1', requested: 2, received: 1, fillRate: 0.5 })]);
    const lib2 = stats.byLender.find((l) => l.lender === 'LIB2')!;
    expect({ asked: lib2.asked, supplied: lib2.supplied, fillRate: lib2.fillRate }).toEqual({ asked: 2, supplied: 1, fillRate: 0.5 });
    expect(lib2.outcomes).toEqual([
      { reason: 'supplied', count: 1 },
      { reason: 'wrong item', count: 1 },
    ]);
    expect(stats.turnaround.requestToReceipt.count).toBe(1);
  });

  it('is no fill from the moment it is reported, before it goes back', () => {
    const reported = written(STATE_STEPS['onLoan.awaitingReturn'], 'REQ-A');
    const stats = computeStatistics(summaries(reported), { now: NOW });
    expect(stats.requests).toMatchObject({ received: 0, open: 1 });
    expect(stats.byLender.find((l) => l.lender === 'LIB2')!.supplied).toBe(0);
  });

  it('is no fill either in a log written before the state existed (its check-in stored as completed)', () => {
    const t = (h: number) => plusHours('2026-01-05T09:00:00.000Z', h);
    const log = new EventLog();
    log.request('OLD').submit(t(0)).toLenders(t(1), ['LIB2']).willSupply(t(2)).ship(t(3)).receive(t(30)).wrongItem(t(31)).shipReturn(t(32)).checkIn(t(60));
    const [doc] = [...projectInMemory(requestSummaryProjection, log.events).values()].filter(isRequestSummary);
    expect(doc!.outcome).toBe('completed'); // the stored state; the fold now says wrongItemReturned
    const stats = computeStatistics([doc!], { now: NOW });
    expect(stats.requests.received).toBe(0);
    expect(stats.byLender[0]).toMatchObject({ lender: 'LIB2', asked: 1, supplied: 0 });
  });
});

describe('a lender asked again after an amendment', () => {
  it('has two tries in the request summary, and counts as asked twice and supplied once', () => {
    const steps: HistoryStep[] = [
      ...toFirstLender({ maximumCost: { amount: 15, currency: 'USD' } }),
      { type: 'retryPossible', data: { reason: 'CostExceedsMaxCost' }, actor: lenderActor('LIB2') },
      { type: 'amend', data: { maximumCost: { amount: 25, currency: 'USD' } }, actor: borrowerActor() },
      { type: 'cannotSupply', data: { reason: 'NotHeld' }, actor: lenderActor('LIB3') },
      { type: 'ship', data: sampleShipment({ cost: { amount: 20, currency: 'USD' } }), actor: lenderActor('LIB2') },
    ];
    const [doc] = summaries(written(steps, 'REQ-R'));
    expect(doc!.lenders.map((l) => [l.library, l.position, l.outcome])).toEqual([
      ['LIB2', 1, 'retry: CostExceedsMaxCost'],
      ['LIB3', 2, 'unfilled: NotHeld'],
      ['LIB2', 1, 'supplied'],
    ]);
    expect(doc!.supplier).toBe('LIB2');
    const lib2 = computeStatistics([doc!], { now: NOW }).byLender.find((l) => l.lender === 'LIB2')!;
    expect({ asked: lib2.asked, answered: lib2.answered, supplied: lib2.supplied }).toEqual({ asked: 2, answered: 2, supplied: 1 });
  });
});
