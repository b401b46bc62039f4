import { InMemoryEventStore, InMemoryReadModelStore, ProjectionRunner, type StoredEvent } from '@interlend/engine';
import { simulate } from '../simulation/simulator';
import { isRequestSummary, requestSummaryProjection, REQUEST_SUMMARIES_PROJECTION, type RequestSummaryDoc } from './libraryHistory';
import { readStatistics } from './readStatistics';
import { computeStatistics, type StatisticsOptions } from './statistics';
import { isStatisticsAggregate, type StatisticsAggregateDoc } from './statisticsAggregates';

/**
 * The report from the month aggregates (readStatistics) against the report from every summary
 * (computeStatistics), on a simulated network whose requests span two months, with the read
 * model caught up to the end and to a point where many requests are still open.
 */
let log: StoredEvent[];

beforeAll(async () => {
  const store = new InMemoryEventStore();
  // From the end of January: the requests are submitted in January and February.
  await simulate(store, new InMemoryReadModelStore(), { requests: 400, libraries: 10, seed: 21, start: '2026-01-29T09:00:00.000Z' });
  log = await store.readAll({ after: 0, maxCount: 1_000_000 });
}, 60_000);

async function readModelAt(until: number, options: { batchSize?: number; flushDocs?: number; cacheDocs?: number } = {}): Promise<InMemoryReadModelStore> {
  const store = new InMemoryEventStore();
  for (const e of log) await store.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], { expectedRevision: 'any' });
  const readModels = new InMemoryReadModelStore();
  await new ProjectionRunner(store, readModels).catchUp([requestSummaryProjection], { ...options, until });
  return readModels;
}

async function documents(readModels: InMemoryReadModelStore): Promise<{ summaries: RequestSummaryDoc[]; aggregates: StatisticsAggregateDoc[] }> {
  const docs = (await readModels.query(REQUEST_SUMMARIES_PROJECTION)).map((d) => d.doc as unknown as RequestSummaryDoc | StatisticsAggregateDoc);
  return { summaries: docs.filter(isRequestSummary), aggregates: docs.filter(isStatisticsAggregate) };
}

describe('statistics from the month aggregates', () => {
  it('equal the statistics from every summary: the network, a library, since mid-month, since before everything', async () => {
    for (const position of [Math.floor(log.length * 0.6), log[log.length - 1]!.position]) {
      const readModels = await readModelAt(position);
      const { summaries, aggregates } = await documents(readModels);
      const lastTime = String(log.find((e) => e.position === position)!.metadata.time);
      const library = summaries[0]!.borrower;
      const cases: StatisticsOptions[] = [];
      for (const now of [lastTime, '2026-12-31T00:00:00.000Z']) {
        for (const scope of [undefined, library]) {
          for (const since of [undefined, '2026-01-30T13:45:00.000Z', '2026-02-01T00:00:00.000Z', '2025-11-20T08:00:00.000Z']) cases.push({ now, library: scope, since });
        }
      }
      for (const options of cases) {
        const direct = computeStatistics(summaries, options);
        expect({ position, ...options, stats: await readStatistics(readModels, options) }).toEqual({ position, ...options, stats: direct });
      }
      // The cases are not trivial: aggregates over several months and scopes, open requests at the earlier point, asks past their deadline.
      expect(aggregates.some((a) => a.library === library)).toBe(true);
      const stats = computeStatistics(summaries, { now: '2026-12-31T00:00:00.000Z' });
      if (position !== log[log.length - 1]!.position) {
        expect(stats.requests.open).toBeGreaterThan(10);
        expect(stats.notAnsweredInTime.pastDeadline).toBeGreaterThan(0);
      } else {
        expect([...new Set(aggregates.map((a) => a.month))].sort()).toEqual(['2026-01', '2026-02']);
      }
      expect(stats.requests.submitted - stats.requests.open).toBeGreaterThan(50);
      expect(computeStatistics(summaries, { now: lastTime, since: '2026-01-30T13:45:00.000Z' }).requests.submitted).toBeLessThan(stats.requests.submitted);
    }
  }, 120_000);

  it('are the same documents, byte for byte, whatever the batches, commits and cache bound of the catch-up', async () => {
    const head = log[log.length - 1]!.position;
    const whole = JSON.stringify(await (await readModelAt(head)).query(REQUEST_SUMMARIES_PROJECTION));
    const small = JSON.stringify(await (await readModelAt(head, { batchSize: 37, flushDocs: 11, cacheDocs: 16 })).query(REQUEST_SUMMARIES_PROJECTION));
    expect(small).toBe(whole);
  }, 120_000);
});
