import type { CommandHandler } from '../commandHandling/commandHandler';
import type { CommandInput } from '../workflow/types';

/** What the timer worker needs of a command handler: the workflow, and a way to send its deadline commands (a handler, or a queue). */
export interface DeadlineSink {
  readonly workflow: Pick<CommandHandler['workflow'], 'name' | 'deadlineCommand'>;
  handle(command: CommandInput): Promise<unknown>;
}
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { ProjectionRunner } from '../projections/projectionRunner';
import type { ReadModelStore } from '../projections/types';
import { isInterlendError } from '../errors';
import { TIMERS_PROJECTION, deadlineCommandId, dueIndex, timersProjection, type TimerDoc } from './timersProjection';

export interface TimerRun {
  /** Deadlines whose command was applied. */
  readonly fired: number;
  /** Deadlines the workflow refused (already moved on, a race with an answer); they stay recorded in `refusals`. */
  readonly refused: number;
  readonly refusals: readonly { readonly timer: TimerDoc; readonly error: string }[];
}

/**
 * Fires due deadlines through the same command path as any other command, as the 'system' actor.
 * The command id is derived from (stream, name, due time), so a deadline fired twice (two workers,
 * a crash after the append) is applied once.
 */
export class TimerWorker {
  private readonly clock: Clock;
  constructor(
    private readonly handler: DeadlineSink,
    private readonly runner: ProjectionRunner,
    private readonly readModels: ReadModelStore,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
    if (!handler.workflow.deadlineCommand) throw new TypeError(`workflow ${handler.workflow.name} has no deadlineCommand`);
  }

  /** Pending deadlines, earliest first. */
  async pending(): Promise<TimerDoc[]> {
    await this.runner.catchUp([timersProjection]);
    const docs = await this.readModels.query(TIMERS_PROJECTION, { indexRange: { from: 'due:', to: 'due;' } });
    return docs.map((d) => d.doc as TimerDoc).sort(byDue);
  }

  /** Time of the earliest pending deadline, if any. */
  async nextDueAt(): Promise<string | undefined> {
    await this.runner.catchUp([timersProjection]);
    const [first] = await this.readModels.query(TIMERS_PROJECTION, { indexRange: { from: 'due:', to: 'due;' }, limit: 1 });
    return first ? (first.doc as TimerDoc).at : undefined;
  }

  /**
   * Fires every deadline due at `now` (default: the clock's now), including ones that become due by
   * firing others. The due ones are read a batch at a time, walking the due-time index from the
   * earliest (each batch costs O(log n + batch) of n pending deadlines); a pass that fired
   * something is followed by another from the start, for deadlines its commands scheduled.
   */
  async runDue(now: Date = this.clock.now()): Promise<TimerRun> {
    const range = { from: 'due:', to: `${dueIndex(now.toISOString())}\u0000` };
    const attempted = new Set<string>();
    const refusals: { timer: TimerDoc; error: string }[] = [];
    let fired = 0;
    let after: { value: string; key: string } | undefined;
    let attemptedInPass = 0;
    for (;;) {
      await this.runner.catchUp([timersProjection]);
      const page = await this.readModels.query(TIMERS_PROJECTION, { indexRange: range, limit: DUE_BATCH, ...(after ? { after } : {}) });
      const last = page[page.length - 1];
      if (last) after = { value: dueIndex((last.doc as TimerDoc).at), key: last.key };
      const due = page.map((d) => d.doc as TimerDoc).filter((t) => !attempted.has(commandIdOf(t)));
      attemptedInPass += due.length;
      if (page.length < DUE_BATCH) {
        // The end of the due ones: another pass from the start if this one tried anything.
        const triedAny = attemptedInPass > 0;
        after = undefined;
        attemptedInPass = 0;
        if (!triedAny) break;
      }
      for (const timer of due) {
        const commandId = commandIdOf(timer);
        attempted.add(commandId);
        try {
          await this.handler.handle({
            commandId,
            streamId: timer.streamId,
            type: this.handler.workflow.deadlineCommand!,
            data: { name: timer.name, key: timer.key, at: timer.at },
            actor: { id: 'system', role: 'system' },
          });
          fired++;
        } catch (error) {
          if (!isInterlendError(error) || error.code === 'STORE') throw error;
          refusals.push({ timer, error: error.message });
        }
      }
    }
    return { fired, refused: refusals.length, refusals };
  }

  /** Runs `runDue` every `intervalMs` until `signal` aborts. */
  async run(options: { signal: AbortSignal; intervalMs?: number; onRun?: (run: TimerRun) => void }): Promise<void> {
    while (!options.signal.aborted) {
      options.onRun?.(await this.runDue());
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, options.intervalMs ?? 1_000);
        options.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  }
}

/** Due deadlines read per query by `runDue`. */
const DUE_BATCH = 100;

const commandIdOf = deadlineCommandId;
const byDue = (a: TimerDoc, b: TimerDoc): number => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.streamId < b.streamId ? -1 : 1);
