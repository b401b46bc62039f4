import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import type { NewEvent } from '../eventStore/types';
import type { IdGenerator } from '../ports/ids';
import { IllegalStateError, NotFoundError, ValidationError } from '../errors';
import { describeState, emptyState, step } from '../workflow/fold';
import { currentVersion } from '../workflow/upcast';
import { allowedAfterRefusal, allowedNowText } from './refusal';
import type { Effect, EventMetadata, ValidatedCommand, WorkflowDefinition, WorkflowEvent, WorkflowState } from '../workflow/types';

export interface Execution<M extends AnyStateMachine> {
  readonly events: NewEvent[];
  readonly snapshot: SnapshotFrom<M>;
  readonly stateName: string;
}

/**
 * The pure part of handling a command: existence check, authorization, decide, and the fold of
 * each decided event through the machine (refusing what it does not accept). No I/O: the handler
 * appends what this returns; the given/when/then specification calls it directly.
 */
export function execute<M extends AnyStateMachine, S>(
  workflow: WorkflowDefinition<M, S>,
  current: WorkflowState<M> | undefined,
  command: ValidatedCommand,
  services: S,
  ids: IdGenerator,
): Execution<M> {
  const creates = workflow.creates.includes(command.type);
  if (!current && !creates) throw new NotFoundError(`no ${workflow.name} '${command.streamId}'`, { streamId: command.streamId });
  if (current && creates) {
    throw new IllegalStateError(`${workflow.name} '${command.streamId}' already exists (state '${current.stateName}'); '${command.type}' only starts a new one`, {
      state: current.stateName,
      allowed: allowedAfterRefusal(workflow, current, command),
    });
  }
  workflow.authorize(command, current);
  checkNotBeforePrevious(workflow.name, current, command);
  const decisions = workflow.decide(command, current, services);
  const before = current ?? emptyState(workflow, command.streamId);
  if (decisions.length === 0) {
    const allowed = allowedAfterRefusal(workflow, before, command);
    throw new IllegalStateError(`'${command.type}' changes nothing in state '${before.stateName}'; ${allowedNowText(allowed, command.actor)}`, { state: before.stateName, allowed, command: command.type });
  }
  let snapshot: SnapshotFrom<M> = before.snapshot;
  let stateName = before.stateName;
  const events: NewEvent[] = [];
  for (const decision of decisions) {
    const event: WorkflowEvent = { type: decision.type, data: decision.data, actor: command.actor, time: command.time, commandId: command.commandId };
    const result = step(workflow, snapshot, event);
    if (!result.accepted) {
      const allowed = allowedAfterRefusal(workflow, { ...before, snapshot, stateName }, command);
      throw new IllegalStateError(
        `'${command.type}' is not allowed in state '${stateName}' of ${workflow.name} '${command.streamId}'; ${allowedNowText(allowed, command.actor)}`,
        { state: stateName, allowed, command: command.type },
      );
    }
    const after = describeState(workflow, result.snapshot);
    events.push({ id: ids.next(), type: decision.type, data: decision.data, metadata: metadata(workflow.name, currentVersion(workflow.events, decision.type), command, after, result.effects) });
    snapshot = result.snapshot;
    stateName = after;
  }
  return { events, snapshot, stateName };
}

/**
 * What is stored beside the event: what cannot be derived. The state before is the state after the
 * event before it (derived on read, `readStream`); the schema version says how to read `data`.
 */
function metadata(workflow: string, v: number, command: ValidatedCommand, stateAfter: string, effects: Effect[]): EventMetadata {
  return {
    workflow,
    v,
    commandId: command.commandId,
    commandType: command.type,
    actor: { id: command.actor.id, role: command.actor.role, ...(command.actor.key === undefined ? {} : { key: command.actor.key }) },
    time: command.time,
    ...(command.recordedAt === undefined ? {} : { recordedAt: command.recordedAt }),
    stateAfter,
    effects,
  };
}

/**
 * A command that says it happened earlier (`occurredAt`, hence a `recordedAt`) may not say it
 * happened before the stream's previous event: business times never go back along a stream.
 */
function checkNotBeforePrevious(workflow: string, current: WorkflowState | undefined, command: ValidatedCommand): void {
  const previous = current?.lastEventTime;
  if (command.recordedAt === undefined || previous === undefined || Date.parse(command.time) >= Date.parse(previous)) return;
  const message = `${command.time} is before the previous event of ${workflow} '${command.streamId}', which happened at ${previous}`;
  throw new ValidationError(`invalid command '${command.type}': occurredAt: ${message}`, { issues: [{ path: 'occurredAt', message }], previousEventTime: previous });
}
