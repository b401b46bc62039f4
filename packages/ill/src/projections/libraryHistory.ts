import type { JsonObject, Projection, StoredEvent } from '@interlend/engine';
import { isTerminal } from '../events';
import type { IllMachineEvent } from '../evolve';
import { LENDER_ANSWERS, lenderOutcome } from '../evolve';
import { effectFacts, illMetadata, lenderRef, requestKey, upcastIllEvent } from './storedIllEvent';
import { deriveStatisticsAggregates, isStatisticsAggregate, type StatisticsAggregateDoc } from './statisticsAggregates';

export const REQUEST_SUMMARIES_PROJECTION = 'ill.request-summaries';

/** One lender the rota asked, in the order asked. */
export interface LenderTry extends JsonObject {
  library: string;
  position: number;
  askedAt: string | null;
  /** When its answer was due. */
  respondBy: string | null;
  /** Its first answer of any kind (expect to supply, will supply, conditional, retry, cannot supply, shipped); null if none. */
  answeredAt: string | null;
  /**
   * How its turn ended, in the words of the request's rota (evolve.ts `lenderOutcome`):
   * 'supplied', 'unfilled: <reason>', 'retry: <reason>', 'timed out', 'conditions rejected',
   * 'conditions expired', 'cancelled', 'closed'; null while it is still the current lender.
   */
  outcome: string | null;
}

export interface Milestones extends JsonObject {
  submittedAt: string | null;
  /** When the first lender was asked. */
  firstSentAt: string | null;
  shippedAt: string | null;
  receivedAt: string | null;
  checkedInAt: string | null;
  /** When the rota ended without a supplier. */
  unfilledAt: string | null;
  /** When the request entered the terminal state it is in now. */
  closedAt: string | null;
  /**
   * When the borrower reported the item received was the wrong one: the request is then no fill
   * (statistics). Summaries of version 2 lack it (they are rebuilt at version 3).
   */
  wrongItemAt: string | null;
}

/**
 * A request's history as libraries' histories and the statistics show it: who was asked, what
 * each answered and when, the milestones, the outcome. Nothing more (version 2): the rest of a
 * request is in its events (`history`) and its folded state.
 */
export interface RequestSummaryDoc extends JsonObject {
  requestId: string;
  borrower: string;
  title: string;
  format: string;
  serviceType: string;
  /** The state now: the final state once terminal. */
  outcome: string;
  terminal: boolean;
  /** The lender that shipped, if any. */
  supplier: string | null;
  lenders: LenderTry[];
  milestones: Milestones;
  /** Why the request was cancelled, when it ended cancelled. */
  cancelReason: string | null;
  /** The reason of a cancel asked of the lender and not answered yet (it becomes `cancelReason` if accepted). */
  pendingCancelReason: string | null;
  /** What the supplier charged (Shipped `cost`); null before a shipment. Missing in summaries of version 2: read as null. */
  cost: { amount: number; currency: string } | null;
  /** The return shipping the borrower owes a supplier outside the delivery network (Shipped `returnShippingCost`); null when none. */
  returnShippingCost: { amount: number; currency: string } | null;
}

function newSummary(event: StoredEvent): RequestSummaryDoc {
  return {
    requestId: event.streamId,
    borrower: '',
    title: '',
    format: '',
    serviceType: '',
    outcome: '',
    terminal: false,
    supplier: null,
    lenders: [],
    milestones: { submittedAt: null, firstSentAt: null, shippedAt: null, receivedAt: null, checkedInAt: null, unfilledAt: null, closedAt: null, wrongItemAt: null },
    cancelReason: null,
    pendingCancelReason: null,
    cost: null,
    returnShippingCost: null,
  };
}

const ANSWERS: Readonly<Partial<Record<string, string>>> = LENDER_ANSWERS;

function findTry(doc: RequestSummaryDoc, position: number | null): LenderTry | undefined {
  if (position === null) return undefined;
  const lenders = doc.lenders;
  for (let i = lenders.length - 1; i >= 0; i--) if (lenders[i]!.position === position) return lenders[i];
  return undefined;
}

/** The lender an event is about: its LenderRef, or the last lender asked. */
function lenderTryOf(doc: RequestSummaryDoc, event: StoredEvent, time: string): LenderTry | undefined {
  const ref = lenderRef(event.data);
  if (!ref) return doc.lenders[doc.lenders.length - 1];
  let entry = findTry(doc, ref.position);
  if (!entry) {
    // Not asked through a recorded notifyLender effect (hand-written history): take the event's word.
    entry = { library: ref.lender, position: ref.position, askedAt: time, respondBy: null, answeredAt: null, outcome: null };
    doc.lenders.push(entry);
  }
  return entry;
}

/** Event types that may end a lender's turn (evolve.ts `lenderOutcome` names how). */
const OUTCOMES = new Set(['LenderUnfilled', 'RetryPossibleAnswered', 'LenderTimedOut', 'ConditionalAnswerExpired', 'ConditionsRejected', 'CancelAccepted', 'ManuallyClosed', 'Shipped']);

function applyLenderFacts(doc: RequestSummaryDoc, event: StoredEvent, time: string): void {
  const answer = ANSWERS[event.type];
  if (answer === undefined && !OUTCOMES.has(event.type)) return;
  const outcome = lenderOutcome({ type: event.type, data: event.data } as unknown as IllMachineEvent);
  if (!answer && !outcome) return;
  const entry = lenderTryOf(doc, event, time);
  if (!entry) return;
  if (answer && entry.answeredAt === null) entry.answeredAt = time;
  if (!outcome || entry.outcome !== null) return;
  if (event.type === 'ManuallyClosed' && doc.milestones.shippedAt !== null) return; // the supplier keeps 'supplied'
  entry.outcome = outcome;
  if (outcome === 'supplied') doc.supplier = entry.library;
}

function applyFacts(doc: RequestSummaryDoc, event: StoredEvent, time: string, stateAfter: string): void {
  const data = event.data;
  const m = doc.milestones;
  switch (event.type) {
    case 'RequestSubmitted': {
      const d = data as { borrower?: string; serviceType?: string; material?: { title?: string; format?: string } };
      doc.borrower = d.borrower ?? '';
      doc.title = d.material?.title ?? '';
      doc.format = d.material?.format ?? '';
      doc.serviceType = d.serviceType ?? '';
      m.submittedAt = time;
      return;
    }
    case 'Shipped': {
      doc.pendingCancelReason = null;
      if (m.shippedAt === null) m.shippedAt = time;
      const d = data as { cost?: { amount: number; currency: string }; returnShippingCost?: { amount: number; currency: string } };
      doc.cost = d.cost ? { amount: d.cost.amount, currency: d.cost.currency } : null;
      doc.returnShippingCost = d.returnShippingCost ? { amount: d.returnShippingCost.amount, currency: d.returnShippingCost.currency } : null;
      return;
    }
    case 'Cancelled':
      doc.cancelReason = String(data.reason ?? '');
      return;
    case 'CancelRequested':
      doc.pendingCancelReason = String(data.reason ?? '');
      return;
    case 'CancelAccepted':
      // Accepted and no lender left to continue with, or a final cancel: the request ends cancelled.
      if (stateAfter === 'cancelled') doc.cancelReason = doc.pendingCancelReason;
      doc.pendingCancelReason = null;
      return;
    case 'CancelRefused':
    case 'ManuallyClosed':
      doc.pendingCancelReason = null;
      return;
    case 'Received':
      if (m.receivedAt === null) m.receivedAt = time;
      return;
    case 'CheckedIn':
      m.checkedInAt = time;
      return;
    case 'WrongItemReported':
      m.wrongItemAt = time;
      return;
  }
}

export const summaryLibraryIndex = (code: string): string => `library:${code}`;
export const summarySubmittedIndex = (time: string): string => `submitted:${time}`;
/** The open (not terminal) requests: `open`, and `open:<code>` for those a library borrowed or was asked to lend. */
export const summaryOpenIndex = (library?: string): string => (library === undefined ? 'open' : `open:${library}`);

/**
 * Request summaries: one document per request (key = request id) with its lenders, milestones
 * and outcome. Index `library:<code>` for the borrower and every lender asked (a
 * library's history is every request it borrowed or was asked to lend), `submitted:<time>`
 * (query a period with an index range) and, while the request is open, `open` and
 * `open:<code>`. Beside them, the statistics of the requests that ended, by month and scope
 * (statisticsAggregates.ts), kept with the summaries in the same commits.
 */
export const requestSummaryProjection: Projection<RequestSummaryDoc, StatisticsAggregateDoc> = {
  name: REQUEST_SUMMARIES_PROJECTION,
  /**
   * 2: only what histories and statistics show (docs/projections.md); 3: the costs of the shipment and the wrong item (statistics), a second try of a lender asked again;
   * 4: the statistics aggregates by month and scope, the `open` index.
   */
  version: 4,
  upcast: upcastIllEvent,
  keys: requestKey,
  apply(current, event) {
    const meta = illMetadata(event);
    if (!meta) return undefined;
    const time = meta.time;
    const doc = current ?? newSummary(event);
    applyLenderFacts(doc, event, time);
    applyFacts(doc, event, time, meta.stateAfter);
    const asked = effectFacts(meta).asked;
    // A lender asked again (an amendment raised the maximum after it answered cost) gets a second try.
    const earlier = asked ? findTry(doc, asked.position) : undefined;
    if (asked && (!earlier || earlier.outcome !== null)) {
      doc.lenders.push({ library: asked.library, position: asked.position, askedAt: time, respondBy: asked.respondBy, answeredAt: null, outcome: null });
      if (doc.milestones.firstSentAt === null) doc.milestones.firstSentAt = time;
    }
    const state = meta.stateAfter;
    if (state === 'unfilled' && doc.outcome !== 'unfilled') doc.milestones.unfilledAt = time;
    const terminal = isTerminal(state);
    if (terminal && state !== doc.outcome) doc.milestones.closedAt = time;
    doc.outcome = state;
    doc.terminal = terminal;
    return doc;
  },
  index(doc, key) {
    if (isStatisticsAggregate(doc)) return [key]; // stats:network:<month>, stats:library:<code>:<month>
    const values = [summaryLibraryIndex(doc.borrower)];
    for (const entry of doc.lenders) {
      const value = summaryLibraryIndex(entry.library);
      if (!values.includes(value)) values.push(value);
    }
    if (doc.milestones.submittedAt) values.push(summarySubmittedIndex(doc.milestones.submittedAt));
    if (!doc.terminal) {
      values.push(summaryOpenIndex());
      for (const value of values.slice(0, -1)) if (value.startsWith('library:')) values.push(summaryOpenIndex(value.slice('library:'.length)));
    }
    return values;
  },
  derive: (_key, before, after) => deriveStatisticsAggregates(before, after),
};

/** Whether a document of this read model is a request's summary (not a statistics aggregate). */
export function isRequestSummary(doc: RequestSummaryDoc | StatisticsAggregateDoc): doc is RequestSummaryDoc {
  return doc.kind !== 'statistics';
}

// ---------------------------------------------------------------------------------------------
// A library's history

/** A request the library borrowed. */
export interface BorrowedRow {
  requestId: string;
  title: string;
  format: string;
  serviceType: string;
  outcome: string;
  terminal: boolean;
  submittedAt: string | null;
  closedAt: string | null;
  /** Lenders asked, in order. */
  lendersAsked: string[];
  supplier: string | null;
  receivedAt: string | null;
}

/** A request the library was asked to lend. */
export interface LentRow {
  requestId: string;
  borrower: string;
  title: string;
  format: string;
  serviceType: string;
  position: number;
  askedAt: string | null;
  answeredAt: string | null;
  /** This lender's outcome; null while the request is still with it. */
  lenderOutcome: string | null;
  /** The request's state now. */
  requestOutcome: string;
  shippedAt: string | null;
  checkedInAt: string | null;
}

export interface LibraryHistory {
  borrowed: BorrowedRow[];
  lent: LentRow[];
}

const byTimeThenId = (a: { at: string | null; id: string }, b: { at: string | null; id: string }): number => {
  const x = a.at ?? '';
  const y = b.at ?? '';
  return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

/**
 * A library's history from the summaries (e.g. those of `query('ill.request-summaries', { index: 'library:<code>' })`):
 * the requests it borrowed and those it was asked to lend, each by submission time (borrowed) or
 * time asked (lent).
 */
export function libraryHistory(docs: Iterable<RequestSummaryDoc>, code: string): LibraryHistory {
  const borrowed: BorrowedRow[] = [];
  const lent: LentRow[] = [];
  for (const doc of docs) {
    if (doc.borrower === code) {
      borrowed.push({
        requestId: doc.requestId,
        title: doc.title,
        format: doc.format,
        serviceType: doc.serviceType,
        outcome: doc.outcome,
        terminal: doc.terminal,
        submittedAt: doc.milestones.submittedAt,
        closedAt: doc.milestones.closedAt,
        lendersAsked: doc.lenders.map((l) => l.library),
        supplier: doc.supplier,
        receivedAt: doc.milestones.receivedAt,
      });
    }
    for (const entry of doc.lenders) {
      if (entry.library !== code) continue;
      lent.push({
        requestId: doc.requestId,
        borrower: doc.borrower,
        title: doc.title,
        format: doc.format,
        serviceType: doc.serviceType,
        position: entry.position,
        askedAt: entry.askedAt,
        answeredAt: entry.answeredAt,
        lenderOutcome: entry.outcome,
        requestOutcome: doc.outcome,
        shippedAt: entry.outcome === 'supplied' ? doc.milestones.shippedAt : null,
        checkedInAt: entry.outcome === 'supplied' ? doc.milestones.checkedInAt : null,
      });
    }
  }
  borrowed.sort((a, b) => byTimeThenId({ at: a.submittedAt, id: a.requestId }, { at: b.submittedAt, id: b.requestId }));
  lent.sort((a, b) => byTimeThenId({ at: a.askedAt, id: a.requestId }, { at: b.askedAt, id: b.requestId }));
  return { borrowed, lent };
}
