import type { AnyStateMachine } from 'xstate';
import type { EventStore, StoredEvent } from '../eventStore/types';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { IdGenerator } from '../ports/ids';
import { uuidV7Ids } from '../ports/ids';
import { ConcurrencyError, isConcurrencyError } from '../errors';
import { emptyState, fold } from '../workflow/fold';
import { readStream } from '../workflow/upcast';
import type { CommandInput, WorkflowDefinition, WorkflowState } from '../workflow/types';
import { execute, type Execution } from './execute';
import { validateCommand } from './validateCommand';
import { SnapshotCache } from './snapshotCache';

export interface CommandResult<M extends AnyStateMachine = AnyStateMachine> {
  readonly streamId: string;
  readonly commandId: string;
  /** True when the command id had already been applied: nothing was written this time. */
  readonly duplicate: boolean;
  /**
   * The events this command wrote (on a duplicate: the events it wrote the first time), as read:
   * in their current shapes, with `metadata.stateBefore` derived (it is not stored).
   */
  readonly events: readonly StoredEvent[];
  /** The stream's state now. */
  readonly state: WorkflowState<M>;
}

/**
 * The snapshot cache's default bound. A command's stream is usually in the cache only within a burst
 * (submit, screen, ask; a lender's answer and the next ask): between bursts days pass and thousands
 * of other requests are touched, so a larger cache mostly holds states that will be read again from
 * the store anyway, and costs heap (about 4.6 KB a request; docs/architecture.md, "Memory").
 */
export const DEFAULT_SNAPSHOT_CACHE = 2_000;

export interface CommandHandlerOptions<M extends AnyStateMachine, S> {
  readonly workflow: WorkflowDefinition<M, S>;
  readonly store: EventStore;
  readonly services: S;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Attempts on a concurrency conflict before reporting it. Default 5. */
  readonly maxAttempts?: number;
  /**
   * Streams whose latest state is kept in memory, least recently used out first. Default
   * DEFAULT_SNAPSHOT_CACHE (2,000). A stream whose machine reached a final state is not kept: no
   * command moves it again, and a late one (a duplicate, a refusal) reads it from the store.
   */
  readonly cacheSize?: number;
}

/**
 * The path of one command: validate (zod) -> read the stream (cached snapshot + newer events) ->
 * idempotency check -> authorize -> decide -> fold with XState's pure `transition` (refusing what
 * the machine does not accept) -> append with the expected revision -> on conflict re-read and
 * retry. Effects are recorded in the events' metadata; nothing here carries them out.
 */
export class CommandHandler<M extends AnyStateMachine = AnyStateMachine, S = unknown> {
  readonly workflow: WorkflowDefinition<M, S>;
  private readonly store: EventStore;
  private readonly services: S;
  private readonly clock: Clock;
  private readonly ids: IdGenerator;
  private readonly maxAttempts: number;
  private readonly cache: SnapshotCache<WorkflowState<M>>;
  private initialState: string | undefined;

  constructor(options: CommandHandlerOptions<M, S>) {
    this.workflow = options.workflow;
    this.store = options.store;
    this.services = options.services;
    this.clock = options.clock ?? systemClock;
    this.ids = options.ids ?? uuidV7Ids;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.cache = new SnapshotCache(options.cacheSize ?? DEFAULT_SNAPSHOT_CACHE);
  }

  /** The stream's current state, or undefined when it has no events. */
  async load(streamId: string): Promise<WorkflowState<M> | undefined> {
    const cached = this.cache.get(streamId);
    // The usual case: nothing was appended since the cache was filled. One key lookup says so.
    if (cached && (await this.store.streamRevision(streamId)) === cached.revision) return cached;
    const newer = await this.store.readStream(streamId, { fromRevision: cached ? cached.revision + 1 : 0 });
    if (!cached && newer.length === 0) return undefined;
    if (newer.length === 0) return cached;
    const state = fold(this.workflow, streamId, newer, cached, { reuseCommands: true });
    this.remember(state);
    return state;
  }

  /** Validates and applies a command; see the class comment. */
  async handle(input: CommandInput): Promise<CommandResult<M>> {
    const time = this.clock.now().toISOString();
    const command = validateCommand(this.workflow, input, time);
    for (let attempt = 1; ; attempt++) {
      // Optimistic: the first attempt decides on the cached state without asking the store. If
      // another process appended meanwhile, the expected revision refuses the append and the next
      // attempt reads what is new (the retry also finds a duplicate applied elsewhere).
      const cached = attempt === 1 ? this.cache.get(command.streamId) : undefined;
      const current = cached ?? (await this.load(command.streamId));
      const seen = current?.commands.get(command.commandId);
      if (current && seen) return this.duplicateResult(current, command.commandId, seen);

      let decided: Execution<M>;
      try {
        decided = execute(this.workflow, current, command, this.services, this.ids);
      } catch (error) {
        // A refusal is only as good as the state it was decided on: when another process moved
        // the stream since the cache was filled, decide again on what the store holds.
        if (cached && (await this.store.streamRevision(command.streamId)) !== cached.revision) {
          this.cache.delete(command.streamId);
          continue;
        }
        throw error;
      }
      const { events: newEvents, snapshot, stateName } = decided;

      try {
        const appended = await this.store.appendToStream(command.streamId, newEvents, { expectedRevision: current ? current.revision : 'no_stream' });
        const firstRevision = appended.nextExpectedRevision - newEvents.length + 1;
        const firstPosition = appended.lastPosition - newEvents.length + 1;
        const appendedEvents: StoredEvent[] = newEvents.map((e, i) => ({ ...e, streamId: command.streamId, revision: firstRevision + i, position: firstPosition + i }));
        const stored = this.asRead(command.streamId, appendedEvents, current?.stateName);
        const commands = (current?.commands ?? new Map()) as Map<string, { fromRevision: number; toRevision: number }>;
        commands.set(command.commandId, { fromRevision: firstRevision, toRevision: appended.nextExpectedRevision });
        const state: WorkflowState<M> = { streamId: command.streamId, snapshot, revision: appended.nextExpectedRevision, stateName, lastEventTime: command.time, commands };
        this.remember(state);
        return { streamId: command.streamId, commandId: command.commandId, duplicate: false, events: stored, state };
      } catch (error) {
        if (!isConcurrencyError(error)) throw error;
        this.cache.delete(command.streamId);
        if (attempt >= this.maxAttempts) {
          throw new ConcurrencyError(`${this.workflow.name} '${command.streamId}' kept changing under '${command.type}'; gave up after ${attempt} attempts`, {
            streamId: command.streamId,
            attempts: attempt,
          });
        }
      }
    }
  }

  /** Caches a stream's state, unless its machine is done (a final state): see `cacheSize`. */
  private remember(state: WorkflowState<M>): void {
    if ((state.snapshot as { status?: string }).status === 'done') this.cache.delete(state.streamId);
    else this.cache.set(state.streamId, state);
  }

  /** The number of streams whose state is cached now (at most `cacheSize`). */
  get cachedStreams(): number {
    return this.cache.size;
  }

  /** Forget cached state (e.g. after an external rewrite in tests). */
  clearCache(): void {
    this.cache.clear();
  }

  private async duplicateResult(state: WorkflowState<M>, commandId: string, seen: { fromRevision: number; toRevision: number }): Promise<CommandResult<M>> {
    // One event more when there is one before: its stateAfter is the first event's stateBefore.
    const from = Math.max(0, seen.fromRevision - 1);
    const read = await this.store.readStream(state.streamId, { fromRevision: from, maxCount: seen.toRevision - from + 1 });
    const previous = seen.fromRevision > 0 ? read.shift() : undefined;
    const before = typeof previous?.metadata.stateAfter === 'string' ? previous.metadata.stateAfter : undefined;
    return { streamId: state.streamId, commandId, duplicate: true, events: this.asRead(state.streamId, read, before), state };
  }

  /** Events as a reader sees them: in their current shapes, with the state before each (not stored: docs/events.md). */
  private asRead(streamId: string, events: StoredEvent[], previousStateAfter: string | undefined): StoredEvent[] {
    this.initialState ??= emptyState(this.workflow, streamId).stateName;
    return readStream(this.workflow.events, events, { initialState: this.initialState, previousStateAfter });
  }
}

