import type { JsonObject, StoredEvent } from '../eventStore/types';
import type { Projection } from '../projections/types';
import { CANCEL_DEADLINE, SCHEDULE_DEADLINE, type Effect } from '../workflow/types';

export const TIMERS_PROJECTION = 'engine.timers';

/** A pending deadline: one per (stream, name); scheduling the same name again replaces it. */
export interface TimerDoc extends JsonObject {
  readonly streamId: string;
  readonly name: string;
  /** ISO-8601 (UTC, as Date.toISOString writes it) time at which it is due. */
  readonly at: string;
  readonly key: string;
  /** Id of the event that scheduled it. */
  readonly scheduledBy: string;
}

const SEP = '\u001f';
export const timerKey = (streamId: string, name: string): string => `${streamId}${SEP}${name}`;
export const dueIndex = (at: string): string => `due:${at}`;

function deadlineEffects(event: StoredEvent): Effect[] {
  const effects = (event.metadata as { effects?: unknown }).effects;
  if (!Array.isArray(effects)) return [];
  return (effects as Effect[]).filter((e) => e.type === SCHEDULE_DEADLINE || e.type === CANCEL_DEADLINE);
}

/**
 * The pending deadlines, derived from the `scheduleDeadline` / `cancelDeadline` effects recorded
 * with the events. Being a projection, it survives restarts and rebuilds like any read model.
 */
export const timersProjection: Projection<TimerDoc> = {
  name: TIMERS_PROJECTION,
  version: 1,
  keys(event) {
    const effects = deadlineEffects(event);
    if (effects.length === 0) return [];
    return [...new Set(effects.map((e) => timerKey(event.streamId, String(e.params.name))))];
  },
  apply(doc, event, key) {
    let next: TimerDoc | null | undefined = undefined;
    for (const effect of deadlineEffects(event)) {
      if (timerKey(event.streamId, String(effect.params.name)) !== key) continue;
      if (effect.type === CANCEL_DEADLINE) next = doc || next ? null : next;
      else {
        next = {
          streamId: event.streamId,
          name: String(effect.params.name),
          at: new Date(String(effect.params.at)).toISOString(),
          key: String(effect.params.key ?? ''),
          scheduledBy: event.id,
        };
      }
    }
    return next;
  },
  index: (doc) => [dueIndex(doc.at)],
};
