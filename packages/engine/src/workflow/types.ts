import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import type { ZodType } from 'zod';
import type { JsonObject, StoredEvent } from '../eventStore/types';
import type { EventSchemas } from './upcast';

/** Who acts: a party (a library code, or 'system') in a role that the workflow defines. */
export interface Actor {
  readonly id: string;
  readonly role: string;
  /**
   * The credential that authenticated the actor (an API key's public id), when an edge checked
   * one: recorded with the events as `metadata.actor.key`. Never a secret.
   */
  readonly key?: string;
}

/** A command as it arrives at the edge, before validation. */
export interface CommandInput {
  /** Unique per command; the same id delivered twice yields its events once. */
  readonly commandId: string;
  readonly streamId: string;
  readonly type: string;
  readonly data?: unknown;
  readonly actor: Actor;
  /**
   * When what the command records happened (business time), when it is not now: an ISO-8601
   * date-time with a zone, not after the handler's clock and not before the stream's previous
   * event. Absent: it happened when it is handled. Not accepted on the timer's deadline command.
   */
  readonly occurredAt?: string;
}

/**
 * A command after its `data` passed the command's schema. `time` is the business time: the
 * command's `occurredAt`, or the handler's clock when it has none; `recordedAt` is the clock's
 * time, present only when it differs from `time` (docs/workflow/business-time.md).
 */
export interface ValidatedCommand<TData = JsonObject> {
  readonly commandId: string;
  readonly streamId: string;
  readonly type: string;
  readonly data: TData;
  readonly actor: Actor;
  /** ISO-8601 business time (UTC): when it happened. What the machine, deadlines and statistics use. */
  readonly time: string;
  /** ISO-8601 time (UTC) the handler's clock stamped, when the command said it happened earlier. */
  readonly recordedAt?: string;
}

/** What `decide` returns: an event to fold and append. */
export interface Decision {
  readonly type: string;
  readonly data: JsonObject;
}

/**
 * The event the machine receives: the stored event's type and data plus who, when and which command.
 * Guards and assignments read only this and the snapshot.
 */
export interface WorkflowEvent<TType extends string = string, TData = JsonObject> {
  readonly type: TType;
  readonly data: TData;
  readonly actor: Actor;
  readonly time: string;
  readonly commandId: string;
}

/** An effect the machine asked for: an XState action named in `WorkflowDefinition.effects`. */
export interface Effect extends JsonObject {
  readonly type: string;
  readonly params: JsonObject;
}

/** Effects with these names are handled by the engine's timer service. */
export const SCHEDULE_DEADLINE = 'scheduleDeadline';
export const CANCEL_DEADLINE = 'cancelDeadline';
/** params of a `scheduleDeadline` effect. Scheduling the same name again replaces the earlier one. */
export interface ScheduleDeadlineParams extends JsonObject {
  readonly name: string;
  /** ISO-8601 time at which the deadline fires. */
  readonly at: string;
  /** What the deadline is about (e.g. a rota position); travels back in the deadline command. */
  readonly key: string;
}
/** params of a `cancelDeadline` effect. */
export interface CancelDeadlineParams extends JsonObject {
  readonly name: string;
}
/** data of the command the timer worker sends when a deadline is due. */
export interface DeadlineCommandData extends JsonObject {
  readonly name: string;
  readonly key: string;
  readonly at: string;
}

/**
 * Metadata stored with every event: what cannot be derived. The state before an event is not
 * stored (it is the `stateAfter` of the event before it; `readStream` derives it as
 * `stateBefore`); events stored before schema versions have a `stateBefore` and no `v`.
 */
export interface EventMetadata extends JsonObject {
  readonly workflow: string;
  readonly commandId: string;
  readonly commandType: string;
  readonly actor: { readonly id: string; readonly role: string; readonly key?: string };
  /**
   * When it happened (business time): what the machine saw, and what statistics and history use.
   * Beside it, `recordedAt` (a string; not declared here, as an optional key cannot be in a JSON
   * object type): when it was recorded (the handler's clock), only where that differs from `time`,
   * i.e. the command carried an earlier `occurredAt`. Absent (every older event too): recorded at
   * `time`. Read it with `recordedTime`.
   */
  readonly time: string;
  readonly stateAfter: string;
  readonly effects: Effect[];
  /** The event's schema version (`EventSchemas`); an event stored before versions has none: 1. */
  readonly v: number;
}

/** When an event was recorded: its `metadata.recordedAt`, or its `time` where it has none (recorded when it happened). */
export function recordedTime(event: { readonly metadata: JsonObject }): string {
  const { recordedAt, time } = event.metadata;
  return typeof recordedAt === 'string' ? recordedAt : String(time);
}

/** The folded state of one stream. */
export interface WorkflowState<TMachine extends AnyStateMachine = AnyStateMachine> {
  readonly streamId: string;
  readonly snapshot: SnapshotFrom<TMachine>;
  /** Revision of the last folded event; -1 for a stream with no events. */
  readonly revision: number;
  /** Flattened state name, e.g. 'withLender.awaitingAnswer'. */
  readonly stateName: string;
  /** Business time (`metadata.time`) of the last folded event; undefined for a stream with no events. */
  readonly lastEventTime?: string;
  /** Command ids already applied to this stream, with the revisions they wrote. */
  readonly commands: ReadonlyMap<string, { readonly fromRevision: number; readonly toRevision: number }>;
}

/**
 * A workflow: an XState machine, the zod schemas of its commands, and the edge logic that turns a
 * command into events. The machine must be pure (guards and assignments read only snapshot and
 * event); effects are named actions with JSON params, recorded with the events and carried out
 * after the append commits.
 */
export interface WorkflowDefinition<TMachine extends AnyStateMachine = AnyStateMachine, TServices = unknown> {
  /** Name recorded in every event's metadata (e.g. 'ill-request'). */
  readonly name: string;
  readonly machine: TMachine;
  /** Input for `initialTransition` of a new stream. */
  initialInput?(streamId: string): unknown;
  /** Schema of `data` for each command type. Unknown types are refused with a ValidationError. */
  readonly commands: Readonly<Record<string, ZodType>>;
  /** Command types that start a stream; every other type needs the stream to exist. */
  readonly creates: readonly string[];
  /**
   * The schema version of each event type and the upcasters from older versions (docs/events.md).
   * Events are appended at the current version and upcast on read. Without it, every type is at 1.
   */
  readonly events?: EventSchemas;
  /** Names of the machine's actions that are effects (recorded in metadata.effects). */
  readonly effects: readonly string[];
  /** Command type sent by the timer worker when a deadline is due (data: DeadlineCommandData). */
  readonly deadlineCommand?: string;
  /** Throws ForbiddenError unless `command.actor` may send this command now. `state` is undefined for a creating command. */
  authorize(command: ValidatedCommand, state: WorkflowState<TMachine> | undefined): void;
  /** The events a command produces (usually one). Edge logic: may consult read-only services. Throws domain errors. */
  decide(command: ValidatedCommand, state: WorkflowState<TMachine> | undefined, services: TServices): Decision[];
  /**
   * Command types that could be sent now (for "allowed" listings and error messages): those the
   * state accepts; given an actor, only those the workflow's authorization lets that actor send.
   */
  allowedCommands(state: WorkflowState<TMachine>, actor?: Actor): string[];
  /** A readable name of the snapshot's state; default: the state value flattened with dots. */
  describeState?(snapshot: SnapshotFrom<TMachine>): string;
}

export type { StoredEvent };
