import type { EventStore, StoredEvent } from '../eventStore/types';
import type { ReadModelStore } from '../projections/types';
import { isInterlendError } from '../errors';
import { advanceCheckpoint } from '../projections/advanceCheckpoint';
import { CANCEL_DEADLINE, SCHEDULE_DEADLINE, type Effect } from '../workflow/types';

export interface EffectContext {
  /** The event that recorded the effect. */
  readonly event: StoredEvent;
  /** Stable id of this effect (event id + index): use it to deduplicate downstream (e.g. a JetStream msgID). */
  readonly effectId: string;
}

export type EffectHandler = (effect: Effect, context: EffectContext) => Promise<void> | void;

/** An effect that can never be carried out (its handler refused it with a permanent error): skipped, and reported. */
export interface EffectFailure extends EffectContext {
  readonly effect: Effect;
  readonly error: unknown;
}

export interface EffectDispatcherOptions {
  /** Checkpoint name in the read-model store. Default 'engine.effects'. */
  readonly name?: string;
  /** Told of every effect skipped because its handler refused it for good (validation, forbidden, not found, illegal state). */
  readonly onFailure?: (failure: EffectFailure) => void;
}

/**
 * Carries out the effects recorded with committed events: a consumer of the global log with its
 * own checkpoint. Effects run after the append committed and never during a replay (folding never
 * calls this). Delivery is at least once: handlers deduplicate on `effectId`.
 *
 * Several dispatchers (processes) may follow the same log: the checkpoint moves forward by
 * compare-and-set, and one that finds it moved by another takes the later position and goes on
 * (the effects in between may have run in both: at least once). A handler that fails with a
 * permanent error (the effect can never succeed) is reported through `onFailure` and skipped; any
 * other failure stops the catch-up after recording the progress made, and the next catch-up
 * tries that effect again. Deadlines are not handled here but by the timer worker.
 */
export class EffectDispatcher {
  private readonly name: string;
  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
    private readonly handlers: Readonly<Record<string, EffectHandler>>,
    private readonly options: EffectDispatcherOptions = {},
  ) {
    this.name = options.name ?? 'engine.effects';
  }

  /** Runs the effects of every event after the checkpoint; returns how many effects ran. */
  async catchUp(options: { batchSize?: number } = {}): Promise<number> {
    let ran = 0;
    let position = await this.readModels.checkpoint(this.name);
    for (;;) {
      const batch = await this.store.readAll({ after: position, maxCount: options.batchSize ?? 1_000 });
      if (batch.length === 0) return ran;
      let done = position;
      try {
        for (const event of batch) {
          ran += await this.runEffects(event);
          done = event.position;
        }
      } catch (error) {
        // Keep what was done, so that only the failed event's effects run again next time.
        await this.advance(position, done).catch(() => undefined);
        throw error;
      }
      position = await this.advance(position, done);
    }
  }

  private async runEffects(event: StoredEvent): Promise<number> {
    const effects = (event.metadata as { effects?: Effect[] }).effects ?? [];
    let ran = 0;
    for (const [index, effect] of effects.entries()) {
      if (effect.type === SCHEDULE_DEADLINE || effect.type === CANCEL_DEADLINE) continue;
      const handler = this.handlers[effect.type];
      if (!handler) continue;
      const context = { event, effectId: `${event.id}:${index}` };
      try {
        await handler(effect, context);
        ran++;
      } catch (error) {
        if (!isPermanent(error)) throw error;
        this.options.onFailure?.({ ...context, effect, error });
      }
    }
    return ran;
  }

  /** Moves the checkpoint from `from` to `to`; when another dispatcher moved it first, returns the later of the two. */
  private advance(from: number, to: number): Promise<number> {
    return advanceCheckpoint(this.readModels, this.name, from, to);
  }
}

/** Errors that say the effect can never succeed, as opposed to a store or a race that may pass. */
function isPermanent(error: unknown): boolean {
  return isInterlendError(error) && (error.code === 'VALIDATION' || error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND' || error.code === 'ILLEGAL_STATE');
}
