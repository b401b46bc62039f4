import type { ReadModelStore } from '@interlend/engine';
import { REQUEST_SUMMARIES_PROJECTION, summaryLibraryIndex, summaryOpenIndex, summarySubmittedIndex, type RequestSummaryDoc } from './libraryHistory';
import { concernsLibrary, finalizeStatistics, mergeTally, statisticsContribution, type Statistics, type Tally } from './statistics';
import { isStatisticsAggregate, statisticsAggregateRange, utcMonth, type StatisticsAggregateDoc } from './statisticsAggregates';
import { ms } from './storedIllEvent';

export interface StatisticsReadOptions {
  /** Only requests this library borrowed or was asked to lend (see StatisticsOptions.library). */
  readonly library?: string;
  /** Only requests submitted at or after this time (ISO-8601). */
  readonly since?: string;
  /** The time of the report (ISO-8601). */
  readonly now: string;
}

/** The first instant of the UTC month after the one `time` is in, as ISO-8601. */
function nextMonthStart(time: number): string {
  const d = new Date(time);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)).toISOString();
}

/**
 * The statistics report (`computeStatistics` of the summaries in the window), read without a
 * walk of the history: the requests that ended come from the month aggregates of the scope (the
 * network or `library`) for the whole months after `since` (every month without it), plus the
 * summaries of the part of `since`'s month from `since` on (a walk of the `submitted:<time>`
 * index); the open requests come from the `open` index, with what depends on `now`. The cost
 * grows with the months covered, one month's submissions and the work in hand, not with the
 * number of requests ever made.
 */
export async function readStatistics(store: ReadModelStore, options: StatisticsReadOptions): Promise<Statistics> {
  const { library, now } = options;
  const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
  const sinceMs = since === undefined ? undefined : ms(since);
  const nowMs = ms(now);
  const tally: Tally = {};
  const inScope = (doc: RequestSummaryDoc): boolean =>
    doc.milestones.submittedAt !== null && (sinceMs === undefined || ms(doc.milestones.submittedAt) >= sinceMs) && (library === undefined || concernsLibrary(doc, library));

  // Whole months: every month without `since`; with it, its month if it starts the month, else the months after.
  let firstMonth = '';
  if (since !== undefined) {
    const monthStart = `${utcMonth(since)}-01T00:00:00.000Z`;
    const wholeFrom = since === monthStart ? since : nextMonthStart(sinceMs!);
    firstMonth = utcMonth(wholeFrom);
    if (wholeFrom !== since) {
      const range = { from: summarySubmittedIndex(since), to: summarySubmittedIndex(wholeFrom) };
      const part = await store.query(REQUEST_SUMMARIES_PROJECTION, { indexRange: range, ...(library === undefined ? {} : { index: summaryLibraryIndex(library) }) });
      for (const { doc } of part) {
        const summary = doc as unknown as RequestSummaryDoc;
        if (summary.terminal && inScope(summary)) mergeTally(tally, statisticsContribution(summary, library));
      }
    }
  }
  for (const { doc } of await store.query(REQUEST_SUMMARIES_PROJECTION, { indexRange: statisticsAggregateRange(library, firstMonth) })) {
    const aggregate = doc as unknown as StatisticsAggregateDoc;
    if (isStatisticsAggregate(aggregate) && aggregate.library === (library ?? null)) mergeTally(tally, aggregate.tally);
  }
  for (const { doc } of await store.query(REQUEST_SUMMARIES_PROJECTION, { index: summaryOpenIndex(library) })) {
    const summary = doc as unknown as RequestSummaryDoc;
    if (!summary.terminal && inScope(summary)) mergeTally(tally, statisticsContribution(summary, library, nowMs));
  }
  return finalizeStatistics(tally, { now, since: options.since, library });
}
