import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import { isIllegalStateError, isForbiddenError } from '../errors';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import type { Actor, WorkflowDefinition } from '../workflow/types';
import { CommandHandler } from './commandHandler';

/**
 * A refusal lists what its sender could send instead (issue 11, item 7): the workflow's
 * `allowedCommands(state, actor)`, less the timer's deadline command and the command refused.
 */

/** The approval workflow with `allowedCommands` filtered by its own `authorize` when given an actor. */
const workflow: WorkflowDefinition<typeof approvalWorkflow.machine, { reviewers: string[] }> = {
  ...approvalWorkflow,
  allowedCommands(state, actor?: Actor) {
    const all = approvalWorkflow.allowedCommands(state);
    if (!actor) return all;
    return all.filter((type) => {
      try {
        approvalWorkflow.authorize({ commandId: '', streamId: state.streamId, type, data: {}, actor, time: '' }, state);
        return true;
      } catch (error) {
        if (isForbiddenError(error)) return false;
        throw error;
      }
    });
  },
};

const author = { id: 'LIB1', role: 'author' };
const reviewer = { id: 'REV', role: 'reviewer' };

function setup() {
  const clock = new ManualClock('2026-03-02T10:00:00.000Z');
  return new CommandHandler({ workflow, store: new InMemoryEventStore(), services: { reviewers: ['REV'] }, clock, ids: new SeededIds(1, clock) });
}

async function refusal(p: Promise<unknown>): Promise<{ message: string; details: { allowed?: string[] } }> {
  try {
    await p;
  } catch (e) {
    expect(isIllegalStateError(e)).toBe(true);
    return e as { message: string; details: { allowed?: string[] } };
  }
  throw new Error('expected the command to be refused');
}

describe('what a refusal lists', () => {
  it('lists only what the sender may send, never the refused command, never the deadline command', async () => {
    const handler = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    expect(workflow.allowedCommands((await handler.load('s1'))!)).toEqual(expect.arrayContaining(['approve', 'comment', 'deadlineReached']));
    const asAuthor = await refusal(handler.handle({ commandId: 'c2', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author }));
    expect(asAuthor.details.allowed).toEqual(['comment']);
    const asReviewer = await refusal(handler.handle({ commandId: 'c3', streamId: 's1', type: 'open', data: { title: 'T' }, actor: reviewer }));
    expect(asReviewer.details.allowed).toEqual(expect.arrayContaining(['approve', 'reject', 'comment']));
    expect(asReviewer.details.allowed).not.toContain('deadlineReached');
    expect(asReviewer.details.allowed).not.toContain('open');
  });

  it('says when nothing is left for the sender', async () => {
    const handler = setup();
    await handler.handle({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author });
    await handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer });
    const e = await refusal(handler.handle({ commandId: 'c3', streamId: 's1', type: 'reject', data: { reason: 'no' }, actor: reviewer }));
    expect(e.message).toBe("'reject' is not allowed in state 'approved' of approval 's1'; allowed now: none that REV (reviewer) may send");
    expect(e.details.allowed).toEqual([]);
  });
});
