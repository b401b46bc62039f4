import { CommandHandler, InMemoryEventStore, ManualClock, SeededIds } from '@interlend/engine';
import { illRequestWorkflow } from '../workflow';
import { borrowerActor, lenderActor, sampleDirectory, sampleRequest } from '../testing';
import { RequestParties } from './parties';

describe('RequestParties: who an event concerns on the feed', () => {
  it('names the borrower, then the lender the request is with, and reads earlier events when it meets a request midway', async () => {
    const store = new InMemoryEventStore();
    const clock = new ManualClock('2026-01-05T09:00:00.000Z');
    const handler = new CommandHandler({ workflow: illRequestWorkflow, store, services: { directory: sampleDirectory() }, clock, ids: new SeededIds(1, clock) });
    await handler.handle({ commandId: 'c1', streamId: 'REQ-1', type: 'submit', data: sampleRequest(), actor: borrowerActor() });
    await handler.handle({ commandId: 'c2', streamId: 'REQ-1', type: 'notAvailableLocally', data: { preferredLenders: ['LIB2'] }, actor: borrowerActor() });
    await handler.handle({ commandId: 'c3', streamId: 'REQ-1', type: 'willSupply', data: {}, actor: lenderActor('LIB2') });
    const events = await store.readStream('REQ-1');

    const inOrder = new RequestParties(store);
    const seen = [];
    for (const e of events) seen.push(`${e.type}:${(await inOrder.of(e)).join('+')}`);
    expect(seen).toEqual(['RequestSubmitted:LIB1', 'NotAvailableLocally:LIB1', 'RotaBuilt:LIB1+LIB2', 'WillSupplyAnswered:LIB1+LIB2']);

    // A relay restarted at the last event has seen none before it.
    expect(await new RequestParties(store).of(events.at(-1)!)).toEqual(['LIB1', 'LIB2']);
    // The directory concerns no library.
    expect(await inOrder.of({ ...events[0]!, streamId: 'directory', metadata: {} })).toEqual([]);
  });
});
