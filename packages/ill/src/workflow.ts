import { __unsafe_getAllOwnEventDescriptors, type SnapshotFrom } from 'xstate';
import { flattenStateValue, type WorkflowDefinition, type WorkflowState } from '@interlend/engine';
import { commandSchemas, COMMAND_TYPES, DEADLINE_COMMAND, SCHEDULE_MISSING_COMMAND } from './commands';
import type { IllContext } from './context';
import { authorizeCommand, commandsFor } from './authorize';
import { decideCommand, refusedNow, type IllServices } from './decide';
import { COMMAND_EVENTS, EFFECT_NAMES, REPAIRABLE_CLOCKS } from './events';
import { illMachine, type IllMachine } from './machine';
import { illEventSchemas } from './upcasters';

export type { IllServices };

/** Workflow name recorded in every event's metadata. */
export const ILL_WORKFLOW = 'ill-request';

/** The readable flattened state name: 'withLender.requested', 'onLoan.inUse', 'unfilled'. */
export function describeIllState(snapshot: SnapshotFrom<IllMachine>): string {
  return flattenStateValue(snapshot.value);
}

/** The command types whose events the snapshot's state could accept (guards ignored), in lifecycle order. */
export function allowedIllCommands(snapshot: SnapshotFrom<IllMachine>): string[] {
  if (snapshot.status !== 'active') return [];
  // The events a state accepts depend on the state alone (guards are ignored), not on the context.
  const stateName = describeIllState(snapshot);
  let allowed = allowedByState.get(stateName);
  if (!allowed) {
    const events = new Set<string>(__unsafe_getAllOwnEventDescriptors(snapshot));
    allowed = COMMAND_TYPES.filter((command) => COMMAND_EVENTS[command].some((e) => events.has(e)));
    allowedByState.set(stateName, allowed);
  }
  // Two commands depend on the context: withdrawFromLender only once a lender clock fell due;
  // scheduleMissingDeadline (the system's repair) only while a clock it may schedule is tracked.
  const context = snapshot.context as IllContext;
  const repairable = REPAIRABLE_CLOCKS.some((name) => context.deadlines[name]);
  return allowed.filter((command) => (command !== 'withdrawFromLender' || context.aging) && (command !== SCHEDULE_MISSING_COMMAND || repairable));
}
const allowedByState = new Map<string, string[]>();

const contextOf = (state: WorkflowState<IllMachine> | undefined): IllContext | undefined => state?.snapshot.context as IllContext | undefined;

/** The interlibrary-loan request workflow (stream id = request id). */
export const illRequestWorkflow: WorkflowDefinition<IllMachine, IllServices> = {
  name: ILL_WORKFLOW,
  machine: illMachine,
  initialInput: (streamId) => ({ requestId: streamId }),
  commands: commandSchemas,
  creates: ['submit'],
  events: illEventSchemas,
  effects: EFFECT_NAMES,
  deadlineCommand: DEADLINE_COMMAND,
  authorize(command, state) {
    authorizeCommand(command, contextOf(state));
  },
  decide(command, state, services) {
    if (!state) return decideCommand(command, undefined, services);
    return decideCommand(command, { stateName: state.stateName, context: contextOf(state)!, allowed: allowedIllCommands(state.snapshot) }, services);
  },
  // Given the actor: what it may send now (authorization applied, never the timer's command, nor
  // one this request refuses all the same, such as a second renewal).
  allowedCommands: (state, actor) => {
    const accepted = allowedIllCommands(state.snapshot);
    const context = contextOf(state);
    if (!actor) return accepted;
    return commandsFor(actor, context, accepted).filter((type) => !context || !refusedNow(type, state.stateName, context));
  },
  describeState: describeIllState,
};
