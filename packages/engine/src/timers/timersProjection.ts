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

const DEADLINE_COMMAND_PREFIX = 'deadline:';
/**
 * The id of the command the timer worker sends for a deadline: derived from (stream, name, key,
 * due time), so a deadline sent twice (two workers, a crash after the append) is applied once.
 */
export const deadlineCommandId = (t: Pick<TimerDoc, 'streamId' | 'name' | 'key' | 'at'>): string => `${DEADLINE_COMMAND_PREFIX}${t.streamId}:${t.name}:${t.key}:${t.at}`;

/**
 * Whether `commandId` is the timer worker's command for `timer`: its stream, name and key, and its
 * due time (the same instant however written; the worker writes `timer.at`).
 */
export function firesDeadline(timer: Pick<TimerDoc, 'streamId' | 'name' | 'key' | 'at'>, commandId: unknown): boolean {
  const head = `${DEADLINE_COMMAND_PREFIX}${timer.streamId}:${timer.name}:${timer.key}:`;
  if (typeof commandId !== 'string' || !commandId.startsWith(head)) return false;
  const at = commandId.slice(head.length);
  return at === timer.at || Date.parse(at) === Date.parse(timer.at);
}

/** The name of the deadline an event's command fired (the timer worker's command id), if it was one. Deadline names hold no ':'. */
function firedDeadlineName(event: StoredEvent): string | undefined {
  const commandId = (event.metadata as { commandId?: unknown }).commandId;
  const prefix = `${DEADLINE_COMMAND_PREFIX}${event.streamId}:`;
  if (typeof commandId !== 'string' || !commandId.startsWith(prefix)) return undefined;
  const end = commandId.indexOf(':', prefix.length);
  return end > prefix.length ? commandId.slice(prefix.length, end) : undefined;
}

function deadlineEffects(event: StoredEvent): Effect[] {
  const effects = (event.metadata as { effects?: unknown }).effects;
  if (!Array.isArray(effects)) return [];
  return (effects as Effect[]).filter((e) => e.type === SCHEDULE_DEADLINE || e.type === CANCEL_DEADLINE);
}

/**
 * The pending deadlines, derived from the `scheduleDeadline` / `cancelDeadline` effects recorded
 * with the events. Being a projection, it survives restarts and rebuilds like any read model.
 * A deadline fires once: an event written by the timer worker's command for the pending deadline
 * (its command id names the deadline, its key and due time) ends it, unless the same event
 * schedules the name again. Without that a deadline whose event did not also cancel it stayed
 * due, and every run of the timer worker sent it again (a duplicate, but for ever).
 */
export const timersProjection: Projection<TimerDoc> = {
  name: TIMERS_PROJECTION,
  /** 2: a deadline ends when the event its command wrote is stored (firedDeadlineName). */
  version: 2,
  keys(event) {
    const names = deadlineEffects(event).map((e) => String(e.params.name));
    const fired = firedDeadlineName(event);
    if (fired !== undefined) names.push(fired);
    return [...new Set(names.map((name) => timerKey(event.streamId, name)))];
  },
  apply(doc, event, key) {
    let next: TimerDoc | null | undefined = undefined;
    // The deadline this event's command fired, if it is the one pending (not one scheduled since).
    if (doc && firesDeadline(doc, (event.metadata as { commandId?: unknown }).commandId)) next = null;
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
