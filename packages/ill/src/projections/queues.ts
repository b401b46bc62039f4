import type { JsonObject, Projection, StoredEvent } from '@interlend/engine';
import { isTerminal, type IllStateName } from '../events';
import { dueInstant } from '../policies/businessDays';
import { effectFacts, illMetadata, ms, requestKey, trackCurrentLender, upcastIllEvent } from './storedIllEvent';

export const QUEUES_PROJECTION = 'ill.queues';

/** Staff queues of the borrowing library, in display order. */
export const BORROWING_QUEUES = [
  'needs review',
  'awaiting lender answer',
  'conditional answer awaiting us',
  'lender overdue',
  'in transit',
  'not received',
  'received / in use',
  'renewal pending',
  'overdue',
  'recalled (item due back)',
  'return in transit',
  'returned / complete?',
  'unfilled (to review)',
  'closed',
] as const;
/** Staff queues of the current lender, in display order. */
export const LENDING_QUEUES = [
  'new',
  'expiring today',
  'will supply (to pull)',
  'to ship',
  'cancel requested',
  'renewal requested',
  'on loan',
  'overdue',
  'returned (to check in)',
] as const;

export type BorrowingQueue = (typeof BORROWING_QUEUES)[number];
/**
 * The aging queue of lender clocks (docs/workflow/lender-clocks.md): beside 'awaiting lender
 * answer' while a lender that promised to supply has not shipped by its supply deadline, or has
 * not answered a cancel request by its deadline. Staff chase it or withdraw (withdrawFromLender).
 */
export const LENDER_OVERDUE_QUEUE = 'lender overdue' satisfies BorrowingQueue;
/**
 * The borrower's queue of requests that are done (every terminal state but unfilled): it grows
 * with the history, not with the work in hand, so reads count it from its index and list it only
 * when asked for by name (readQueues).
 */
export const CLOSED_QUEUE = 'closed' satisfies BorrowingQueue;
export type LendingQueue = (typeof LENDING_QUEUES)[number];
export type QueueName = BorrowingQueue | LendingQueue;
export type QueueRole = 'borrowing' | 'lending';

/** A request's membership of one library's queue. */
export interface QueueEntry extends JsonObject {
  library: string;
  role: QueueRole;
  queue: QueueName;
}

/** The queues a request is in, for its borrower and for its current lender. */
export interface StateQueues {
  readonly borrowing: readonly BorrowingQueue[];
  readonly lending: readonly LendingQueue[];
}

/**
 * THE state -> queue table. A request is in every queue its state lists: `borrowing` queues of
 * its borrower, `lending` queues of its current lender only (a lender the rota left sees it no
 * more). `sourcing` is the instant between NotAvailableLocally and RotaBuilt (one command).
 *
 * Some memberships depend on the time you ask and are added by `queueMemberships(doc, at)`:
 * - lending 'expiring today': in 'new' and the lender's response deadline (`respondBy`) falls
 *   before the end of the asking day (a deadline already past but not yet timed out included);
 * - 'lender overdue' (borrowing) is not time-dependent: it follows the SupplyOverdue /
 *   CancelUnanswered events (the lender clocks fired by the timer), see LENDER_OVERDUE_QUEUE;
 * - 'overdue' (both roles): in any `onLoan.*` state once the due instant (`dueAt`) has passed,
 *   before the timer's LoanOverdue moved it to `onLoan.overdue` (or while renewalPending /
 *   recalled / awaitingReturn, which stay put when the due date passes);
 * - the aging rules borrowing staff chase by (see AGING_DAYS): 'not received' beside 'in
 *   transit' once the item was shipped 7 days ago (a copy) or 14 (a loan) and has not arrived;
 *   'returned / complete?' beside 'return in transit' once the return was shipped 30 days ago
 *   and the lender has not checked it in.
 */
export const QUEUE_TABLE = {
  needsReview: { borrowing: ['needs review'], lending: [] },
  networkCheck: { borrowing: ['needs review'], lending: [] },
  sourcing: { borrowing: ['needs review'], lending: [] },
  'withLender.requested': { borrowing: ['awaiting lender answer'], lending: ['new'] },
  'withLender.expectsToSupply': { borrowing: ['awaiting lender answer'], lending: ['will supply (to pull)'] },
  'withLender.willSupply': { borrowing: ['awaiting lender answer'], lending: ['to ship'] },
  'withLender.conditional': { borrowing: ['conditional answer awaiting us'], lending: [] },
  'withLender.cancelPending': { borrowing: ['awaiting lender answer'], lending: ['cancel requested'] },
  shipped: { borrowing: ['in transit'], lending: ['on loan'] },
  misdelivered: { borrowing: ['in transit'], lending: ['on loan'] },
  'onLoan.received': { borrowing: ['received / in use'], lending: ['on loan'] },
  'onLoan.inUse': { borrowing: ['received / in use'], lending: ['on loan'] },
  'onLoan.renewalPending': { borrowing: ['received / in use', 'renewal pending'], lending: ['on loan', 'renewal requested'] },
  'onLoan.overdue': { borrowing: ['received / in use', 'overdue'], lending: ['on loan', 'overdue'] },
  'onLoan.recalled': { borrowing: ['received / in use', 'recalled (item due back)'], lending: ['on loan'] },
  'onLoan.awaitingReturn': { borrowing: ['received / in use'], lending: ['on loan'] },
  returnShipped: { borrowing: ['return in transit'], lending: ['returned (to check in)'] },
  unfilled: { borrowing: ['unfilled (to review)'], lending: [] },
  rejected: { borrowing: ['closed'], lending: [] },
  documentDelivery: { borrowing: ['closed'], lending: [] },
  filledLocally: { borrowing: ['closed'], lending: [] },
  reRequested: { borrowing: ['closed'], lending: [] },
  cancelled: { borrowing: ['closed'], lending: [] },
  completed: { borrowing: ['closed'], lending: [] },
  wrongItemReturned: { borrowing: ['closed'], lending: [] },
  lost: { borrowing: ['closed'], lending: [] },
  closed: { borrowing: ['closed'], lending: [] },
} as const satisfies Record<IllStateName | 'sourcing', StateQueues>;

const NO_QUEUES: StateQueues = { borrowing: [], lending: [] };

/** The queues of a state (none for a state the table does not know). */
export function queuesForState(state: string): StateQueues {
  return (QUEUE_TABLE as Record<string, StateQueues>)[state] ?? NO_QUEUES;
}

/**
 * Days after which a request needs chasing (OCLC Tipasa's aging rules), counted in calendar days
 * from when it entered its state.
 */
export const AGING_DAYS = {
  /** Shipped, not yet received: a copy. */
  notReceivedCopy: 7,
  /** Shipped, not yet received: a loan. */
  notReceivedLoan: 14,
  /** Returned by the borrower, not yet checked in by the lender. */
  returnedNotCheckedIn: 30,
} as const;

/** One document per request: the queues it is in now, and what the time-dependent queues need. */
export interface QueueDoc extends JsonObject {
  requestId: string;
  borrower: string;
  /** 'Loan' or 'Copy' (for the 'not received' aging rule). */
  serviceType: string;
  currentLender: string | null;
  position: number | null;
  state: string;
  /** When the request entered its current state. */
  since: string;
  /** Memberships that follow from the state alone (see QUEUE_TABLE). */
  entries: QueueEntry[];
  /** When the current lender's answer is due (for 'expiring today'). */
  respondBy: string | null;
  /** The lender clock that fell due while the request stays with its lender ('supply' or 'cancelAnswer'): in 'lender overdue'. Absent in documents of version 2. */
  aging: string | null;
  /** The loan's due date as the lender gave it (date or date-time). */
  dueDate: string | null;
  /** The instant the loan is overdue (for 'overdue'): the machine's 'due' deadline; null until scheduled (then computed from dueDate when asked). */
  dueAt: string | null;
  updatedAt: string;
}

function entriesFor(state: string, borrower: string, lender: string | null, aging: string | null): QueueEntry[] {
  const { borrowing, lending } = queuesForState(state);
  const entries: QueueEntry[] = [];
  if (borrower) for (const queue of borrowing) entries.push({ library: borrower, role: 'borrowing', queue });
  if (borrower && aging) entries.push({ library: borrower, role: 'borrowing', queue: LENDER_OVERDUE_QUEUE });
  if (lender) for (const queue of lending) entries.push({ library: lender, role: 'lending', queue });
  return entries;
}

function newQueueDoc(event: StoredEvent, time: string): QueueDoc {
  return {
    requestId: event.streamId,
    borrower: '',
    serviceType: '',
    currentLender: null,
    position: null,
    state: '',
    since: time,
    entries: [],
    respondBy: null,
    aging: null,
    dueDate: null,
    dueAt: null,
    updatedAt: time,
  };
}

/** The states a lender clock can fall due in (and the request stay, aging). */
const AGING_STATES: ReadonlySet<string> = new Set(['withLender.expectsToSupply', 'withLender.willSupply', 'withLender.cancelPending']);

/** The fallen-due lender clock after an event (as the machine's context `aging` has it). */
function agingAfter(aging: string | null, type: string, stateAfter: string): string | null {
  if (!AGING_STATES.has(stateAfter)) return null;
  switch (type) {
    case 'SupplyOverdue':
      return 'supply';
    case 'CancelUnanswered':
      return 'cancelAnswer';
    case 'CancelRefused':
      // The cancel's clock ends with the answer; a supply clock that fell due stays fallen due.
      return aging === 'cancelAnswer' ? null : aging;
    case 'ExpectToSupplyAnswered':
    case 'WillSupplyAnswered':
    case 'ConditionsAccepted':
      return null; // a new promise to supply starts a new clock
    default:
      return aging;
  }
}

export const queueLibraryIndex = (code: string): string => `library:${code}`;
/** The requests in one library's queue by state (the entries; the time-dependent queues are found among the open ones). */
export const queueNameIndex = (library: string, role: QueueRole, queue: QueueName): string => `queue:${library}:${role}:${queue}`;
/**
 * The requests in a queue other than 'closed' with an entry for `library` (or, without it, every
 * such request): every request not in a terminal state, and the unfilled ones while they wait in
 * 'unfilled (to review)'. Every queue but 'closed' is found among them, the time-dependent ones too.
 */
export const queueOpenIndex = (library?: string): string => (library === undefined ? 'open' : `open:${library}`);
/** Every request in the 'closed' queue, whatever its library (the per-library value is `queue:<library>:borrowing:closed`). */
export const queueClosedIndex = (): string => 'closed';

/** Whether a queue document is in a queue other than 'closed' (indexed `open`). */
const isOpen = (doc: QueueDoc): boolean => doc.state !== '' && (!isTerminal(doc.state) || doc.entries.some((e) => e.queue !== CLOSED_QUEUE));

/**
 * Staff queues: one document per request (key = request id) with its queue memberships.
 * Indexes: `library:<code>` for every library with an entry (borrower, current lender);
 * `queue:<library>:<role>:<queue>` for each entry; `open` and `open:<code>` while the request is
 * in a queue other than 'closed', `closed` while it is in 'closed' (queue reads walk the open
 * requests and count the closed ones instead of reading every request: see readQueries.ts).
 */
export const queuesProjection: Projection<QueueDoc> = {
  name: QUEUES_PROJECTION,
  /**
   * 3: the `queue:` and `open` index values; the 'lender overdue' queue (`aging`). 4: unfilled
   * requests are `open` (they wait in 'unfilled (to review)'); `closed` for the network's 'closed' queue.
   */
  version: 4,
  upcast: upcastIllEvent,
  keys: requestKey,
  apply(current, event) {
    const meta = illMetadata(event);
    if (!meta) return undefined;
    const doc = current ?? newQueueDoc(event, meta.time);
    let changed = current === undefined;
    if (event.type === 'RequestSubmitted') {
      const data = event.data as { borrower?: string; serviceType?: string };
      const borrower = data.borrower ?? '';
      changed ||= borrower !== doc.borrower;
      doc.borrower = borrower;
      doc.serviceType = data.serviceType ?? '';
    }
    const facts = effectFacts(meta);
    if (trackCurrentLender(doc, event, meta, facts.asked)) changed = true;
    if (facts.asked) doc.respondBy = facts.asked.respondBy;
    else if (doc.currentLender === null) doc.respondBy = null;
    if (facts.lenderResponseAt) doc.respondBy = facts.lenderResponseAt;
    if (event.type === 'Shipped' || event.type === 'RenewalGranted') {
      const dueDate = (event.data as { dueDate?: string }).dueDate;
      if (dueDate) {
        doc.dueDate = dueDate;
        doc.dueAt = null; // known from the 'due' deadline the machine schedules on receipt (or computed when asked)
      }
    }
    if (facts.dueAt) doc.dueAt = facts.dueAt;
    const aging = agingAfter(doc.aging ?? null, event.type, meta.stateAfter);
    if (aging !== (doc.aging ?? null)) {
      doc.aging = aging;
      changed = true;
    }
    if (meta.stateAfter !== doc.state) {
      doc.state = meta.stateAfter;
      doc.since = meta.time;
      changed = true;
    }
    if (changed) doc.entries = entriesFor(doc.state, doc.borrower, doc.currentLender, doc.aging ?? null);
    doc.updatedAt = meta.time;
    return doc;
  },
  index(doc) {
    const values: string[] = [];
    const open = isOpen(doc);
    if (open) values.push(queueOpenIndex());
    else if (doc.entries.some((e) => e.queue === CLOSED_QUEUE)) values.push(queueClosedIndex());
    for (const entry of doc.entries) {
      const value = queueLibraryIndex(entry.library);
      if (!values.includes(value)) {
        values.push(value);
        if (open) values.push(queueOpenIndex(entry.library));
      }
      values.push(queueNameIndex(entry.library, entry.role, entry.queue));
    }
    return values;
  },
};

// ---------------------------------------------------------------------------------------------
// Query-time helpers (pure): queues as they stand at a given time

const DAY_MS = 86_400_000;

/** End of the day containing `atMs`, days running from midnight at UTC + offset. */
function endOfDay(atMs: number, utcOffsetMinutes: number): number {
  const offset = utcOffsetMinutes * 60_000;
  return Math.floor((atMs + offset) / DAY_MS) * DAY_MS + DAY_MS - offset;
}

export interface QueueTime {
  /** The time you ask (ISO-8601). */
  readonly at: string;
  /** Where the asking day starts: minutes east of UTC (default 0: UTC days). */
  readonly utcOffsetMinutes?: number;
}

/** Every queue the request is in at `at`: its state's entries plus the time-dependent ones (see QUEUE_TABLE). */
export function queueMemberships(doc: QueueDoc, time: QueueTime): QueueEntry[] {
  return membershipsAt(doc, ms(time.at), time.utcOffsetMinutes ?? 0);
}

/**
 * `queueMemberships` with the asking time parsed once. Times are parsed only for the states whose
 * queues depend on them: a queue read goes through every request of a library, and most of them
 * are closed (profiled on a queue read: parsing those dates was half of these helpers' time).
 */
function membershipsAt(doc: QueueDoc, atMs: number, utcOffsetMinutes: number): QueueEntry[] {
  const lender = doc.currentLender;
  const state = doc.state;
  const entries = doc.entries.slice();
  const daysInState = () => (atMs - ms(doc.since)) / DAY_MS;
  if (doc.borrower && state === 'shipped') {
    const days = doc.serviceType === 'Copy' ? AGING_DAYS.notReceivedCopy : AGING_DAYS.notReceivedLoan;
    if (daysInState() >= days) entries.push({ library: doc.borrower, role: 'borrowing', queue: 'not received' });
  }
  if (doc.borrower && state === 'returnShipped' && daysInState() >= AGING_DAYS.returnedNotCheckedIn) {
    entries.push({ library: doc.borrower, role: 'borrowing', queue: 'returned / complete?' });
  }
  if (lender && doc.respondBy && state === 'withLender.requested' && ms(doc.respondBy) < endOfDay(atMs, utcOffsetMinutes)) {
    entries.push({ library: lender, role: 'lending', queue: 'expiring today' });
  }
  if (state !== 'onLoan.overdue' && state.startsWith('onLoan.')) {
    const dueAt = doc.dueAt ?? (doc.dueDate ? dueInstant(doc.dueDate) : null);
    if (dueAt && atMs >= ms(dueAt)) {
      if (doc.borrower) entries.push({ library: doc.borrower, role: 'borrowing', queue: 'overdue' });
      if (lender) entries.push({ library: lender, role: 'lending', queue: 'overdue' });
    }
  }
  return entries;
}

export interface QueueFilter extends QueueTime {
  readonly library?: string;
  readonly role?: QueueRole;
  readonly queue?: QueueName;
}

export interface QueueListing {
  library: string;
  role: QueueRole;
  queue: QueueName;
  /** Request ids, sorted. */
  requestIds: string[];
}

export interface QueueCount {
  library: string;
  role: QueueRole;
  queue: QueueName;
  count: number;
}

const QUEUE_ORDER = new Map<string, number>([...BORROWING_QUEUES.map((q, i) => [`borrowing ${q}`, i] as const), ...LENDING_QUEUES.map((q, i) => [`lending ${q}`, 100 + i] as const)]);
const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
function compareQueues(a: { library: string; role: QueueRole; queue: QueueName }, b: { library: string; role: QueueRole; queue: QueueName }): number {
  return byText(a.library, b.library) || (QUEUE_ORDER.get(`${a.role} ${a.queue}`) ?? 0) - (QUEUE_ORDER.get(`${b.role} ${b.queue}`) ?? 0);
}

/**
 * The request ids in each queue at `filter.at`, per library, role and queue (sorted by library,
 * then queue in display order). Only non-empty queues are listed.
 */
export function queueEntries(docs: Iterable<QueueDoc>, filter: QueueFilter): QueueListing[] {
  const listings = new Map<string, QueueListing>();
  const atMs = ms(filter.at);
  const utcOffsetMinutes = filter.utcOffsetMinutes ?? 0;
  for (const doc of docs) {
    if (filter.library !== undefined && doc.borrower !== filter.library && doc.currentLender !== filter.library) continue;
    for (const entry of membershipsAt(doc, atMs, utcOffsetMinutes)) {
      if (filter.library !== undefined && entry.library !== filter.library) continue;
      if (filter.role !== undefined && entry.role !== filter.role) continue;
      if (filter.queue !== undefined && entry.queue !== filter.queue) continue;
      const key = `${entry.library}\u0000${entry.role}\u0000${entry.queue}`;
      let listing = listings.get(key);
      if (!listing) listings.set(key, (listing = { library: entry.library, role: entry.role, queue: entry.queue, requestIds: [] }));
      listing.requestIds.push(doc.requestId);
    }
  }
  const result = [...listings.values()].sort(compareQueues);
  for (const listing of result) listing.requestIds.sort(byText);
  return result;
}

/**
 * How many requests each queue holds at `filter.at`. With `library`, every queue of that library
 * (of `role`, if given) is listed, empty ones with 0; without it, only non-empty queues.
 */
export function queueCounts(docs: Iterable<QueueDoc>, filter: QueueFilter): QueueCount[] {
  return queueCountsOf(queueEntries(docs, filter), filter);
}

/**
 * `queueCounts` from the listings `queueEntries` made with the same filter (a read that needs both
 * goes through the documents once), with `counted` (queues counted otherwise: the 'closed' queue
 * from its index) in place of what the listings say of them.
 */
export function queueCountsOf(listings: readonly QueueListing[], filter: QueueFilter, counted: readonly QueueCount[] = []): QueueCount[] {
  const counts = new Map<string, QueueCount>();
  if (filter.library !== undefined) {
    const roles: QueueRole[] = filter.role ? [filter.role] : ['borrowing', 'lending'];
    for (const role of roles) {
      for (const queue of role === 'borrowing' ? BORROWING_QUEUES : LENDING_QUEUES) {
        if (filter.queue !== undefined && queue !== filter.queue) continue;
        counts.set(`${filter.library}\u0000${role}\u0000${queue}`, { library: filter.library, role, queue, count: 0 });
      }
    }
  }
  for (const listing of listings) {
    counts.set(`${listing.library}\u0000${listing.role}\u0000${listing.queue}`, { library: listing.library, role: listing.role, queue: listing.queue, count: listing.requestIds.length });
  }
  for (const count of counted) counts.set(`${count.library}\u0000${count.role}\u0000${count.queue}`, { ...count });
  return [...counts.values()].sort(compareQueues);
}
