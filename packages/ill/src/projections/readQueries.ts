import { lowestInRange, type DocQuery, type ReadModelStore } from '@interlend/engine';
import {
  CLOSED_QUEUE,
  queueClosedIndex,
  queueCountsOf,
  queueEntries,
  queueLibraryIndex,
  queueMemberships,
  queueNameIndex,
  queueOpenIndex,
  queuesProjection,
  QUEUES_PROJECTION,
  type QueueCount,
  type QueueDoc,
  type QueueListing,
  type QueueName,
  type QueueRole,
} from './queues';
import { requestBorrowerIndex, requestLenderIndex, REQUESTS_PROJECTION, requestStateIndex, type RequestDoc } from './requests';

/**
 * Paged reads of the requests and queues read models, answered from their indexes: each page is
 * one walk of one index value from the cursor, stopping at the limit (DocQuery.after + limit), so
 * a page costs O(log n + limit) of n requests, whatever the size of the database.
 */

/** Which page: at most `limit` documents (none: all), after the key `after` (the `next` of the page before). */
export interface PageOptions {
  readonly limit?: number;
  readonly after?: string;
}

export interface DocPage<D> {
  readonly docs: D[];
  /** The cursor of the next page (the last document's key), or null when this page is the last. */
  readonly next: string | null;
}

/** Documents read per query when a page is filtered beyond its index (the filter may drop some). */
const WALK_BATCH = 200;

/**
 * One page of the documents having index value `index` (or every document, in key order), in key
 * order, that also pass `keep`: walks the index in batches from the cursor until the page is full.
 */
export async function indexPage<D>(
  store: ReadModelStore,
  projection: string,
  index: string | undefined,
  options: PageOptions = {},
  keep: (doc: D) => boolean = () => true,
): Promise<DocPage<D>> {
  const { limit } = options;
  const docs: { key: string; doc: D }[] = [];
  let after = options.after;
  for (;;) {
    // One more than the page: whether a next page exists is known without another query.
    const wanted = limit === undefined ? undefined : Math.max(limit + 1 - docs.length, Math.min(WALK_BATCH, limit + 1));
    const query: DocQuery = { ...(index === undefined ? {} : { index }), ...(after === undefined ? {} : { after: { key: after } }), ...(wanted === undefined ? {} : { limit: wanted }) };
    const batch = await store.query(projection, query);
    for (const { key, doc } of batch) if (keep(doc as D)) docs.push({ key, doc: doc as D });
    if (wanted === undefined || batch.length < wanted || (limit !== undefined && docs.length > limit)) break;
    after = batch[batch.length - 1]!.key;
  }
  if (limit === undefined || docs.length <= limit) return { docs: docs.map((d) => d.doc), next: null };
  const page = docs.slice(0, limit);
  return { docs: page.map((d) => d.doc), next: page[page.length - 1]!.key };
}

export interface RequestFilter {
  readonly state?: string;
  /** The borrowing library's code. */
  readonly borrower?: string;
  /** The current lender's code. */
  readonly lender?: string;
}

/**
 * A page of the requests read model in request-id order, filtered by state, borrower and current
 * lender: the walk follows one index (borrower, else lender, else state) and checks the others.
 */
export function requestsPage(store: ReadModelStore, filter: RequestFilter = {}, options: PageOptions = {}): Promise<DocPage<RequestDoc>> {
  const { state, borrower, lender } = filter;
  const index = borrower !== undefined ? requestBorrowerIndex(borrower) : lender !== undefined ? requestLenderIndex(lender) : state !== undefined ? requestStateIndex(state) : undefined;
  const keep = (doc: RequestDoc): boolean =>
    (state === undefined || doc.state === state) && (borrower === undefined || doc.borrower === borrower) && (lender === undefined || doc.currentLender === lender);
  return indexPage(store, REQUESTS_PROJECTION, index, options, keep);
}

/** Queues a request can enter by time alone, beside its state's (see QUEUE_TABLE): found among the open requests. */
const TIME_DEPENDENT: ReadonlySet<string> = new Set(['expiring today', 'not received', 'returned / complete?', 'overdue']);

export interface QueueDocsFilter {
  readonly library?: string;
  readonly role?: QueueRole;
  readonly queue?: QueueName;
  /** The time the queues are asked at (for the time-dependent ones; ISO-8601). */
  readonly at: string;
  readonly utcOffsetMinutes?: number;
}

/**
 * A page of the queue documents a queue read needs, in request-id order:
 * - one queue of one library and role: that queue's index (`queue:<library>:<role>:<queue>`), or,
 *   for a queue entered by time ('overdue', 'expiring today', ...), the library's open requests
 *   that are in it at `at`;
 * - the 'closed' queue: its index (`queue:<library>:borrowing:closed`, or `closed`);
 * - otherwise the open requests (`open:<library>`, or `open`): every queue but 'closed' is among
 *   them. The 'closed' queue (terminal requests) is read only when asked by name: it grows with
 *   the history, the other queues with the work in hand.
 */
export function queueDocsPage(store: ReadModelStore, filter: QueueDocsFilter, options: PageOptions = {}): Promise<DocPage<QueueDoc>> {
  const { library, role, queue } = filter;
  const inQueue = (doc: QueueDoc): boolean =>
    queueMemberships(doc, filter).some((e) => (library === undefined || e.library === library) && (role === undefined || e.role === role) && (queue === undefined || e.queue === queue));
  if (queue === CLOSED_QUEUE) {
    if (role === 'lending') return Promise.resolve({ docs: [], next: null }); // a borrower's queue only
    return indexPage(store, QUEUES_PROJECTION, library === undefined ? queueClosedIndex() : queueNameIndex(library, 'borrowing', queue), options);
  }
  if (library !== undefined && role !== undefined && queue !== undefined && !TIME_DEPENDENT.has(queue)) {
    return indexPage(store, QUEUES_PROJECTION, queueNameIndex(library, role, queue), options);
  }
  return indexPage(store, QUEUES_PROJECTION, queueOpenIndex(library), options, queue === undefined && role === undefined ? () => true : inQueue);
}

/** The queues at `filter.at`, as staff read them (readQueues). */
export interface QueuesAnswer {
  /**
   * Requests per library, role and queue, in display order; with `library`, every queue of it
   * (of `role`, of `queue`), empty ones with 0. Whole: 'closed' counted from its index. A page:
   * the page's requests only.
   */
  readonly counts: QueueCount[];
  /** The request ids in each queue: every queue but 'closed', or 'closed' alone when asked for by name. */
  readonly entries: QueueListing[];
  /** How many request documents were read (a page's, when paged). */
  readonly requests: number;
  /** The cursor of the next page (its last request id), or null. */
  readonly next: string | null;
}

/**
 * The queues staff see, answered from the indexes of the queues read model, so that the cost
 * follows the work in hand, not the history:
 * - the open requests (queueDocsPage: `open:<library>`, or `open`) give every queue but 'closed',
 *   the ones entered by time included, with their request ids;
 * - 'closed' is counted per library from its index (`queue:<library>:borrowing:closed`,
 *   ReadModelStore.count: no document read), and its requests are listed only when it is asked
 *   for by name (`queue: 'closed'`), a page at a time if `options` say so.
 * With `options.limit` / `options.after`, one page of the requests the read walks (the open ones,
 * or the closed ones), in request-id order: the counts and listings are that page's.
 * The numbers are those `queueCounts` gives over every document, closed ones included.
 */
export async function readQueues(store: ReadModelStore, filter: QueueDocsFilter, options: PageOptions = {}): Promise<QueuesAnswer> {
  const page = await queueDocsPage(store, filter, options);
  const entries = queueEntries(page.docs, filter);
  const whole = options.limit === undefined && options.after === undefined;
  const closed = whole && filter.queue === undefined && filter.role !== 'lending' ? await closedCounts(store, filter.library) : [];
  return { counts: queueCountsOf(entries, filter, closed), entries, requests: page.docs.length, next: page.next };
}

/**
 * The 'closed' queue's size per library (of `library`, or of every library with one, in code
 * order), each a count of its index value.
 */
export async function closedCounts(store: ReadModelStore, library?: string): Promise<QueueCount[]> {
  const counts: QueueCount[] = [];
  for (const code of library === undefined ? await queueLibraries(store) : [library]) {
    const count = await store.count(QUEUES_PROJECTION, { index: queueNameIndex(code, 'borrowing', CLOSED_QUEUE) });
    if (count > 0 || library !== undefined) counts.push({ library: code, role: 'borrowing', queue: CLOSED_QUEUE, count });
  }
  return counts;
}

/**
 * Every library with a request in one of its queues, in code order: a skip over the `library:`
 * index values, one query of one document per library (the first document at or after the next
 * value), whatever the number of requests.
 */
export async function queueLibraries(store: ReadModelStore): Promise<string[]> {
  const prefix = queueLibraryIndex('');
  const libraries: string[] = [];
  for (let from = prefix; ; ) {
    const range = { from, to: `${prefix.slice(0, -1)};` };
    const [first] = await store.query(QUEUES_PROJECTION, { indexRange: range, limit: 1 });
    if (!first) return libraries;
    // The document is listed at its lowest value in the range: the next library's.
    const value = lowestInRange(queuesProjection.index!(first.doc as unknown as QueueDoc, first.key), range);
    if (value === undefined) return libraries; // (a stored document whose values its projection would not give: nothing more to learn)
    libraries.push(value.slice(prefix.length));
    from = `${value}\u0000`;
  }
}

