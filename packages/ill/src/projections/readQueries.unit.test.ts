import { InMemoryReadModelStore, projectInMemory, type Doc, type Projection } from '@interlend/engine';
import { EventLog, plusHours } from './__tests__/eventLog';
import { queuesProjection, type QueueDoc } from './queues';
import { computeStatistics } from './statistics';
import { requestSummaryProjection } from './libraryHistory';
import { queueDocsPage, requestsPage, summariesForStatistics } from './readQueries';
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

describe('summariesForStatistics', () => {
  it('gives the statistics of a window from the summaries submitted in it only, the same as from every summary', async () => {
    const log = network();
    const store = await storeOf(log);
    const since = '2026-01-05T15:00:00+00:00'; // t(6), not in toISOString form
    const window = await summariesForStatistics(store, { since });
    expect(window.map((d) => d.requestId).sort()).toEqual(['R06', 'R07', 'R08', 'R09', 'R10', 'R11', 'R12']);
    const all = (await store.query('ill.request-summaries')).map((d) => d.doc as never);
    const options = { now: t(40), since: new Date(since).toISOString() };
    expect(computeStatistics(window, options)).toEqual(computeStatistics(all, options));
    const lib3 = await summariesForStatistics(store, { library: 'LIB3', since: t(3) });
    expect(lib3.map((d) => d.requestId).sort()).toEqual(['S3', 'S4']);
    expect(await summariesForStatistics(store, { library: 'LIB3' })).toHaveLength(4);
  });
});
