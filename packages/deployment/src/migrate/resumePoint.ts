import { IllegalStateError, type EventStore, type StoredEvent } from '@interlend/engine';

/** Where a copy starts: after the source's event that the target's last event is a copy of. */
export interface ResumePoint {
  /** Events already in the target (0: it is empty). */
  readonly events: number;
  /** The source position of the last event already copied (0: start from the beginning). */
  readonly sourcePosition: number;
  /** The target's last event (undefined when it is empty). */
  readonly lastEvent: StoredEvent | undefined;
  /** How the target was checked: nothing to check, its last event only, or every event. */
  readonly checked: 'empty' | 'last' | 'full';
}

export interface FindResumePointOptions {
  /**
   * 'full' (default): every event of the target is compared with the source's event at the same
   * place (id, stream, revision, type, and hash when both have one): the target must be a prefix.
   * 'last': only the target's last event is compared with the source's event of the same stream and
   * revision (two reads; for a very large target whose earlier events were checked by a first run).
   */
  readonly check?: 'full' | 'last';
  /** Events read per batch while comparing. Default 1,000. */
  readonly batchSize?: number;
}

/**
 * Finds where a copy of `source` into `target` resumes, through the EventStore port only. An empty
 * target starts at the beginning. Otherwise the target's last event must be the source's event of
 * the same stream and revision (same id and type), and, with `check: 'full'`, the target's events
 * must be, in order, the source's first events. Anything else is refused (IllegalStateError
 * naming the first event that differs): the target is not empty and is not an earlier copy.
 */
export async function findResumePoint(source: EventStore, target: EventStore, options: FindResumePointOptions = {}): Promise<ResumePoint> {
  const head = await target.headPosition();
  if (head === 0) return { events: 0, sourcePosition: 0, lastEvent: undefined, checked: 'empty' };
  // Positions are integers, strictly increasing: the one event after head - 1 is the last one, whatever the store.
  const [last] = await target.readAll({ after: head - 1, maxCount: 1 });
  if (!last) throw new IllegalStateError(`the target reports head position ${head} but returns no event there`, { head });
  const [there] = await source.readStream(last.streamId, { fromRevision: last.revision, maxCount: 1 });
  if (!there || there.revision !== last.revision || there.id !== last.id || there.type !== last.type) {
    const found = there && there.revision === last.revision ? `the source's event there is ${name(there)}` : 'the source has no such event';
    throw notAPrefix(`its last event, ${name(last)}, is not in the source (${found})`, { target: summary(last), source: there ? summary(there) : null });
  }
  if (options.check === 'last') return { events: -1, sourcePosition: there.position, lastEvent: last, checked: 'last' };
  const events = await comparePrefix(source, target, there.position, Math.max(1, options.batchSize ?? 1_000));
  return { events, sourcePosition: there.position, lastEvent: last, checked: 'full' };
}

/** Walks both logs side by side up to `sourceEnd` in the source; returns how many events the target holds. */
async function comparePrefix(source: EventStore, target: EventStore, sourceEnd: number, batchSize: number): Promise<number> {
  let sourceAfter = 0;
  let targetAfter = 0;
  let pending: StoredEvent[] = [];
  let count = 0;
  for (;;) {
    const batch = await target.readAll({ after: targetAfter, maxCount: batchSize });
    if (batch.length === 0) return count;
    for (const copied of batch) {
      if (pending.length === 0 && sourceAfter < sourceEnd) {
        pending = (await source.readAll({ after: sourceAfter, maxCount: batchSize })).filter((e) => e.position <= sourceEnd);
      }
      const original = pending.shift();
      count++;
      if (!original) throw notAPrefix(`it holds more events than the source up to the copy of its last event: event ${count}, ${name(copied)}, has no counterpart`, { at: count, target: summary(copied) });
      sourceAfter = original.position;
      const same = original.id === copied.id && original.streamId === copied.streamId && original.revision === copied.revision && original.type === copied.type;
      const hashes = original.hash === undefined || copied.hash === undefined || original.hash === copied.hash;
      if (!same || !hashes) {
        const why = same ? 'its hash differs (its content, or an event before it in its stream, differs)' : `the source's event ${count} is ${name(original)}`;
        throw notAPrefix(`event ${count} in the target, ${name(copied)}, is not the source's event at that place: ${why}`, { at: count, target: summary(copied), source: summary(original) });
      }
    }
    targetAfter = batch[batch.length - 1]!.position;
  }
}

const name = (e: StoredEvent): string => `stream '${e.streamId}' revision ${e.revision} (id ${e.id}, ${e.type})`;
const summary = (e: StoredEvent) => ({ streamId: e.streamId, revision: e.revision, id: e.id, type: e.type, position: e.position });

function notAPrefix(why: string, details: Record<string, unknown>): IllegalStateError {
  return new IllegalStateError(
    `the target is not empty and is not an earlier copy of the source: ${why}. Nothing was written. Copy into an empty store (a new SQLite file, an empty PostgreSQL database or KurrentDB stream prefix), or run again with the source of the earlier copy`,
    { reason: 'not_a_prefix', ...details },
  );
}
