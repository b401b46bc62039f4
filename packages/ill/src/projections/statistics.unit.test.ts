import { projectInMemory } from '@interlend/engine';
import { EventLog, plusHours } from './__tests__/eventLog';
import { isRequestSummary, requestSummaryProjection, type RequestSummaryDoc } from './libraryHistory';
import { computeStatistics, formatStatistics, summarizeHours } from './statistics';

const T0 = '2026-01-05T09:00:00.000Z';
const t = (hours: number): string => plusHours(T0, hours);

/**
 * A small dataset worked out by hand (hours after T0):
 * A LIB1: LIB2 asked 1, will supply 3 (2 h), shipped 24, received 60.
 * B LIB1: LIB2 asked 0, cannot supply 10 (10 h); LIB3 asked 10, will supply 14 (4 h), shipped 50, received 110.
 * C LIB4: LIB3 asked 0, timed out 96; LIB2 asked 96, shipped 100 (4 h), received 160.
 * D LIB1: LIB3 asked 1, cannot supply 5 (4 h): unfilled.
 * E LIB4: cancelled at 2, before any lender ("patron bought it").
 * F LIB1: rejected at screening.   G LIB1: filled locally.
 * H LIB4: submitted 200, LIB2 asked 201 (answer due 297), no answer yet.
 */
function dataset(): RequestSummaryDoc[] {
  const log = new EventLog();
  log.request('A').submit(t(0)).toLenders(t(1), ['LIB2']).willSupply(t(3)).ship(t(24)).receive(t(60));
  log.request('B').submit(t(0)).toLenders(t(0), ['LIB2', 'LIB3']).cannotSupply(t(10)).willSupply(t(14)).ship(t(50)).receive(t(110));
  log.request('C', 'LIB4').submit(t(0)).toLenders(t(0), ['LIB3', 'LIB2']).timeout(t(96)).ship(t(100)).receive(t(160));
  log.request('D').submit(t(0)).toLenders(t(1), ['LIB3']).cannotSupply(t(5));
  log.request('E', 'LIB4').submit(t(0)).cancel(t(2), 'patron bought it');
  log.request('F').submit(t(0), { format: 'ebook', stateAfter: 'rejected' });
  log.request('G').submit(t(0)).fillLocally(t(1));
  log.request('H', 'LIB4').submit(t(200)).toLenders(t(201), ['LIB2']);
  log.directoryImported(t(0));
  return [...projectInMemory(requestSummaryProjection, log.events).values()].filter(isRequestSummary);
}

const NOW = t(300);

describe('computeStatistics', () => {
  it('counts requests and the fill rate: received over requested (screened out and filled locally excluded)', () => {
    const stats = computeStatistics(dataset(), { now: NOW });
    expect(stats.requests).toEqual({ submitted: 8, screenedOut: 1, filledLocally: 1, requested: 6, sentToLenders: 5, received: 3, unfilled: 1, cancelled: 1, lost: 0, open: 4 }); // open: A, B, C on loan, H with LIB2
    expect(stats.fillRate).toBe(0.5);
    expect(stats.sentFillRate).toBe(0.6);
    expect(stats.unfilled).toEqual({ count: 1, reasons: [{ reason: 'unfilled: NotHeld', count: 1 }] });
    expect(stats.cancelled).toEqual({ count: 1, reasons: [{ reason: 'patron bought it', count: 1 }] });
  });

  it('gives turnaround mean, median, p90 and the 48/72-hour buckets for request -> ship, ship -> receipt and the whole', () => {
    const { turnaround } = computeStatistics(dataset(), { now: NOW });
    expect(turnaround.requestToShip).toEqual({ count: 3, meanHours: 58, medianHours: 50, p90Hours: 100, buckets: { under48h: 1, from48to72h: 1, over72h: 1 } });
    expect(turnaround.shipToReceipt).toEqual({ count: 3, meanHours: 52, medianHours: 60, p90Hours: 60, buckets: { under48h: 1, from48to72h: 2, over72h: 0 } });
    expect(turnaround.requestToReceipt).toEqual({ count: 3, meanHours: 110, medianHours: 110, p90Hours: 160, buckets: { under48h: 0, from48to72h: 1, over72h: 2 } });
    expect(turnaround.averageDaysToReceive).toBe(4.6);
  });

  it('gives lender response times (asked -> first answer) overall and per lender, with fill rate supplied / asked', () => {
    const stats = computeStatistics(dataset(), { now: NOW });
    expect(stats.lenderResponse).toEqual({ count: 5, meanHours: 4.8, medianHours: 4, p90Hours: 10 });
    expect(stats.byLender).toEqual([
      {
        lender: 'LIB2',
        asked: 4,
        answered: 3,
        supplied: 2,
        fillRate: 0.5,
        timedOut: 0,
        pastDeadline: 1,
        responseTime: { count: 3, meanHours: 5.3, medianHours: 4, p90Hours: 10 },
        outcomes: [
          { reason: 'supplied', count: 2 },
          { reason: 'pending', count: 1 },
          { reason: 'unfilled: NotHeld', count: 1 },
        ],
      },
      {
        lender: 'LIB3',
        asked: 3,
        answered: 2,
        supplied: 1,
        fillRate: 0.333,
        timedOut: 1,
        pastDeadline: 0,
        responseTime: { count: 2, meanHours: 4, medianHours: 4, p90Hours: 4 },
        outcomes: [
          { reason: 'supplied', count: 1 },
          { reason: 'timed out', count: 1 },
          { reason: 'unfilled: NotHeld', count: 1 },
        ],
      },
    ]);
  });

  it('counts asks not answered in time: timed out, and unanswered past the deadline at the time asked', () => {
    expect(computeStatistics(dataset(), { now: NOW }).notAnsweredInTime).toEqual({ timedOut: 1, pastDeadline: 1, requests: 2 });
    expect(computeStatistics(dataset(), { now: t(250) }).notAnsweredInTime).toEqual({ timedOut: 1, pastDeadline: 0, requests: 1 });
  });

  it('gives the fill rate per borrower', () => {
    expect(computeStatistics(dataset(), { now: NOW }).byBorrower).toEqual([
      { borrower: 'LIB1', submitted: 5, requested: 3, received: 2, fillRate: 0.667, unfilled: 1, cancelled: 0 },
      { borrower: 'LIB4', submitted: 3, requested: 3, received: 1, fillRate: 0.333, unfilled: 0, cancelled: 1 },
    ]);
  });

  it('with `since`, counts only requests submitted from then on', () => {
    const stats = computeStatistics(dataset(), { now: NOW, since: t(100) });
    expect(stats.requests).toMatchObject({ submitted: 1, requested: 1, sentToLenders: 1, received: 0, open: 1 });
    expect(stats.fillRate).toBe(0);
    expect(stats.turnaround.requestToReceipt).toMatchObject({ count: 0, meanHours: null, medianHours: null, p90Hours: null });
    expect(stats.byBorrower.map((b) => b.borrower)).toEqual(['LIB4']);
  });

  it('with `library`, counts only requests it borrowed or was asked to lend, and gives per-lender figures only for it', () => {
    const stats = computeStatistics(dataset(), { now: NOW, library: 'LIB3' });
    expect(stats.requests).toMatchObject({ submitted: 3, requested: 3, received: 2, unfilled: 1 });
    expect(stats.fillRate).toBe(0.667);
    expect(stats.byLender.map((l) => [l.lender, l.asked, l.supplied, l.timedOut])).toEqual([['LIB3', 3, 1, 1]]);
    expect(stats.byBorrower).toEqual([]);
    expect(stats.turnaround.requestToShip).toMatchObject({ count: 2, meanHours: 75, medianHours: 75, p90Hours: 100 });
  });

  it('returns plain JSON, and nulls rather than NaN when there is nothing to measure', () => {
    const empty = computeStatistics([], { now: NOW });
    expect(empty.fillRate).toBeNull();
    expect(empty.lenderResponse).toEqual({ count: 0, meanHours: null, medianHours: null, p90Hours: null });
    const stats = computeStatistics(dataset(), { now: NOW });
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats);
  });
});

describe('summarizeHours', () => {
  it('takes the mean of the two middle values as the median of an even count, and p90 by nearest rank', () => {
    expect(summarizeHours([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).toEqual({ count: 10, meanHours: 5.5, medianHours: 5.5, p90Hours: 9 });
    expect(summarizeHours([10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11])).toEqual({ count: 11, meanHours: 6, medianHours: 6, p90Hours: 10 });
  });
});

describe('formatStatistics', () => {
  it('prints a compact report people can read', () => {
    const text = formatStatistics(computeStatistics(dataset(), { now: NOW }));
    expect(text).toContain(`ILL statistics: all libraries, as of ${NOW}`);
    expect(text).toContain('Fill rate: 50% (3/6 requested); of those sent to lenders 60% (3/5)');
    expect(text).toContain('Unfilled: 1 (unfilled: NotHeld 1)');
    expect(text).toMatch(/request -> ship\s+3\s+58\s+50\s+100\s+1\s+1\s+1/);
    expect(text).toContain('Not answered in time: 1 timed out, 1 past deadline now (2 requests)');
    expect(text).toMatch(/LIB3\s+3\s+1\s+33.3%\s+1\s+0\s+4\s+4\s+4/);
  });
});
