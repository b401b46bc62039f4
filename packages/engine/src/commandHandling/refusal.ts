import type { AnyStateMachine } from 'xstate';
import type { Actor, ValidatedCommand, WorkflowDefinition, WorkflowState } from '../workflow/types';

/**
 * What the sender of a refused command could send instead, now: the commands the state accepts
 * that the workflow lets this actor send (`allowedCommands(state, actor)`), never the timer
 * service's deadline command and never the command just refused.
 */
export function allowedAfterRefusal<M extends AnyStateMachine, S>(workflow: WorkflowDefinition<M, S>, state: WorkflowState<M>, command: Pick<ValidatedCommand, 'type' | 'actor'>): string[] {
  return workflow.allowedCommands(state, command.actor).filter((type) => type !== command.type && type !== workflow.deadlineCommand);
}

/** The "allowed now" part of a refusal: the list, or that nothing is left for this actor. */
export function allowedNowText(allowed: readonly string[], actor: Actor): string {
  return `allowed now: ${allowed.length ? allowed.join(', ') : `none that ${actor.id} (${actor.role}) may send`}`;
}
