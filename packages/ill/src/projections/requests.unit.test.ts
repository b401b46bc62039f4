import { InMemoryEventStore, InMemoryReadModelStore, ProjectionRunner, projectInMemory } from '@interlend/engine';
import { EventLog, plusHours } from './__tests__/eventLog';
import { REQUESTS_PROJECTION, requestsProjection } from './requests';

const T0 = '2026-01-05T09:00:00.000Z';
const t = (hours: number): string => plusHours(T0, hours);

describe('requests projection', () => {
  it('records a submitted request with its borrower, material, service and state', () => {
    const log = new EventLog();
    log.request('R1', 'LIB9').submit(t(0), { title: 'Field Guide to Mosses', format: 'book', serviceLevel: 'Rush' });
    expect(projectInMemory(requestsProjection, log.events).get('R1')).toEqual({
      requestId: 'R1',
      borrower: 'LIB9',
      state: 'networkCheck',
      title: 'Field Guide to Mosses',
      format: 'book',
      serviceType: 'Loan',
      serviceLevel: 'Rush',
      currentLender: null,
      position: null,
      submittedAt: t(0),
      updatedAt: t(0),
      terminal: false,
    });
  });

  it('follows the state of the latest event and the lender the rota is with', () => {
    const log = new EventLog();
    const r = log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2', 'LIB3']);
    const doc = () => projectInMemory(requestsProjection, log.events).get('R1')!;
    expect(doc()).toMatchObject({ state: 'withLender.requested', currentLender: 'LIB2', position: 1, updatedAt: t(1) });
    r.cannotSupply(t(2));
    expect(doc()).toMatchObject({ state: 'withLender.requested', currentLender: 'LIB3', position: 2 });
    r.willSupply(t(3)).ship(t(4)).receive(t(30));
    expect(doc()).toMatchObject({ state: 'onLoan.received', currentLender: 'LIB3', terminal: false, updatedAt: t(30) });
  });

  it('marks a request terminal, and forgets the lender when the rota ended unfilled', () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']).cannotSupply(t(2));
    expect(projectInMemory(requestsProjection, log.events).get('R1')).toMatchObject({ state: 'unfilled', terminal: true, currentLender: null, position: null });
  });

  it('indexes requests by state, borrower and current lender, so `requests --state S` is one index query', async () => {
    const log = new EventLog();
    log.request('R1').submit(t(0)).toLenders(t(1), ['LIB2']);
    log.request('R2', 'LIB4').submit(t(0)).toLenders(t(1), ['LIB2']).willSupply(t(2));
    log.request('R3').submit(t(0)).fillLocally(t(1));
    const events = new InMemoryEventStore();
    for (const e of log.events) await events.appendToStream(e.streamId, [{ id: e.id, type: e.type, data: e.data, metadata: e.metadata }], { expectedRevision: 'any' });
    const readModels = new InMemoryReadModelStore();
    await new ProjectionRunner(events, readModels).catchUp([requestsProjection]);
    const ids = async (index: string) => (await readModels.query(REQUESTS_PROJECTION, { index })).map((d) => d.key);
    expect(await ids('state:withLender.requested')).toEqual(['R1']);
    expect(await ids('state:filledLocally')).toEqual(['R3']);
    expect(await ids('borrower:LIB1')).toEqual(['R1', 'R3']);
    expect(await ids('lender:LIB2')).toEqual(['R1', 'R2']);
  });
});
