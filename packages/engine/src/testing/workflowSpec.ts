import type { AnyStateMachine } from 'xstate';
import type { JsonObject, NewEvent, StoredEvent } from '../eventStore/types';
import { execute } from '../commandHandling/execute';
import { validateCommand } from '../commandHandling/validateCommand';
import { fold } from '../workflow/fold';
import { currentVersion } from '../workflow/upcast';
import type { Actor, Effect, EventMetadata, WorkflowDefinition, WorkflowState } from '../workflow/types';
import type { InterlendErrorCode } from '../errors';
import { isInterlendError } from '../errors';

/** A prior event for `given`: defaults fill the metadata. */
export interface GivenEvent {
  readonly type: string;
  readonly data?: JsonObject;
  readonly actor?: Actor;
  readonly time?: string;
  /** The schema version its data is in (default: the type's current one); an older one is upcast when folded. */
  readonly version?: number;
}

/** A command for `when`. */
export interface WhenCommand {
  readonly type: string;
  readonly data?: unknown;
  readonly actor: Actor;
  /** The handler's clock (default: the spec's time). */
  readonly time?: string;
  /** When it happened, when not at `time` (the envelope's `occurredAt`). */
  readonly occurredAt?: string;
  readonly commandId?: string;
}

export interface SpecOutcome<M extends AnyStateMachine> {
  /** The events the command produced (empty when it threw). */
  readonly events: readonly NewEvent[];
  /** Effects recorded with those events, in order. */
  readonly effects: readonly Effect[];
  /** State before the command. */
  readonly before: WorkflowState<M> | undefined;
  /** State after the command (= before when it threw). */
  readonly after: WorkflowState<M> | undefined;
  readonly error: unknown;
  /** Asserts the produced events' types (and, where given, that their data match). */
  then(expected: readonly { type: string; data?: Record<string, unknown> }[]): SpecOutcome<M>;
  /** Asserts the state name after the command. */
  thenState(expected: string): SpecOutcome<M>;
  /** Asserts the command was refused with this error code (and message pattern); nothing produced. */
  thenThrows(code: InterlendErrorCode, message?: RegExp | string): SpecOutcome<M>;
}

const SYSTEM: Actor = { id: 'system', role: 'system' };

/**
 * Given / when / then for a workflow, with no store: `given` folds prior events (each must be
 * accepted by the machine, as the real fold requires), `when` runs the same pure path as the
 * command handler (validate, authorize, decide, fold).
 */
export function workflowSpec<M extends AnyStateMachine, S>(workflow: WorkflowDefinition<M, S>, options: { services: S; streamId?: string; time?: string }) {
  const streamId = options.streamId ?? 'stream-1';
  const defaultTime = options.time ?? '2026-01-05T09:00:00.000Z';
  return {
    given(...history: readonly GivenEvent[]) {
      const stored: StoredEvent[] = history.map((e, i) => ({
        id: `given-${i}`,
        streamId,
        revision: i,
        position: i + 1,
        type: e.type,
        data: e.data ?? {},
        metadata: {
          workflow: workflow.name,
          commandId: `given-${i}`,
          commandType: e.type,
          actor: { ...(e.actor ?? SYSTEM) },
          time: e.time ?? defaultTime,
          stateAfter: '',
          effects: [],
          v: e.version ?? currentVersion(workflow.events, e.type),
        } satisfies EventMetadata,
      }));
      const before = stored.length ? fold(workflow, streamId, stored) : undefined;
      return {
        state: before,
        when(command: WhenCommand): SpecOutcome<M> {
          let n = 0;
          const ids = { next: () => `event-${++n}` };
          let events: NewEvent[] = [];
          let after = before;
          let error: unknown;
          try {
            const validated = validateCommand(
              workflow,
              {
                commandId: command.commandId ?? 'command-1',
                streamId,
                type: command.type,
                data: command.data,
                actor: command.actor,
                ...(command.occurredAt === undefined ? {} : { occurredAt: command.occurredAt }),
              },
              command.time ?? defaultTime,
            );
            const result = execute(workflow, before, validated, options.services, ids);
            events = result.events;
            const newStored = events.map((e, i) => ({ ...e, streamId, revision: stored.length + i, position: stored.length + i + 1 }));
            after = fold(workflow, streamId, newStored, before);
          } catch (e) {
            error = e;
          }
          const effects = events.flatMap((e) => (e.metadata as unknown as EventMetadata).effects);
          const outcome: SpecOutcome<M> = {
            events,
            effects,
            before,
            after,
            error,
            then(expected) {
              if (error) throw new Error(`expected events ${expected.map((e) => e.type).join(', ')} but the command threw: ${String((error as Error).message ?? error)}`);
              expect(events.map((e) => e.type)).toEqual(expected.map((e) => e.type));
              expected.forEach((e, i) => {
                if (e.data) expect(events[i]!.data).toMatchObject(e.data);
              });
              return outcome;
            },
            thenState(expected) {
              if (error) throw new Error(`expected state '${expected}' but the command threw: ${String((error as Error).message ?? error)}`);
              expect(after?.stateName).toBe(expected);
              return outcome;
            },
            thenThrows(code, message) {
              if (!error) throw new Error(`expected ${code} but the command produced ${events.map((e) => e.type).join(', ') || 'nothing'}`);
              expect(isInterlendError(error) ? error.code : String(error)).toBe(code);
              if (message) expect((error as Error).message).toMatch(message);
              expect(events).toHaveLength(0);
              return outcome;
            },
          };
          return outcome;
        },
      };
    },
  };
}
