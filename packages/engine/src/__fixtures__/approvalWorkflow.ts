import { assign, setup } from 'xstate';
import { z } from 'zod';
import { ForbiddenError, IllegalStateError } from '../errors';
import type { WorkflowDefinition, WorkflowEvent } from '../workflow/types';

/** A small workflow for the engine's own tests: open -> approved | rejected | expired. */
type Ctx = { author: string; title: string; comments: number; reason?: string };
type Ev = WorkflowEvent<'Opened' | 'Approved' | 'Rejected' | 'Expired' | 'Commented'>;

const plusDay = (iso: string) => new Date(new Date(iso).getTime() + 86_400_000).toISOString();

export const approvalMachine = setup({
  types: { context: {} as Ctx, events: {} as Ev },
  actions: { scheduleDeadline: () => {}, cancelDeadline: () => {}, notifyAuthor: () => {} },
}).createMachine({
  id: 'approval',
  initial: 'new',
  context: { author: '', title: '', comments: 0 },
  states: {
    new: {
      on: {
        Opened: { target: 'open', actions: assign({ author: ({ event }) => event.actor.id, title: ({ event }) => String(event.data.title) }) },
      },
    },
    open: {
      entry: { type: 'scheduleDeadline', params: ({ event }: { event: Ev }) => ({ name: 'review', at: plusDay(event.time), key: 'r1' }) },
      exit: { type: 'cancelDeadline', params: { name: 'review' } },
      on: {
        Approved: { target: 'approved', actions: { type: 'notifyAuthor', params: ({ context }: { context: Ctx }) => ({ author: context.author }) } },
        Rejected: { target: 'rejected', actions: assign({ reason: ({ event }) => String(event.data.reason) }) },
        Expired: { target: 'expired', guard: ({ event }) => event.data.key === 'r1' },
        Commented: { actions: assign({ comments: ({ context }) => context.comments + 1 }) },
      },
    },
    approved: { type: 'final' },
    rejected: { type: 'final' },
    expired: { type: 'final' },
  },
});

const commandEvent: Record<string, Ev['type']> = { open: 'Opened', approve: 'Approved', reject: 'Rejected', deadlineReached: 'Expired', comment: 'Commented' };

export const approvalWorkflow: WorkflowDefinition<typeof approvalMachine, { reviewers: string[] }> = {
  name: 'approval',
  machine: approvalMachine,
  commands: {
    open: z.object({ title: z.string().min(1) }),
    approve: z.object({}),
    reject: z.object({ reason: z.string().min(1) }),
    comment: z.object({ text: z.string() }),
    deadlineReached: z.object({ name: z.string(), key: z.string(), at: z.string() }),
  },
  creates: ['open'],
  effects: ['scheduleDeadline', 'cancelDeadline', 'notifyAuthor'],
  deadlineCommand: 'deadlineReached',
  authorize(command, state) {
    if (command.type === 'deadlineReached') {
      if (command.actor.role !== 'system') throw new ForbiddenError('only the system fires deadlines');
      return;
    }
    if ((command.type === 'approve' || command.type === 'reject') && command.actor.role !== 'reviewer') {
      throw new ForbiddenError(`${command.actor.id} is not a reviewer`);
    }
    if (command.type === 'comment' && state && command.actor.id !== state.snapshot.context.author && command.actor.role !== 'reviewer') {
      throw new ForbiddenError(`${command.actor.id} may not comment on ${state.streamId}`);
    }
  },
  decide(command, state, services) {
    if (command.type === 'approve' && !services.reviewers.includes(command.actor.id)) throw new ForbiddenError(`${command.actor.id} is not a known reviewer`);
    if (command.type === 'deadlineReached' && state && state.stateName !== 'open') throw new IllegalStateError(`nothing is due in state '${state.stateName}'`, { state: state.stateName });
    return [{ type: commandEvent[command.type]!, data: command.data }];
  },
  allowedCommands(state) {
    return Object.entries(commandEvent)
      .filter(([, ev]) => (state.snapshot as { can(e: unknown): boolean }).can({ type: ev, data: { key: 'r1' }, actor: { id: 'x', role: 'x' }, time: '', commandId: '' }))
      .map(([c]) => c);
  },
};
