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
    this.timers = new TimerWorker(this.handler as unknown as CommandHandler, this.runner, options.readModels, { clock: this.clock });
    this.effects = new EffectDispatcher(options.store, options.readModels, options.effectHandlers ?? {});
    this.projections = options.projections ?? [];
  }

  /** Handles a command, then carries out the effects it recorded and updates the read models. */
  async execute(command: CommandInput): Promise<CommandResult<M>> {
    const result = await this.handler.handle(command);
    await this.settle();
    return result;
  }

  /** Runs pending effects (until none are left: an effect may send commands) and catches up the projections. */
  async settle(options: CatchUpOptions = {}): Promise<void> {
    while ((await this.effects.catchUp()) > 0) {
      // effects may have written events with effects of their own
    }
    await this.runner.catchUp(this.projections, options);
  }

  /** Fires the deadlines due now (or at `now`), then settles. */
  async runDueTimers(now?: Date): Promise<TimerRun> {
    const run = await this.timers.runDue(now);
    await this.settle();
    return run;
  }
}
