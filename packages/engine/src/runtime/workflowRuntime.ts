import type { AnyStateMachine } from 'xstate';
import { CommandHandler, type CommandResult } from '../commandHandling/commandHandler';
import { EffectDispatcher, type EffectHandler } from '../effects/effectDispatcher';
import type { EventStore } from '../eventStore/types';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { IdGenerator } from '../ports/ids';
import { ProjectionRunner, type CatchUpOptions } from '../projections/projectionRunner';
import type { Projection, ReadModelStore } from '../projections/types';
import { TimerWorker, type TimerRun } from '../timers/timerWorker';
import { singleFlight } from './singleFlight';
import type { CommandInput, WorkflowDefinition } from '../workflow/types';

export interface WorkflowRuntimeOptions<M extends AnyStateMachine, S> {
  readonly workflow: WorkflowDefinition<M, S>;
  readonly services: S;
  readonly store: EventStore;
  readonly readModels: ReadModelStore;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  /** Read models kept up to date by `settle`. */
  readonly projections?: readonly Projection[];
  /** Handlers of the workflow's effects (deadlines are handled by the timer worker). */
  readonly effectHandlers?: Readonly<Record<string, EffectHandler>>;
  /**
   * Told when work after a command (effects, projections, due deadlines) fails or is refused for
   * good. Such work never fails the command: the command is in the log, and the next settle, a
   * worker or the next command picks the work up again. Default: ignore.
   */
  readonly onBackgroundError?: (problem: BackgroundProblem) => void;
}

/** Work after a command that did not complete: what was being done, and why it stopped. */
export interface BackgroundProblem {
  readonly stage: 'effects' | 'projections' | 'timers' | 'effect-refused';
  readonly error: unknown;
  /** For 'effect-refused': the effect and its id. */
  readonly effect?: { readonly type: string; readonly effectId: string; readonly streamId: string };
}

/**
 * Everything of one workflow in one process (the embedded default): the command handler, the
 * effect dispatcher, the timer worker and the projection runner over one event store and one
 * read-model store. A NATS deployment runs the same pieces in separate workers.
 */
export class WorkflowRuntime<M extends AnyStateMachine = AnyStateMachine, S = unknown> {
  readonly handler: CommandHandler<M, S>;
  readonly runner: ProjectionRunner;
  readonly timers: TimerWorker;
  readonly effects: EffectDispatcher;
  readonly projections: readonly Projection[];
  readonly clock: Clock;

  constructor(readonly options: WorkflowRuntimeOptions<M, S>) {
    this.clock = options.clock ?? systemClock;
    this.handler = new CommandHandler({ workflow: options.workflow, store: options.store, services: options.services, clock: this.clock, ids: options.ids });
    this.runner = new ProjectionRunner(options.store, options.readModels);
    this.timers = new TimerWorker(this.handler, this.runner, options.readModels, { clock: this.clock });
    this.effects = new EffectDispatcher(options.store, options.readModels, options.effectHandlers ?? {}, {
      onFailure: (f) => this.report({ stage: 'effect-refused', error: f.error, effect: { type: f.effect.type, effectId: f.effectId, streamId: f.event.streamId } }),
    });
    this.projections = options.projections ?? [];
  }

  /**
   * Handles a command, then carries out the effects it recorded and updates the read models. Once
   * the command's events are appended it has succeeded, whatever happens after: a failure of that
   * follow-up work (a conflict with another process doing the same, a busy store) is reported to
   * `onBackgroundError` and left for the next settle, never thrown.
   */
  async execute(command: CommandInput): Promise<CommandResult<M>> {
    const result = await this.handler.handle(command);
    await this.settleAfterCommit();
    return result;
  }

  /**
   * `settleQuietly`, shared by the commands that finish while one is running (`singleFlight`): a
   * caller waits for a pass that started after its command committed, so N commands in flight
   * cost about two passes, not N colliding ones, and each still returns only once the read models
   * include it.
   */
  private readonly settleAfterCommit = singleFlight(() => this.settleQuietly());

  /** Runs pending effects (until none are left: an effect may send commands) and catches up the projections. Throws what fails. */
  async settle(options: CatchUpOptions = {}): Promise<void> {
    await this.runEffects();
    await this.runner.catchUp(this.projections, options);
  }

  /**
   * `settle`, with failures reported to `onBackgroundError` instead of thrown (the projections are
   * caught up even when an effect failed); returns whether everything settled.
   */
  async settleQuietly(options: CatchUpOptions = {}): Promise<boolean> {
    let settled = true;
    for (const [stage, work] of [
      ['effects', () => this.runEffects()],
      ['projections', () => this.runner.catchUp(this.projections, options)],
    ] as const) {
      try {
        await work();
      } catch (error) {
        this.report({ stage, error });
        settled = false;
      }
    }
    return settled;
  }

  private async runEffects(): Promise<void> {
    while ((await this.effects.catchUp()) > 0) {
      // effects may have written events with effects of their own
    }
  }

  /** Fires the deadlines due now (or at `now`), then settles. Throws what fails. */
  async runDueTimers(now?: Date): Promise<TimerRun> {
    const run = await this.timers.runDue(now);
    await this.settle();
    return run;
  }

  /**
   * Fires the deadlines due now and settles, reporting failures instead of throwing: what the
   * single-process default does before a command, so that a command acts on a current state.
   */
  async runDueTimersQuietly(now?: Date): Promise<TimerRun | undefined> {
    let run: TimerRun;
    try {
      run = await this.timers.runDue(now);
    } catch (error) {
      this.report({ stage: 'timers', error });
      return undefined;
    }
    await this.settleQuietly();
    return run;
  }

  private report(problem: BackgroundProblem): void {
    try {
      this.options.onBackgroundError?.(problem);
    } catch {
      // a reporter that fails must not fail the command either
    }
  }
}
