import type { LenderTry, RequestSummaryDoc } from './libraryHistory';
import { ms } from './storedIllEvent';
import type { Money } from '../commands';
import { addToTotals, formatMoney, totalsList } from '../policies/costs';

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

interface CostAcc {
  paid: Map<string, number>;
  returnShipping: Map<string, number>;
  shipments: number;
}
const newCostAcc = (): CostAcc => ({ paid: new Map(), returnShipping: new Map(), shipments: 0 });
function addCosts(acc: CostAcc, doc: RequestSummaryDoc): void {
  // Summaries written before version 3 have no cost fields: read as none.
  if (!doc.cost) return;
  acc.shipments++;
  addToTotals(acc.paid, doc.cost);
  addToTotals(acc.returnShipping, doc.returnShippingCost ?? null);
}
const costTotals = (acc: CostAcc): CostTotals => ({ paid: totalsList(acc.paid), returnShipping: totalsList(acc.returnShipping), shipments: acc.shipments });
function costAccOf(map: Map<string, CostAcc>, key: string): CostAcc {
  let acc = map.get(key);
  if (!acc) map.set(key, (acc = newCostAcc()));
  return acc;
}

const HOUR = 3_600_000;
const round = (value: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
const ratio = (a: number, b: number): number | null => (b > 0 ? round(a / b, 3) : null);

/** Mean, median and p90 (nearest rank) of hours, rounded to 0.1. */
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

function turnaround(hours: readonly number[]): TurnaroundSummary {
  const buckets = { under48h: 0, from48to72h: 0, over72h: 0 };
  for (const h of hours) {
    if (h < 48) buckets.under48h++;
    else if (h <= 72) buckets.from48to72h++;
    else buckets.over72h++;
  }
  return { ...summarizeHours(hours), buckets };
}

function hoursBetween(from: string | null, to: string | null): number | undefined {
  const d = ms(to) - ms(from);
  return Number.isNaN(d) ? undefined : d / HOUR;
}

function countReasons(counts: Map<string, number>): ReasonCount[] {
  return [...counts.entries()]
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

const bump = (counts: Map<string, number>, key: string): void => {
  counts.set(key, (counts.get(key) ?? 0) + 1);
};

interface LenderAcc {
  asked: number;
  answered: number;
  supplied: number;
  timedOut: number;
  pastDeadline: number;
  responseHours: number[];
  outcomes: Map<string, number>;
}
interface BorrowerAcc {
  submitted: number;
  requested: number;
  received: number;
  unfilled: number;
  cancelled: number;
}

const SCREENED_OUT = new Set(['rejected', 'documentDelivery']);
const byKey = <T>(map: Map<string, T>): [string, T][] => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function isPastDeadline(entry: LenderTry, nowMs: number): boolean {
  return entry.outcome === null && entry.answeredAt === null && entry.respondBy !== null && ms(entry.respondBy) <= nowMs;
}

/** The reports over request summaries (see the definitions at the top of this file). */
export function computeStatistics(summaryDocs: Iterable<RequestSummaryDoc>, options: StatisticsOptions): Statistics {
  const { library, since, now } = options;
  const sinceMs = since === undefined ? undefined : ms(since);
  const nowMs = ms(now);
  const counts: RequestCounts = { submitted: 0, screenedOut: 0, filledLocally: 0, requested: 0, sentToLenders: 0, received: 0, unfilled: 0, cancelled: 0, lost: 0, open: 0 };
  const borrowers = new Map<string, BorrowerAcc>();
  const lenders = new Map<string, LenderAcc>();
  const unfilledReasons = new Map<string, number>();
  const cancelReasons = new Map<string, number>();
  const toShip: number[] = [];
  const toReceipt: number[] = [];
  const total: number[] = [];
  const response: number[] = [];
  let timedOut = 0;
  let pastDeadline = 0;
  let lateRequests = 0;
  const totalCosts = newCostAcc();
  const borrowerCosts = new Map<string, CostAcc>();
  const lenderCosts = new Map<string, CostAcc>();

  for (const doc of summaryDocs) {
    const m = doc.milestones;
    if (m.submittedAt === null) continue;
    if (sinceMs !== undefined && !(ms(m.submittedAt) >= sinceMs)) continue;
    if (library !== undefined && doc.borrower !== library && !doc.lenders.some((l) => l.library === library)) continue;

    const screenedOut = SCREENED_OUT.has(doc.outcome);
    const filledLocally = doc.outcome === 'filledLocally';
    const requested = !screenedOut && !filledLocally;
    const wrongItem = doc.outcome === 'wrongItemReturned' || typeof m.wrongItemAt === 'string';
    const received = m.receivedAt !== null && !wrongItem;
    const unfilled = m.unfilledAt !== null;
    const cancelled = doc.outcome === 'cancelled';
    counts.submitted++;
    if (screenedOut) counts.screenedOut++;
    if (filledLocally) counts.filledLocally++;
    if (requested) counts.requested++;
    if (m.firstSentAt !== null) counts.sentToLenders++;
    if (received) counts.received++;
    if (unfilled) counts.unfilled++;
    if (cancelled) counts.cancelled++;
    if (doc.outcome === 'lost') counts.lost++;
    if (!doc.terminal) counts.open++;

    if (library === undefined || doc.borrower === library) {
      let b = borrowers.get(doc.borrower);
      if (!b) borrowers.set(doc.borrower, (b = { submitted: 0, requested: 0, received: 0, unfilled: 0, cancelled: 0 }));
      b.submitted++;
      if (requested) b.requested++;
      if (received) b.received++;
      if (unfilled) b.unfilled++;
      if (cancelled) b.cancelled++;
    }
    if (cancelled) bump(cancelReasons, doc.cancelReason ?? '(no reason)');
    if (doc.cost) {
      addCosts(totalCosts, doc);
      if (library === undefined || doc.borrower === library) addCosts(costAccOf(borrowerCosts, doc.borrower), doc);
      if (doc.supplier !== null && (library === undefined || doc.supplier === library)) addCosts(costAccOf(lenderCosts, doc.supplier), doc);
    }

    const ship = hoursBetween(m.submittedAt, m.shippedAt);
    if (ship !== undefined) toShip.push(ship);
    const receipt = hoursBetween(m.shippedAt, m.receivedAt);
    if (receipt !== undefined) toReceipt.push(receipt);
    const whole = wrongItem ? undefined : hoursBetween(m.submittedAt, m.receivedAt); // a wrong item fills nothing
    if (whole !== undefined) total.push(whole);

    let late = false;
    for (const entry of doc.lenders) {
      const supplied = entry.outcome === 'supplied' && !wrongItem;
      const outcome = entry.outcome === 'supplied' && wrongItem ? 'wrong item' : (entry.outcome ?? 'pending');
      if (unfilled && entry.outcome !== null) bump(unfilledReasons, entry.outcome);
      const answerHours = hoursBetween(entry.askedAt, entry.answeredAt);
      if (answerHours !== undefined) response.push(answerHours);
      const isTimedOut = entry.outcome === 'timed out';
      const isPast = isPastDeadline(entry, nowMs);
      if (isTimedOut) timedOut++;
      if (isPast) pastDeadline++;
      if (isTimedOut || isPast) late = true;
      if (library !== undefined && entry.library !== library) continue;
      let l = lenders.get(entry.library);
      if (!l) lenders.set(entry.library, (l = { asked: 0, answered: 0, supplied: 0, timedOut: 0, pastDeadline: 0, responseHours: [], outcomes: new Map() }));
      l.asked++;
      if (entry.answeredAt !== null) l.answered++;
      if (supplied) l.supplied++;
      if (isTimedOut) l.timedOut++;
      if (isPast) l.pastDeadline++;
      if (answerHours !== undefined) l.responseHours.push(answerHours);
      bump(l.outcomes, outcome);
    }
    if (late) lateRequests++;
  }

  const requestToReceipt = turnaround(total);
  return {
    now,
    since: since ?? null,
    library: library ?? null,
    requests: counts,
    fillRate: ratio(counts.received, counts.requested),
    sentFillRate: ratio(counts.received, counts.sentToLenders),
    byBorrower: byKey(borrowers).map(([borrower, b]) => ({ borrower, ...b, fillRate: ratio(b.received, b.requested) })),
    byLender: byKey(lenders).map(([lender, l]) => ({
      lender,
      asked: l.asked,
      answered: l.answered,
      supplied: l.supplied,
      fillRate: ratio(l.supplied, l.asked),
      timedOut: l.timedOut,
      pastDeadline: l.pastDeadline,
      responseTime: summarizeHours(l.responseHours),
      outcomes: countReasons(l.outcomes),
    })),
    unfilled: { count: counts.unfilled, reasons: countReasons(unfilledReasons) },
    cancelled: { count: counts.cancelled, reasons: countReasons(cancelReasons) },
    turnaround: {
      requestToShip: turnaround(toShip),
      shipToReceipt: turnaround(toReceipt),
      requestToReceipt,
      averageDaysToReceive: requestToReceipt.meanHours === null ? null : round(requestToReceipt.meanHours / 24, 1),
    },
    lenderResponse: summarizeHours(response),
    notAnsweredInTime: { timedOut, pastDeadline, requests: lateRequests },
    costs: {
      total: costTotals(totalCosts),
      byBorrower: byKey(borrowerCosts).map(([borrower, acc]) => ({ borrower, ...costTotals(acc) })),
      byLender: byKey(lenderCosts).map(([lender, acc]) => ({ lender, ...costTotals(acc) })),
    },
  };
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
