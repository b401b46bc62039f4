import type { EventStore, StoredEvent } from '../eventStore/types';
import type { ReadModelStore } from '../projections/types';
import { CANCEL_DEADLINE, SCHEDULE_DEADLINE, type Effect } from '../workflow/types';

export interface EffectContext {
  /** The event that recorded the effect. */
  readonly event: StoredEvent;
  /** Stable id of this effect (event id + index): use it to deduplicate downstream (e.g. a JetStream msgID). */
  readonly effectId: string;
}

export type EffectHandler = (effect: Effect, context: EffectContext) => Promise<void> | void;

/**
 * Carries out the effects recorded with committed events: a consumer of the global log with its
 * own checkpoint. Effects run after the append committed and never during a replay (folding never
 * calls this). Delivery is at least once: the checkpoint is committed after each batch, and a crash
 * before it runs that
 * batch's effects again, so handlers deduplicate on `effectId`. Deadlines are not handled here but
 * by the timer worker.
 */
export class EffectDispatcher {
  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
    private readonly handlers: Readonly<Record<string, EffectHandler>>,
    private readonly name = 'engine.effects',
  ) {}

  /** Runs the effects of every event after the checkpoint; returns how many effects ran. */
  async catchUp(options: { batchSize?: number } = {}): Promise<number> {
    let ran = 0;
    let position = await this.readModels.checkpoint(this.name);
    for (;;) {
      const batch = await this.store.readAll({ after: position, maxCount: options.batchSize ?? 1_000 });
      if (batch.length === 0) return ran;
      for (const event of batch) {
        const effects = (event.metadata as { effects?: Effect[] }).effects ?? [];
        let i = 0;
        for (const effect of effects) {
          const index = i++;
          if (effect.type === SCHEDULE_DEADLINE || effect.type === CANCEL_DEADLINE) continue;
          const handler = this.handlers[effect.type];
          if (!handler) continue;
          await handler(effect, { event, effectId: `${event.id}:${index}` });
          ran++;
        }
      }
      const last = batch[batch.length - 1]!.position;
      if (last > position) {
        await this.readModels.commit(this.name, [], { expected: position, next: last });
        position = last;
      }
    }
  }
}
