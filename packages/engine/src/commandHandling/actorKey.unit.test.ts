import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { isValidationError } from '../errors';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import { CommandHandler } from './commandHandler';
import { ENVELOPE_LIMITS } from './validateCommand';

/** The credential that authenticated an actor (an API key id) travels with the command into every event's metadata. */
function handler() {
  const clock = new ManualClock(Date.parse('2026-01-05T09:00:00.000Z'));
  const store = new InMemoryEventStore();
  return { store, handler: new CommandHandler({ workflow: approvalWorkflow, store, services: { reviewers: ['REV'] }, clock, ids: new SeededIds(1, clock) }) };
}

describe("the actor's key", () => {
  it('is recorded with the events when the edge gives one, and absent when it does not', async () => {
    const { store, handler: h } = handler();
    await h.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'a title' }, actor: { id: 'alice', role: 'author', key: '0123456789abcdef' } });
    await h.handle({ commandId: 'c2', streamId: 's2', type: 'open', data: { title: 'a title' }, actor: { id: 'bob', role: 'author' } });
    expect((await store.readStream('s1'))[0]!.metadata.actor).toEqual({ id: 'alice', role: 'author', key: '0123456789abcdef' });
    expect((await store.readStream('s2'))[0]!.metadata.actor).toEqual({ id: 'bob', role: 'author' });
  });

  it('is refused, naming it, when empty, too long or holding control characters (nothing written)', async () => {
    for (const key of ['', 'x'.repeat(ENVELOPE_LIMITS.actorKey + 1), 'key\u001b[2J']) {
      const { store, handler: h } = handler();
      const error = await h.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'a title' }, actor: { id: 'alice', role: 'author', key } }).catch((e: unknown) => e);
      expect(isValidationError(error) && (error.details.issues as { path: string }[]).map((i) => i.path)).toEqual(['actor.key']);
      expect(await store.headPosition()).toBe(0);
    }
  });
});
