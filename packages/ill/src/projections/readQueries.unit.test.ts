import { InMemoryEventStore, InMemoryReadModelStore, OverlayReadModelStore, projectInMemory, type Doc, type Projection, type StoredEvent } from '@interlend/engine';
import { EventLog, plusHours } from './__tests__/eventLog';
import { queueCounts, queueEntries, queuesProjection, type QueueDoc, type QueueFilter } from './queues';
import { simulate } from '../simulation/simulator';
import { requestSummaryProjection } from './libraryHistory';
import { queueDocsPage, queueLibraries, readQueues, requestsPage } from './readQueries';
import { requestsProjection, type RequestDoc } from './requests';

const T0 = '2026-01-05T09:00:00.000Z'; // Monday
const t = (hours: number): string => plusHours(T0, hours);

/** The read models of `log` in a store, with each projection's index values, as the runner commits them. */
async function storeOf(log: EventLog): Promise<InMemoryReadModelStore> {
  const store = new InMemoryReadModelStore();
  for (const projection of [requestsProjection, queuesProjection, requestSummaryProjection] as Projection[]) {
    const writes = [...projectInMemory(projection, log.events)].map(([key, doc]) => ({ key, doc: doc as Doc, index: projection.index?.(doc, key) ?? [] }));
    await store.commit(projection.name, writes, { expected: 0, next: 1 });
  }
  return store;
}

/**
 * Given twelve requests of LIB1 sent to LIB2 (R01..R12), of which R03, R06, R09 and R12 were
 * cancelled before the lender answered, and four of LIB3 in review (S1..S4).
 */
function network(): EventLog {
  const log = new EventLog();
  for (let i = 1; i <= 12; i++) {
    const r = log.request(`R${String(i).padStart(2, '0')}`).submit(t(i)).toLenders(t(i), ['LIB2']);
    if (i % 3 === 0) r.cancel(t(i + 1), 'patron left').acceptCancel(t(i + 2));
  }
  for (let i = 1; i <= 4; i++) log.request(`S${i}`, 'LIB3').submit(t(i), { stateAfter: 'needsReview' });
  return log;
}

const ids = (docs: readonly (RequestDoc | QueueDoc)[]): string[] => docs.map((d) => d.requestId);

describe('requestsPage', () => {
  it('pages a borrower\'s requests in request-id order: the pages put together are all of them, and the last says there is no next', async () => {
    const store = await storeOf(network());
    const first = await requestsPage(store, { borrower: 'LIB1' }, { limit: 5 });
    expect(ids(first.docs)).toEqual(['R01', 'R02', 'R03', 'R04', 'R05']);
    expect(first.next).toBe('R05');
    const second = await requestsPage(store, { borrower: 'LIB1' }, { limit: 5, after: first.next! });
    expect(ids(second.docs)).toEqual(['R06', 'R07', 'R08', 'R09', 'R10']);
    const last = await requestsPage(store, { borrower: 'LIB1' }, { limit: 5, after: second.next! });
    expect(ids(last.docs)).toEqual(['R11', 'R12']);
    expect(last.next).toBeNull();
    expect(ids((await requestsPage(store, { borrower: 'LIB1' })).docs)).toHaveLength(12);
  });

  it('fills a page filtered by two fields (borrower and state) from the walk of one index, across batches', async () => {
    const store = await storeOf(network());
    const page = await requestsPage(store, { borrower: 'LIB1', state: 'cancelled' }, { limit: 2 });
    expect(ids(page.docs)).toEqual(['R03', 'R06']);
    expect(page.next).toBe('R06');
    expect(ids((await requestsPage(store, { borrower: 'LIB1', state: 'cancelled' }, { after: 'R06' })).docs)).toEqual(['R09', 'R12']);
    // The current lender stays the lender of a request cancelled with it.
    expect(ids((await requestsPage(store, { lender: 'LIB2' }, { limit: 3 })).docs)).toEqual(['R01', 'R02', 'R03']);
  });

  it('reads about one page from the store for a page of one index value', async () => {
    const store = await storeOf(network());
    const before = store.examined;
    const page = await requestsPage(store, { state: 'withLender.requested' }, { limit: 2, after: 'R04' });
    expect(ids(page.docs)).toEqual(['R05', 'R07']);
    expect(store.examined - before).toBeLessThanOrEqual(3);
  });
});

describe('queueDocsPage', () => {
  it('lists one queue of one library from its own index, in request-id order, a page at a time', async () => {
    const store = await storeOf(network());
    const page = await queueDocsPage(store, { library: 'LIB2', role: 'lending', queue: 'new', at: t(20) }, { limit: 4 });
    expect(ids(page.docs)).toEqual(['R01', 'R02', 'R04', 'R05']);
    expect(page.next).toBe('R05');
    expect(ids((await queueDocsPage(store, { library: 'LIB2', role: 'lending', queue: 'new', at: t(20) }, { after: 'R10' })).docs)).toEqual(['R11']);
    expect(ids((await queueDocsPage(store, { library: 'LIB1', role: 'borrowing', queue: 'closed', at: t(20) })).docs)).toEqual(['R03', 'R06', 'R09', 'R12']);
  });

  it('reads a library\'s open requests only (not its closed ones) for its queues, and every open request without a library', async () => {
    const store = await storeOf(network());
    expect(ids((await queueDocsPage(store, { library: 'LIB1', at: t(20) })).docs)).toEqual(['R01', 'R02', 'R04', 'R05', 'R07', 'R08', 'R10', 'R11']);
    expect(ids((await queueDocsPage(store, { library: 'LIB3', role: 'borrowing', at: t(20) })).docs)).toEqual(['S1', 'S2', 'S3', 'S4']);
    expect((await queueDocsPage(store, { at: t(20) })).docs).toHaveLength(12);
  });

  it('finds a queue entered by time (expiring today) among the library\'s open requests at the time asked', async () => {
    const store = await storeOf(network());
    const doc = (await store.getMany('ill.queues', ['R01'])).get('R01') as QueueDoc;
    const expiring = await queueDocsPage(store, { library: 'LIB2', role: 'lending', queue: 'expiring today', at: doc.respondBy! }, { limit: 1 });
    expect(ids(expiring.docs)).toEqual(['R01']);
    expect(ids((await queueDocsPage(store, { library: 'LIB2', role: 'lending', queue: 'expiring today', at: t(0) })).docs)).toEqual([]);
  });
});

describe('readQueues', () => {
  /** The network, and U1 of LIB3 that LIB2 could not supply: unfilled, waiting in 'unfilled (to review)'. */
  const withUnfilled = (): EventLog => {
    const log = network();
    log.request('U1', 'LIB3').submit(t(5)).toLenders(t(5), ['LIB2']).cannotSupply(t(6));
    return log;
  };
  const docsOf = (log: EventLog): QueueDoc[] => [...projectInMemory(queuesProjection, log.events).values()];
  /** The queues read model alone, with its index values. */
  const queuesStoreOf = async (log: EventLog): Promise<InMemoryReadModelStore> => {
    const store = new InMemoryReadModelStore();
    const writes = [...projectInMemory(queuesProjection, log.events)].map(([key, doc]) => ({ key, doc: doc as Doc, index: queuesProjection.index!(doc, key) }));
    await store.commit(queuesProjection.name, writes, { expected: 0, next: 1 });
    return store;
  };

  it('counts every queue as a fold of every document does, closed included, from the open requests and a count of the closed ones', async () => {
    const log = withUnfilled();
    const store = await queuesStoreOf(log);
    const docs = docsOf(log);
    const filters: QueueFilter[] = [
      { at: t(20) },
      { at: t(20), library: 'LIB1' },
      { at: t(20), library: 'LIB2' },
      { at: t(20), library: 'LIB3', role: 'borrowing' },
      { at: t(20), library: 'LIB1', role: 'lending' },
      { at: t(20), library: 'LIB1', queue: 'awaiting lender answer' },
      { at: t(200), library: 'LIB2', role: 'lending', queue: 'expiring today' },
    ];
    for (const filter of filters) {
      const answer = await readQueues(store, filter);
      expect([filter, answer.counts]).toEqual([filter, queueCounts(docs, filter)]);
      expect([filter, answer.entries]).toEqual([filter, queueEntries(docs, filter).filter((l) => l.queue !== 'closed')]);
      expect(answer.next).toBeNull();
    }
    const lib1 = await readQueues(store, { at: t(20), library: 'LIB1' });
    expect(lib1.counts.find((c) => c.queue === 'closed')).toEqual({ library: 'LIB1', role: 'borrowing', queue: 'closed', count: 4 });
    expect(lib1.requests).toBe(8); // the open ones: R03, R06, R09, R12 are counted, not read
    expect(lib1.entries.some((l) => l.queue === 'closed')).toBe(false);
    const lib3 = await readQueues(store, { at: t(20), library: 'LIB3' });
    expect(lib3.entries.find((l) => l.queue === 'unfilled (to review)')?.requestIds).toEqual(['U1']);
  });

  it("lists the 'closed' queue only when asked for by name, a page at a time, for one library or for all", async () => {
    const store = await queuesStoreOf(withUnfilled());
    const first = await readQueues(store, { at: t(20), library: 'LIB1', queue: 'closed' }, { limit: 3 });
    expect(first.entries).toEqual([{ library: 'LIB1', role: 'borrowing', queue: 'closed', requestIds: ['R03', 'R06', 'R09'] }]);
    expect(first.counts).toEqual([{ library: 'LIB1', role: 'borrowing', queue: 'closed', count: 3 }]);
    expect(first.next).toBe('R09');
    const rest = await readQueues(store, { at: t(20), library: 'LIB1', queue: 'closed' }, { limit: 3, after: first.next! });
    expect(rest.entries[0]?.requestIds).toEqual(['R12']);
    expect(rest.next).toBeNull();
    expect((await readQueues(store, { at: t(20), queue: 'closed' })).entries).toEqual([{ library: 'LIB1', role: 'borrowing', queue: 'closed', requestIds: ['R03', 'R06', 'R09', 'R12'] }]);
    expect((await readQueues(store, { at: t(20), library: 'LIB1', role: 'lending', queue: 'closed' })).entries).toEqual([]);
  });

  it('pages the open requests: the pages together are the whole listing, each request once', async () => {
    const store = await queuesStoreOf(withUnfilled());
    const whole = await readQueues(store, { at: t(20) });
    const pages = [];
    for (let after: string | undefined; ; ) {
      const page = await readQueues(store, { at: t(20) }, { limit: 5, ...(after === undefined ? {} : { after }) });
      pages.push(page);
      if (page.next === null) break;
      after = page.next;
    }
    expect(pages.map((p) => p.requests)).toEqual([5, 5, 3]);
    const lines = (entries: typeof whole.entries) => entries.flatMap((l) => l.requestIds.map((id) => `${l.library} ${l.role} ${l.queue} ${id}`)).sort();
    expect(lines(pages.flatMap((p) => p.entries))).toEqual(lines(whole.entries));
    // A page counts its own requests: the closed ones are not in any page of the open walk.
    expect(pages.flatMap((p) => p.counts).some((c) => c.queue === 'closed')).toBe(false);
  });

  it('indexes an unfilled request as open (it waits in a queue), a closed one as closed', async () => {
    const docs = projectInMemory(queuesProjection, withUnfilled().events);
    expect(queuesProjection.index!(docs.get('U1')!, 'U1')).toEqual(['open', 'library:LIB3', 'open:LIB3', 'queue:LIB3:borrowing:unfilled (to review)']);
    expect(queuesProjection.index!(docs.get('R03')!, 'R03')).toEqual(['closed', 'library:LIB1', 'queue:LIB1:borrowing:closed']);
  });

  it('finds every library with a queue by a skip over the library index, about one index entry per library', async () => {
    const store = await queuesStoreOf(withUnfilled());
    const before = store.examined;
    expect(await queueLibraries(store)).toEqual(['LIB1', 'LIB2', 'LIB3']);
    expect(store.examined - before).toBeLessThanOrEqual(3 + 1); // and the first entry past the last library
    expect(await queueLibraries(new InMemoryReadModelStore())).toEqual([]);
  });
});

describe('readQueues on a simulated network', () => {
  /** The queues read model of the first `n` events, in a store with its index values. */
  async function queuesOf(events: readonly StoredEvent[]): Promise<{ store: InMemoryReadModelStore; docs: QueueDoc[] }> {
    const folded = projectInMemory(queuesProjection, events);
    const store = new InMemoryReadModelStore();
    await store.commit(queuesProjection.name, [...folded].map(([key, doc]) => ({ key, doc: doc as Doc, index: queuesProjection.index!(doc, key) })), { expected: 0, next: 1 });
    return { store, docs: [...folded.values()] };
  }

  it('gives the counts of a fold of every document, closed included, for the network and each library, at every stage', async () => {
    const events = new InMemoryEventStore();
    await simulate(events, new InMemoryReadModelStore(), { requests: 120, libraries: 8, seed: 7 });
    const all = await events.readAll({ after: 0, maxCount: 1_000_000 });
    for (const share of [0.25, 0.5, 1]) {
      const upTo = all.slice(0, Math.floor(all.length * share));
      const { store, docs } = await queuesOf(upTo);
      const at = String(upTo[upTo.length - 1]!.metadata.time);
      const libraries = [...new Set(docs.map((d) => d.borrower))].sort();
      const filters: QueueFilter[] = [{ at }, ...libraries.flatMap((library) => [{ at, library }, { at, library, role: 'lending' as const }])];
      for (const filter of filters) {
        const answer = await readQueues(store, filter);
        expect([share, filter, answer.counts]).toEqual([share, filter, queueCounts(docs, filter)]);
      }
      const whole = await readQueues(store, { at });
      expect(whole.counts.some((c) => c.queue === 'closed' && c.count > 0)).toBe(true);
      expect(whole.requests).toBeLessThan(docs.length);
      // The same through an overlay holding the second half of the documents over the first.
      const base = new InMemoryReadModelStore();
      const writes = docs.map((doc) => ({ key: doc.requestId, doc: doc as Doc, index: queuesProjection.index!(doc, doc.requestId) }));
      await base.commit(queuesProjection.name, writes.slice(0, writes.length >> 1), { expected: 0, next: 1 });
      const overlay = new OverlayReadModelStore(base, (_p, doc, key) => queuesProjection.index!(doc as unknown as QueueDoc, key));
      await overlay.commit(queuesProjection.name, writes.slice(writes.length >> 1), { expected: 1, next: 2 });
      for (const filter of filters.slice(0, 3)) expect((await readQueues(overlay, filter)).counts).toEqual(queueCounts(docs, filter));
    }
  }, 60_000);
});
