import type { LenderTry, RequestSummaryDoc } from './libraryHistory';
import { ms } from './storedIllEvent';
import type { Money } from '../commands';
import { formatMoney, toMinor } from '../policies/costs';

/**
 * ILL reports computed from request summaries (pure). Definitions (see docs/projections.md):
 * - submitted: requests with a submission time (in the `since` window, for `library`);
 * - screened out: ended `rejected` (by screening or staff review) or `documentDelivery`;
 * - requested = submitted - screened out - filled locally (ended `filledLocally`);
 * - received: reached Received (milestones.receivedAt set), unless the item was the wrong one
 *   (WrongItemReported; such a request ends `wrongItemReturned`): a wrong item is no fill;
 * - fill rate = received / requested; sent fill rate = received / sent to at least one lender;
 * - per lender: supplied / asked (every time the rota asked it counts once); a wrong item is not
 *   supplied: its outcome counts as 'wrong item';
 * - turnaround in hours: request -> ship (submittedAt -> shippedAt), ship -> receipt,
 *   request -> receipt; mean, median (middle value, mean of the two middle ones for an even
 *   count), p90 (nearest rank: the ceil(0.9 n)-th smallest), buckets < 48 h, 48-72 h (both
 *   inclusive), > 72 h;
 * - lender response time: askedAt -> answeredAt (first answer of any kind) of answered asks;
 * - not answered in time: asks that timed out, plus asks still unanswered past their deadline at `now`;
 * - costs, by currency (docs/workflow/costs.md): `paid` = the shipped costs (what the borrower
 *   pays its supplier), `returnShipping` = the return shipping owed for suppliers outside the
 *   delivery network; per borrower (what it pays) and per lender (what it is paid, as supplier).
 * Hours and days are rounded to 0.1, rates to 0.001 (fractions, not percentages).
 */

export interface StatisticsOptions {
  /** Only requests this library borrowed or was asked to lend; per-lender figures only for it as lender, per-borrower only for it as borrower. */
  readonly library?: string;
  /** Only requests submitted at or after this time (ISO-8601). */
  readonly since?: string;
  /** The time of the report (ISO-8601): asks unanswered past their deadline are counted at this time. */
  readonly now: string;
}

export interface DurationSummary {
  count: number;
  meanHours: number | null;
  medianHours: number | null;
  p90Hours: number | null;
}

export interface TurnaroundSummary extends DurationSummary {
  buckets: { under48h: number; from48to72h: number; over72h: number };
}

export interface ReasonCount {
  reason: string;
  count: number;
}

export interface RequestCounts {
  submitted: number;
  screenedOut: number;
  filledLocally: number;
  requested: number;
  sentToLenders: number;
  received: number;
  unfilled: number;
  cancelled: number;
  lost: number;
  /** Not yet in a terminal state. */
  open: number;
}

export interface BorrowerStatistics {
  borrower: string;
  submitted: number;
  requested: number;
  received: number;
  fillRate: number | null;
  unfilled: number;
  cancelled: number;
}

export interface LenderStatistics {
  lender: string;
  asked: number;
  answered: number;
  supplied: number;
  /** supplied / asked. */
  fillRate: number | null;
  timedOut: number;
  /** Asks still unanswered past their deadline at `now` (the timer has not moved the rota yet). */
  pastDeadline: number;
  responseTime: DurationSummary;
  /** How its asks ended (supplied, unfilled: NotHeld, timed out, ...), most frequent first. */
  outcomes: ReasonCount[];
}

/** Costs by currency: what was paid for shipments and the return shipping owed (docs/workflow/costs.md). */
export interface CostTotals {
  /** Sum of the shipped costs, one entry per currency. */
  paid: Money[];
  /** Sum of the return shipping owed (suppliers outside the delivery network), one entry per currency. */
  returnShipping: Money[];
  /** Shipments counted. */
  shipments: number;
}

export interface Statistics {
  now: string;
  since: string | null;
  library: string | null;
  requests: RequestCounts;
  fillRate: number | null;
  sentFillRate: number | null;
  byBorrower: BorrowerStatistics[];
  byLender: LenderStatistics[];
  /** Requests whose rota ended without a supplier; reasons = the outcomes of their lenders' asks. */
  unfilled: { count: number; reasons: ReasonCount[] };
  cancelled: { count: number; reasons: ReasonCount[] };
  turnaround: { requestToShip: TurnaroundSummary; shipToReceipt: TurnaroundSummary; requestToReceipt: TurnaroundSummary; averageDaysToReceive: number | null };
  lenderResponse: DurationSummary;
  notAnsweredInTime: { timedOut: number; pastDeadline: number; requests: number };
  /** Costs: in all, paid by each borrower, paid to each lender (as supplier). */
  costs: { total: CostTotals; byBorrower: (CostTotals & { borrower: string })[]; byLender: (CostTotals & { lender: string })[] };
}

// ---------------------------------------------------------------------------------------------
// Tallies: the additive part of the figures

/**
 * The additive figures of a set of requests: nested objects of integers (counts, durations in
 * tenths of an hour and their sums, money in cents per currency), sparse (a missing number is 0,
 * no entry is left at 0) and with their keys in sorted order. Two tallies add up exactly, in any
 * order, and subtract the same way: the request-summaries projection keeps one per month and
 * scope (statisticsAggregate), and a report merges what it needs and finalizes it.
 */
export interface Tally {
  [key: string]: number | Tally;
}

/** Array indexes (0 .. 2^32 - 2): JavaScript lists such keys first, in numeric order, whatever the insertion order. */
const isIndexKey = (key: string): boolean => /^(0|[1-9]\d{0,8})$/.test(key);
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Puts the object's keys back in sorted order (after a new key was added at the end). */
function sortKeys(tally: Tally): void {
  const entries = Object.entries(tally).sort(([a], [b]) => compareText(a, b));
  for (const [key] of entries) delete tally[key];
  for (const [key, value] of entries) tally[key] = value;
}

/**
 * Adds `sign` times `part` into `into` (changed in place and returned): numbers add, objects merge,
 * a number or object that reaches 0 or empty goes, and new keys keep their object's keys sorted,
 * so equal tallies are equal JSON text whatever order their parts were added in (`sorted: false`
 * skips the sorting, for a tally that is only added elsewhere).
 */
export function mergeTally(into: Tally, part: Tally, sign: 1 | -1 = 1, sorted = true): Tally {
  mergeInto(into, part, sign, sorted);
  return into;
}

/** mergeTally; returns whether a key was deleted from `into` (it may be empty now). */
function mergeInto(into: Tally, part: Tally, sign: 1 | -1, sorted: boolean): boolean {
  let added = false;
  let deleted = false;
  for (const key in part) {
    const value = part[key]!;
    const current = into[key];
    if (typeof value === 'number') {
      if (current !== undefined && typeof current !== 'number') throw new TypeError(`tally: '${key}' is a number in one tally and an object in the other`);
      const next = (current ?? 0) + sign * value;
      if (next === 0) {
        if (current !== undefined) deleted = true;
        delete into[key];
      } else {
        if (current === undefined && !isIndexKey(key)) added = true;
        into[key] = next;
      }
    } else {
      if (typeof current === 'number') throw new TypeError(`tally: '${key}' is an object in one tally and a number in the other`);
      const child = current ?? {};
      // Only a deletion can leave a child empty (a part is never empty): look then, not every time.
      if (mergeInto(child, value, sign, sorted) && isEmpty(child)) {
        if (current !== undefined) deleted = true;
        delete into[key];
      } else if (current === undefined && !isEmpty(child)) {
        into[key] = child;
        if (!isIndexKey(key)) added = true;
      }
    }
  }
  if (added && sorted) sortKeys(into);
  return deleted;
}

function isEmpty(tally: Tally): boolean {
  for (const _ in tally) return false;
  return true;
}

/** The object at `key` of a tally, created when missing (contributions: order does not matter yet). */
function sub(tally: Tally, key: string): Tally {
  const child = tally[key];
  if (child !== undefined && typeof child !== 'number') return child;
  return (tally[key] = {});
}

/** Adds `n` (not 0) to a number of a tally. */
function inc(tally: Tally, key: string, n = 1): void {
  if (n !== 0) tally[key] = ((tally[key] as number | undefined) ?? 0) + n;
}

function numberAt(tally: Tally | undefined, ...path: string[]): number {
  let at: number | Tally | undefined = tally;
  for (const key of path) at = at === undefined || typeof at === 'number' ? undefined : at[key];
  return typeof at === 'number' ? at : 0;
}

function tallyAt(tally: Tally | undefined, ...path: string[]): Tally {
  let at: number | Tally | undefined = tally;
  for (const key of path) at = at === undefined || typeof at === 'number' ? undefined : at[key];
  return at === undefined || typeof at === 'number' ? {} : at;
}

const TENTH_MS = 360_000;
/**
 * A duration counted in the report's unit: whole tenths of an hour, the nearest (Math.round of
 * ms / 360,000). Means, medians, p90s and buckets are computed over these values, so a report
 * from the month aggregates equals one from the summaries, digit for digit.
 */
export const durationTenths = (from: string | null, to: string | null): number | undefined => {
  const d = ms(to) - ms(from);
  return Number.isNaN(d) ? undefined : Math.round(d / TENTH_MS) || 0;
};

/** A duration into a histogram tally: `count`, `sum` (tenths) and `bins` (tenths -> how many). */
function addDuration(tally: Tally, key: string, tenths: number | undefined): void {
  if (tenths === undefined) return;
  const histogram = sub(tally, key);
  inc(histogram, 'count');
  inc(histogram, 'sum', tenths);
  inc(sub(histogram, 'bins'), String(tenths));
}

function addMoney(tally: Tally, key: string, money: Money | null | undefined): void {
  if (money) inc(sub(tally, key), money.currency, toMinor(money));
}

function addCosts(costs: Tally, doc: RequestSummaryDoc): void {
  inc(costs, 'shipments');
  addMoney(costs, 'paid', doc.cost);
  addMoney(costs, 'returnShipping', doc.returnShippingCost);
}

const SCREENED_OUT = new Set(['rejected', 'documentDelivery']);

function isPastDeadline(entry: LenderTry, nowMs: number): boolean {
  return entry.outcome === null && entry.answeredAt === null && entry.respondBy !== null && ms(entry.respondBy) <= nowMs;
}

/** Whether the request is in a library's statistics: it borrowed it or was asked to lend it. */
export function concernsLibrary(doc: RequestSummaryDoc, library: string): boolean {
  return doc.borrower === library || doc.lenders.some((l) => l.library === library);
}

/**
 * One request's part of the figures, for the network (`library` undefined) or for one library
 * (the request must concern it: concernsLibrary). `nowMs` is given for an open request only: its
 * asks still unanswered past their deadline at that time count as past deadline. A request that
 * ended has no such ask (its lenders' turns all ended), so its part does not depend on the time.
 */
export function statisticsContribution(doc: RequestSummaryDoc, library: string | undefined, nowMs?: number): Tally {
  const t: Tally = {};
  const m = doc.milestones;
  if (m.submittedAt === null) return t;
  const screenedOut = SCREENED_OUT.has(doc.outcome);
  const filledLocally = doc.outcome === 'filledLocally';
  const requested = !screenedOut && !filledLocally;
  const wrongItem = doc.outcome === 'wrongItemReturned' || typeof m.wrongItemAt === 'string';
  const received = m.receivedAt !== null && !wrongItem;
  const unfilled = m.unfilledAt !== null;
  const cancelled = doc.outcome === 'cancelled';
  const r = sub(t, 'requests');
  inc(r, 'submitted');
  if (screenedOut) inc(r, 'screenedOut');
  if (filledLocally) inc(r, 'filledLocally');
  if (requested) inc(r, 'requested');
  if (m.firstSentAt !== null) inc(r, 'sentToLenders');
  if (received) inc(r, 'received');
  if (unfilled) inc(r, 'unfilled');
  if (cancelled) inc(r, 'cancelled');
  if (doc.outcome === 'lost') inc(r, 'lost');
  if (!doc.terminal) inc(r, 'open');

  if (library === undefined || doc.borrower === library) {
    const b = sub(sub(t, 'byBorrower'), doc.borrower);
    inc(b, 'submitted');
    if (requested) inc(b, 'requested');
    if (received) inc(b, 'received');
    if (unfilled) inc(b, 'unfilled');
    if (cancelled) inc(b, 'cancelled');
  }
  if (cancelled) inc(sub(t, 'cancelReasons'), doc.cancelReason ?? '(no reason)');
  // Summaries written before version 3 have no cost fields: read as none.
  if (doc.cost) {
    const costs = sub(t, 'costs');
    addCosts(sub(costs, 'total'), doc);
    if (library === undefined || doc.borrower === library) addCosts(sub(sub(costs, 'byBorrower'), doc.borrower), doc);
    if (doc.supplier !== null && (library === undefined || doc.supplier === library)) addCosts(sub(sub(costs, 'byLender'), doc.supplier), doc);
  }

  addDuration(t, 'requestToShip', durationTenths(m.submittedAt, m.shippedAt));
  addDuration(t, 'shipToReceipt', durationTenths(m.shippedAt, m.receivedAt));
  if (!wrongItem) addDuration(t, 'requestToReceipt', durationTenths(m.submittedAt, m.receivedAt)); // a wrong item fills nothing

  let late = false;
  for (const entry of doc.lenders) {
    const supplied = entry.outcome === 'supplied' && !wrongItem;
    const outcome = entry.outcome === 'supplied' && wrongItem ? 'wrong item' : (entry.outcome ?? 'pending');
    if (unfilled && entry.outcome !== null) inc(sub(t, 'unfilledReasons'), entry.outcome);
    const answer = durationTenths(entry.askedAt, entry.answeredAt);
    addDuration(t, 'lenderResponse', answer);
    const isTimedOut = entry.outcome === 'timed out';
    const isPast = nowMs !== undefined && isPastDeadline(entry, nowMs);
    if (isTimedOut) inc(sub(t, 'late'), 'timedOut');
    if (isPast) inc(sub(t, 'late'), 'pastDeadline');
    if (isTimedOut || isPast) late = true;
    if (library !== undefined && entry.library !== library) continue;
    const l = sub(sub(t, 'byLender'), entry.library);
    inc(l, 'asked');
    if (entry.answeredAt !== null) inc(l, 'answered');
    if (supplied) inc(l, 'supplied');
    if (isTimedOut) inc(l, 'timedOut');
    if (isPast) inc(l, 'pastDeadline');
    addDuration(l, 'responseTime', answer);
    inc(sub(l, 'outcomes'), outcome);
  }
  if (late) inc(sub(t, 'late'), 'requests');
  return t;
}

// ---------------------------------------------------------------------------------------------
// From a tally to the report

const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 3) : null);

/** Mean, median and p90 (nearest rank) of hours, rounded to 0.1 (of any values; the reports use durationTenths). */
export function summarizeHours(hours: readonly number[]): DurationSummary {
  const n = hours.length;
  if (n === 0) return { count: 0, meanHours: null, medianHours: null, p90Hours: null };
  const sorted = Float64Array.from(hours).sort();
  let sum = 0;
  for (const h of sorted) sum += h;
  const mid = n >> 1;
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  const p90 = sorted[Math.ceil(0.9 * n) - 1]!;
  return { count: n, meanHours: round(sum / n, 1), medianHours: round(median, 1), p90Hours: round(p90, 1) };
}

/** The bins of a histogram tally, by value (tenths of an hour). */
function binsOf(histogram: Tally): [number, number][] {
  return Object.entries(tallyAt(histogram, 'bins'))
    .map(([value, count]): [number, number] => [Number(value), typeof count === 'number' ? count : 0])
    .sort(([a], [b]) => a - b);
}

/** The value of rank `rank` (1-based) among the binned values. */
function valueAtRank(bins: readonly [number, number][], rank: number): number {
  let seen = 0;
  for (const [value, count] of bins) {
    seen += count;
    if (seen >= rank) return value;
  }
  return bins[bins.length - 1]![0];
}

/** Count, mean, median (mean of the two middle values for an even count) and p90 (nearest rank) of a histogram of tenths, in hours rounded to 0.1. */
function summarizeHistogram(histogram: Tally): DurationSummary {
  const n = numberAt(histogram, 'count');
  if (n === 0) return { count: 0, meanHours: null, medianHours: null, p90Hours: null };
  const bins = binsOf(histogram);
  const mid = n >> 1;
  const median = n % 2 === 1 ? valueAtRank(bins, mid + 1) : (valueAtRank(bins, mid) + valueAtRank(bins, mid + 1)) / 2;
  return {
    count: n,
    meanHours: Math.round(numberAt(histogram, 'sum') / n) / 10,
    medianHours: Math.round(median) / 10,
    p90Hours: valueAtRank(bins, Math.ceil(0.9 * n)) / 10,
  };
}

/** Buckets by tenths of an hour: < 48.0 h, 48.0-72.0 h (both inclusive), > 72.0 h. */
function turnaround(histogram: Tally): TurnaroundSummary {
  const buckets = { under48h: 0, from48to72h: 0, over72h: 0 };
  for (const [tenths, count] of binsOf(histogram)) {
    if (tenths < 480) buckets.under48h += count;
    else if (tenths <= 720) buckets.from48to72h += count;
    else buckets.over72h += count;
  }
  return { ...summarizeHistogram(histogram), buckets };
}

function countReasons(counts: Tally): ReasonCount[] {
  return Object.entries(counts)
    .map(([reason, count]) => ({ reason, count: typeof count === 'number' ? count : 0 }))
    .sort((a, b) => b.count - a.count || compareText(a.reason, b.reason));
}

const byKey = (tally: Tally): [string, Tally][] =>
  Object.entries(tally)
    .filter((e): e is [string, Tally] => typeof e[1] !== 'number')
    .sort(([a], [b]) => compareText(a, b));

/** Money by currency (cents) as a list sorted by currency. */
const moneyOf = (cents: Tally): Money[] =>
  Object.entries(cents)
    .sort(([a], [b]) => compareText(a, b))
    .map(([currency, amount]) => ({ amount: (typeof amount === 'number' ? amount : 0) / 100, currency }));
const costTotals = (costs: Tally): CostTotals => ({ paid: moneyOf(tallyAt(costs, 'paid')), returnShipping: moneyOf(tallyAt(costs, 'returnShipping')), shipments: numberAt(costs, 'shipments') });

/** The report from a tally of every request it covers (see the definitions at the top of this file). */
export function finalizeStatistics(tally: Tally, options: StatisticsOptions): Statistics {
  const { library, since, now } = options;
  const r = tallyAt(tally, 'requests');
  const counts: RequestCounts = {
    submitted: numberAt(r, 'submitted'),
    screenedOut: numberAt(r, 'screenedOut'),
    filledLocally: numberAt(r, 'filledLocally'),
    requested: numberAt(r, 'requested'),
    sentToLenders: numberAt(r, 'sentToLenders'),
    received: numberAt(r, 'received'),
    unfilled: numberAt(r, 'unfilled'),
    cancelled: numberAt(r, 'cancelled'),
    lost: numberAt(r, 'lost'),
    open: numberAt(r, 'open'),
  };
  const requestToReceipt = turnaround(tallyAt(tally, 'requestToReceipt'));
  const costs = tallyAt(tally, 'costs');
  return {
    now,
    since: since ?? null,
    library: library ?? null,
    requests: counts,
    fillRate: ratio(counts.received, counts.requested),
    sentFillRate: ratio(counts.received, counts.sentToLenders),
    byBorrower: byKey(tallyAt(tally, 'byBorrower')).map(([borrower, b]) => ({
      borrower,
      submitted: numberAt(b, 'submitted'),
      requested: numberAt(b, 'requested'),
      received: numberAt(b, 'received'),
      unfilled: numberAt(b, 'unfilled'),
      cancelled: numberAt(b, 'cancelled'),
      fillRate: ratio(numberAt(b, 'received'), numberAt(b, 'requested')),
    })),
    byLender: byKey(tallyAt(tally, 'byLender')).map(([lender, l]) => ({
      lender,
      asked: numberAt(l, 'asked'),
      answered: numberAt(l, 'answered'),
      supplied: numberAt(l, 'supplied'),
      fillRate: ratio(numberAt(l, 'supplied'), numberAt(l, 'asked')),
      timedOut: numberAt(l, 'timedOut'),
      pastDeadline: numberAt(l, 'pastDeadline'),
      responseTime: summarizeHistogram(tallyAt(l, 'responseTime')),
      outcomes: countReasons(tallyAt(l, 'outcomes')),
    })),
    unfilled: { count: counts.unfilled, reasons: countReasons(tallyAt(tally, 'unfilledReasons')) },
    cancelled: { count: counts.cancelled, reasons: countReasons(tallyAt(tally, 'cancelReasons')) },
    turnaround: {
      requestToShip: turnaround(tallyAt(tally, 'requestToShip')),
      shipToReceipt: turnaround(tallyAt(tally, 'shipToReceipt')),
      requestToReceipt,
      averageDaysToReceive: requestToReceipt.meanHours === null ? null : round(requestToReceipt.meanHours / 24, 1),
    },
    lenderResponse: summarizeHistogram(tallyAt(tally, 'lenderResponse')),
    notAnsweredInTime: { timedOut: numberAt(tally, 'late', 'timedOut'), pastDeadline: numberAt(tally, 'late', 'pastDeadline'), requests: numberAt(tally, 'late', 'requests') },
    costs: {
      total: costTotals(tallyAt(costs, 'total')),
      byBorrower: byKey(tallyAt(costs, 'byBorrower')).map(([borrower, c]) => ({ borrower, ...costTotals(c) })),
      byLender: byKey(tallyAt(costs, 'byLender')).map(([lender, c]) => ({ lender, ...costTotals(c) })),
    },
  };
}

/**
 * The reports over request summaries (see the definitions at the top of this file): the direct
 * path, every summary in the window read. `readStatistics` (readQueries.ts) gives the same report
 * from the month aggregates of the requests that ended and the open requests.
 */
export function computeStatistics(summaryDocs: Iterable<RequestSummaryDoc>, options: StatisticsOptions): Statistics {
  const { library, since, now } = options;
  const sinceMs = since === undefined ? undefined : ms(since);
  const nowMs = ms(now);
  const tally: Tally = {};
  for (const doc of summaryDocs) {
    const submitted = doc.milestones.submittedAt;
    if (submitted === null) continue;
    if (sinceMs !== undefined && !(ms(submitted) >= sinceMs)) continue;
    if (library !== undefined && !concernsLibrary(doc, library)) continue;
    mergeTally(tally, statisticsContribution(doc, library, doc.terminal ? undefined : nowMs));
  }
  return finalizeStatistics(tally, options);
}

// ---------------------------------------------------------------------------------------------
// Text report

const pct = (rate: number | null): string => (rate === null ? '-' : `${round(rate * 100, 1)}%`);
const num = (value: number | null): string => (value === null ? '-' : String(value));
const pad = (text: string, width: number): string => (text.length >= width ? text : text + ' '.repeat(width - text.length));
const padStart = (text: string, width: number): string => (text.length >= width ? text : ' '.repeat(width - text.length) + text);
const reasons = (list: readonly ReasonCount[]): string => (list.length ? ` (${list.map((r) => `${r.reason} ${r.count}`).join(', ')})` : '');

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? pad(c, widths[i]!) : padStart(c, widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `  ${l}`);
}

/** A compact text report of `computeStatistics` for people. */
export function formatStatistics(stats: Statistics): string {
  const r = stats.requests;
  const scope = [stats.library ? `library ${stats.library}` : 'all libraries', stats.since ? `submitted since ${stats.since}` : null, `as of ${stats.now}`].filter(Boolean).join(', ');
  const lines: string[] = [`ILL statistics: ${scope}`];
  lines.push(
    `Requests: ${r.submitted} submitted, ${r.screenedOut} screened out, ${r.filledLocally} filled locally, ${r.requested} requested, ${r.sentToLenders} sent to lenders, ${r.received} received, ${r.open} open`,
  );
  lines.push(`Fill rate: ${pct(stats.fillRate)} (${r.received}/${r.requested} requested); of those sent to lenders ${pct(stats.sentFillRate)} (${r.received}/${r.sentToLenders})`);
  lines.push(`Unfilled: ${stats.unfilled.count}${reasons(stats.unfilled.reasons)}`);
  lines.push(`Cancelled: ${stats.cancelled.count}${reasons(stats.cancelled.reasons)}`);
  if (r.lost) lines.push(`Lost: ${r.lost}`);
  const t = stats.turnaround;
  lines.push('Turnaround (hours):');
  lines.push(
    ...table(
      ['', 'n', 'mean', 'median', 'p90', '<48h', '48-72h', '>72h'],
      (
        [
          ['request -> ship', t.requestToShip],
          ['ship -> receipt', t.shipToReceipt],
          ['request -> receipt', t.requestToReceipt],
        ] as const
      ).map(([label, s]) => [label, String(s.count), num(s.meanHours), num(s.medianHours), num(s.p90Hours), String(s.buckets.under48h), String(s.buckets.from48to72h), String(s.buckets.over72h)]),
    ),
  );
  lines.push(`Average days to receive: ${num(t.averageDaysToReceive)}`);
  const lr = stats.lenderResponse;
  lines.push(`Lender response (hours): n ${lr.count}, mean ${num(lr.meanHours)}, median ${num(lr.medianHours)}, p90 ${num(lr.p90Hours)}`);
  const late = stats.notAnsweredInTime;
  lines.push(`Not answered in time: ${late.timedOut} timed out, ${late.pastDeadline} past deadline now (${late.requests} requests)`);
  if (stats.byBorrower.length) {
    lines.push('Borrowers:');
    lines.push(
      ...table(
        ['', 'submitted', 'requested', 'received', 'fill', 'unfilled', 'cancelled'],
        stats.byBorrower.map((b) => [b.borrower, String(b.submitted), String(b.requested), String(b.received), pct(b.fillRate), String(b.unfilled), String(b.cancelled)]),
      ),
    );
  }
  if (stats.byLender.length) {
    lines.push('Lenders:');
    lines.push(
      ...table(
        ['', 'asked', 'supplied', 'fill', 'timed out', 'past deadline', 'resp mean h', 'median h', 'p90 h'],
        stats.byLender.map((l) => [
          l.lender,
          String(l.asked),
          String(l.supplied),
          pct(l.fillRate),
          String(l.timedOut),
          String(l.pastDeadline),
          num(l.responseTime.meanHours),
          num(l.responseTime.medianHours),
          num(l.responseTime.p90Hours),
        ]),
      ),
    );
  }
  lines.push(...formatCosts(stats.costs));
  return lines.join('\n');
}

const moneyList = (list: readonly Money[]): string => (list.length ? list.map(formatMoney).join(' + ') : '-');

/** The cost lines of the report: in all, then per borrower and per lender (as supplier). */
function formatCosts(costs: Statistics['costs']): string[] {
  const t = costs.total;
  const lines = [`Costs: ${t.shipments} shipments, paid ${moneyList(t.paid)}, return shipping owed ${moneyList(t.returnShipping)}`];
  if (costs.byBorrower.length) {
    lines.push('Costs paid by borrower:');
    lines.push(...table(['', 'shipments', 'paid', 'return shipping'], costs.byBorrower.map((c) => [c.borrower, String(c.shipments), moneyList(c.paid), moneyList(c.returnShipping)])));
  }
  if (costs.byLender.length) {
    lines.push('Costs paid to lender:');
    lines.push(...table(['', 'shipments', 'paid', 'return shipping'], costs.byLender.map((c) => [c.lender, String(c.shipments), moneyList(c.paid), moneyList(c.returnShipping)])));
  }
  return lines;
}
