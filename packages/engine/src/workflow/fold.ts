import { createActor, type AnyActorScope, type AnyStateMachine, type SnapshotFrom } from 'xstate';
import type { StoredEvent } from '../eventStore/types';
import type { Actor, Effect, EventMetadata, WorkflowDefinition, WorkflowEvent, WorkflowState } from './types';
import { StoreError } from '../errors';
import { upcastEvent } from './upcast';

interface PureScope {
  readonly scope: AnyActorScope;
  collected: unknown[];
}
const scopes = new WeakMap<AnyStateMachine, PureScope>();

/**
 * XState's pure `transition(machine, snapshot, event)` without its per-call cost: xstate's own
 * function builds a new inert actor for every call, and building it computes the machine's initial
 * snapshot (measured: about a third of a step). An inert scope is made once per machine and
 * reused; its action executor only collects the actions, so nothing runs. This is sound for
 * workflow machines, which spawn and invoke no actors (a fold must not start anything).
 */
function pureScope(machine: AnyStateMachine): PureScope {
  let entry = scopes.get(machine);
  if (!entry) {
    const self = createActor(machine);
    const holder: PureScope = {
      collected: [],
      scope: {
        self,
        defer: () => {},
        id: '',
        logger: () => {},
        sessionId: '',
        stopChild: () => {},
        system: self.system,
        emit: () => {},
        actionExecutor: (action: unknown) => void holder.collected.push(action),
      } as unknown as AnyActorScope,
    };
    entry = holder;
    scopes.set(machine, entry);
  }
  return entry;
}

function pureTransition(machine: AnyStateMachine, snapshot: unknown, event: unknown): [unknown, { type: string; params?: unknown }[]] {
  const entry = pureScope(machine);
  entry.collected = [];
  const next = machine.transition(snapshot as never, event as never, entry.scope);
  return [next, entry.collected as { type: string; params?: unknown }[]];
}

function pureInitialTransition(machine: AnyStateMachine, input: unknown): unknown {
  const entry = pureScope(machine);
  entry.collected = [];
  return machine.getInitialSnapshot(entry.scope, input as never);
}

/** The flattened name of a state value: { withLender: 'awaitingAnswer' } -> 'withLender.awaitingAnswer'. */
export function flattenStateValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const inner = flattenStateValue(v);
        return inner ? `${k}.${inner}` : k;
      })
      .join('|');
  }
  return '';
}

export function describeState<M extends AnyStateMachine>(workflow: WorkflowDefinition<M>, snapshot: SnapshotFrom<M>): string {
  return workflow.describeState ? workflow.describeState(snapshot) : flattenStateValue((snapshot as { value: unknown }).value);
}

/** The machine event for a stored event. */
export function toWorkflowEvent(event: StoredEvent): WorkflowEvent {
  const meta = event.metadata as unknown as EventMetadata;
  return { type: event.type, data: event.data, actor: meta.actor as Actor, time: meta.time, commandId: meta.commandId };
}

/** The state of a stream before its first event. */
export function emptyState<M extends AnyStateMachine>(workflow: WorkflowDefinition<M>, streamId: string): WorkflowState<M> {
  const snapshot = pureInitialTransition(workflow.machine, workflow.initialInput?.(streamId));
  return { streamId, snapshot: snapshot as SnapshotFrom<M>, revision: -1, stateName: describeState(workflow, snapshot as SnapshotFrom<M>), commands: new Map() };
}

export interface StepResult<M extends AnyStateMachine> {
  readonly snapshot: SnapshotFrom<M>;
  readonly accepted: boolean;
  readonly effects: Effect[];
}

/** One pure step: does the machine accept the event, and where does it go? Runs no action. */
export function step<M extends AnyStateMachine>(workflow: WorkflowDefinition<M>, snapshot: SnapshotFrom<M>, event: WorkflowEvent): StepResult<M> {
  // XState returns the very same snapshot when no transition is enabled for the event (none
  // matches, or every guard fails): that is the refusal. One transition, no separate `can()`.
  const [next, actions] = pureTransition(workflow.machine, snapshot, event);
  if ((next as unknown) === snapshot) return { snapshot, accepted: false, effects: [] };
  const effectNames = workflow.effects;
  const effects: Effect[] = [];
  for (const action of actions) {
    if (effectNames.includes(action.type)) effects.push({ type: action.type, params: (action.params ?? {}) as Effect['params'] });
  }
  return { snapshot: next as SnapshotFrom<M>, accepted: true, effects };
}

/**
 * Folds stored events onto a state (or a new stream's empty state): the pure `evolve` of the
 * workflow. Throws StoreError when a stored event does not fit the machine (a history written by
 * an incompatible version of the workflow): replay must never silently diverge.
 */
export function fold<M extends AnyStateMachine>(
  workflow: WorkflowDefinition<M>,
  streamId: string,
  events: readonly StoredEvent[],
  from?: WorkflowState<M>,
  options: { readonly reuseCommands?: boolean } = {},
): WorkflowState<M> {
  let state = from ?? emptyState(workflow, streamId);
  if (events.length === 0) return state;
  let snapshot = state.snapshot;
  // The handler's cache passes reuseCommands: it owns `from`, so extending its map in place keeps
  // the cost of a command independent of the stream's length.
  const commands = options.reuseCommands ? (state.commands as Map<string, { fromRevision: number; toRevision: number }>) : new Map(state.commands);
  let revision = state.revision;
  let lastEventTime = state.lastEventTime;
  for (const stored of events) {
    // Stored in an older shape: folded in the current one (the machine knows only that).
    const event = upcastEvent(workflow.events, stored);
    if (event.revision !== revision + 1) {
      throw new StoreError(`stream ${streamId}: expected revision ${revision + 1} while folding, got ${event.revision}`, { streamId });
    }
    const machineEvent = toWorkflowEvent(event);
    const result = step(workflow, snapshot, machineEvent);
    if (!result.accepted) {
      throw new StoreError(
        `stream ${streamId}: stored event ${event.type} at revision ${event.revision} is not accepted in state '${describeState(workflow, snapshot)}'; the history does not fit this version of the workflow`,
        { streamId, revision: event.revision, type: event.type },
      );
    }
    snapshot = result.snapshot;
    revision = event.revision;
    lastEventTime = machineEvent.time;
    const commandId = (event.metadata as { commandId?: unknown }).commandId;
    if (typeof commandId === 'string') {
      const seen = commands.get(commandId);
      commands.set(commandId, { fromRevision: seen ? seen.fromRevision : event.revision, toRevision: event.revision });
    }
  }
  state = { streamId, snapshot, revision, stateName: describeState(workflow, snapshot), lastEventTime, commands };
  return state;
}
