import type { DerivedUpdate, JsonObject } from '@interlend/engine';
import type { RequestSummaryDoc } from './libraryHistory';
import { ms } from './storedIllEvent';
import { mergeTally, statisticsContribution, type Tally } from './statistics';

/**
 * The statistics of the requests that ended, kept by the request-summaries projection beside the
 * summaries (Projection.derive): one document per month of submission (UTC `YYYY-MM`) and scope
 * (the network, or one library: the requests it borrowed or was asked to lend), holding the sum
 * of those requests' tallies (statisticsContribution). A request counts once it is in a terminal
 * state; if it changes after that (an unfilled request re-requested or closed), its old part is
 * taken out and its new part added. Open requests are not in them: a report reads those live.
 */
export interface StatisticsAggregateDoc extends JsonObject {
  kind: 'statistics';
  /** Month of submission, UTC: `YYYY-MM`. */
  month: string;
  /** The library of a library's aggregate; null for the network's. */
  library: string | null;
  tally: Tally;
}

/** Key and index value of a scope's aggregates: `stats:network:<month>`, `stats:library:<code>:<month>` (request ids are UUIDs, never these). */
const scopePrefix = (library: string | undefined | null): string => (library === undefined || library === null ? 'stats:network:' : `stats:library:${library}:`);

export const statisticsAggregateKey = (month: string, library?: string | null): string => `${scopePrefix(library)}${month}`;

/** An index range over a scope's aggregates from month `from` (inclusive; '' for all) onwards. */
export function statisticsAggregateRange(library: string | undefined, from = ''): { from: string; to: string } {
  const prefix = scopePrefix(library);
  // ':' + 1 = ';': every value of the prefix sorts below `<prefix without ':'>;`.
  return { from: `${prefix}${from}`, to: `${prefix.slice(0, -1)};` };
}

/** Whether a document of the request-summaries read model is a statistics aggregate (not a request's summary). */
export function isStatisticsAggregate(doc: RequestSummaryDoc | StatisticsAggregateDoc): doc is StatisticsAggregateDoc {
  return (doc as { kind?: unknown }).kind === 'statistics';
}

/** UTC month (`YYYY-MM`) of a time. */
export const utcMonth = (iso: string): string => new Date(ms(iso)).toISOString().slice(0, 7);

/** The aggregate keys a summary counts in (network, its borrower, each lender asked), with their library. */
function scopesOf(doc: RequestSummaryDoc): (string | undefined)[] {
  const libraries = new Set<string>([doc.borrower]);
  for (const entry of doc.lenders) libraries.add(entry.library);
  return [undefined, ...libraries];
}

/** Adds `sign` times a terminal summary's parts to the deltas by aggregate key. */
function addParts(deltas: Map<string, { month: string; library: string | null; tally: Tally }>, doc: RequestSummaryDoc | undefined, sign: 1 | -1): void {
  if (!doc?.terminal || doc.milestones.submittedAt === null) return;
  const month = utcMonth(doc.milestones.submittedAt);
  for (const library of scopesOf(doc)) {
    const key = statisticsAggregateKey(month, library);
    const part = statisticsContribution(doc, library);
    const delta = deltas.get(key);
    // The first part added is the delta itself (the usual case: a request that just ended); a part taken out, or a second, is merged.
    if (!delta && sign === 1) deltas.set(key, { month, library: library ?? null, tally: part });
    else if (!delta) deltas.set(key, { month, library: library ?? null, tally: mergeTally({}, part, -1, false) });
    else mergeTally(delta.tally, part, sign, false); // sorted once added to the aggregate
  }
}

/**
 * Projection.derive of the request summaries: a summary's change moves its part of the month
 * aggregates (take out what it counted as `before`, add what it counts as `after`; only terminal
 * requests count). Nothing is written when its part did not change.
 */
export function deriveStatisticsAggregates(before: RequestSummaryDoc | undefined, after: RequestSummaryDoc | undefined): DerivedUpdate<StatisticsAggregateDoc>[] {
  const deltas = new Map<string, { month: string; library: string | null; tally: Tally }>();
  addParts(deltas, before, -1);
  addParts(deltas, after, 1);
  const updates: DerivedUpdate<StatisticsAggregateDoc>[] = [];
  for (const [key, delta] of deltas) {
    if (Object.keys(delta.tally).length === 0) continue;
    updates.push({
      key,
      update(doc) {
        const next = doc ?? { kind: 'statistics', month: delta.month, library: delta.library, tally: {} };
        mergeTally(next.tally, delta.tally, 1, false); // the runner sorts the aggregate's members once per commit
        return Object.keys(next.tally).length === 0 ? null : next;
      },
    });
  }
  return updates;
}
