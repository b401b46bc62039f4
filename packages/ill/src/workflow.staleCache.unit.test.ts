import { CommandHandler, InMemoryEventStore, ManualClock, SeededIds } from '@interlend/engine';
import { illRequestWorkflow } from './workflow';
import { borrowerActor, lenderActor, sampleDirectory, sampleRequest } from './testing';

/** Two long-running workers over one log, each with its own cache of request states. */
describe('two command handlers on one log', () => {
  const clock = new ManualClock('2026-01-05T09:00:00.000Z');
  const handlerOn = (store: InMemoryEventStore, seed: number) =>
    new CommandHandler({ workflow: illRequestWorkflow, store, services: { directory: sampleDirectory() }, clock, ids: new SeededIds(seed, clock) });

  it('applies a command its cached state would refuse when the other moved the request to where it is allowed', async () => {
    const store = new InMemoryEventStore();
    const a = handlerOn(store, 1);
    const b = handlerOn(store, 2);
    await a.handle({ commandId: 'c1', streamId: 'REQ-1', type: 'submit', data: sampleRequest(), actor: borrowerActor() });
    // b takes the request to its first lender; a's cache still says networkCheck (no lender yet)
    const asked = await b.handle({ commandId: 'c2', streamId: 'REQ-1', type: 'notAvailableLocally', data: { preferredLenders: ['LIB2'] }, actor: borrowerActor() });
    expect(asked.state.stateName).toBe('withLender.requested');
    const answered = await a.handle({ commandId: 'c3', streamId: 'REQ-1', type: 'willSupply', data: {}, actor: lenderActor('LIB2') });
    expect(answered.state.stateName).toBe('withLender.willSupply');
    expect((await store.readStream('REQ-1')).map((e) => e.type)).toEqual(['RequestSubmitted', 'NotAvailableLocally', 'RotaBuilt', 'WillSupplyAnswered']);
  });

  it('still refuses, naming the state, when the store agrees with the cache', async () => {
    const store = new InMemoryEventStore();
    const a = handlerOn(store, 1);
    await a.handle({ commandId: 'c1', streamId: 'REQ-1', type: 'submit', data: sampleRequest(), actor: borrowerActor() });
    await expect(a.handle({ commandId: 'c2', streamId: 'REQ-1', type: 'receive', data: {}, actor: borrowerActor() })).rejects.toThrow(/networkCheck/);
    expect(await store.readStream('REQ-1')).toHaveLength(1);
  });
});
