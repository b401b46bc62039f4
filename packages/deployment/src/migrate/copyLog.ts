import { IllegalStateError, isConcurrencyError, ValidationError, type EventStore, type ExpectedRevision, type NewEvent, type StoredEvent } from '@interlend/engine';
import { findResumePoint, type FindResumePointOptions, type ResumePoint } from './resumePoint';

/** KurrentDB's most events per append (`MAX_EVENTS_PER_APPEND`); the other stores take more. */
export const MAX_EVENTS_PER_COPY_APPEND = 1_024;
/** About half of KurrentDB's default 1 MiB append limit, counted as the events' JSON. */
export const MAX_BYTES_PER_COPY_APPEND = 512 * 1024;

export interface CopyProgress {
  /** Events in the target now: those found there at the start plus those copied by this run. */
  readonly events: number;
  /** Copied by this run. */
  readonly copied: number;
  /** The source position copied up to, and the source's head when the copy started (for a ratio and an ETA). */
  readonly sourcePosition: number;
  readonly sourceHead: number;
  /** Batches read from the source by this run. */
  readonly batches: number;
  readonly elapsedMs: number;
}

export interface CopyLogOptions {
  /** Events read from the source per batch. Default 1,000. */
  readonly batchSize?: number;
  /** Most events per append to the target (default and upper bound 1,024, KurrentDB's limit). */
  readonly maxEventsPerAppend?: number;
  /** Most bytes of JSON (data and metadata) per append, except that one event always goes. Default 512 KiB. */
  readonly maxBytesPerAppend?: number;
  /** When aborted, the copy stops after the batch in hand: `status: 'stopped'`, and running it again resumes. */
  readonly signal?: AbortSignal;
  /** After each batch. */
  readonly onProgress?: (progress: CopyProgress) => void;
  /** How an earlier copy in the target is checked before resuming (see findResumePoint). Default 'full'. */
  readonly resumeCheck?: FindResumePointOptions['check'];
}

export interface CopyLogResult {
  /** complete: the source was read to its end; stopped: the signal stopped it (run again to resume). */
  readonly status: 'complete' | 'stopped';
  /** What was found in the target at the start. */
  readonly resumedFrom: ResumePoint;
  /** Events copied by this run, and the appends and batches they took. */
  readonly copied: number;
  readonly appends: number;
  readonly batches: number;
  /** Events in the target now (-1 when unknown: resumed with check 'last'). */
  readonly events: number;
  /** The source position copied up to, and the source's head when the copy started. */
  readonly sourcePosition: number;
  readonly sourceHead: number;
  /** The target's head position now. */
  readonly targetHead: number;
  /** The last event in the target (undefined: the source is empty). */
  readonly lastEventId: string | undefined;
  readonly elapsedMs: number;
  /** Copied by this run per second of its run. */
  readonly eventsPerSecond: number;
}

/**
 * Copies the whole log of `source` into `target`, which must be empty or an earlier copy of it
 * (then the copy resumes after its last event: see findResumePoint). Goes through the EventStore
 * port only, so any two stores work: events are read in the source's global order and appended in
 * that order, each stream's with the expected revision of the source (revision - 1, or 'no_stream'
 * for revision 0), so ids, types, data, metadata and revisions are kept exactly and nothing is
 * written twice; consecutive events of one stream go in one append (at most `maxEventsPerAppend`
 * and about `maxBytesPerAppend`). The target computes each event's hash on append from the event
 * before it in its stream: the same content gives the same chain as the source's.
 *
 * The source is only read. Writers must be stopped first: an event appended to the source while it
 * is copied is copied if the read gets to it; one appended to the target makes the copy fail.
 */
export async function copyLog(source: EventStore, target: EventStore, options: CopyLogOptions = {}): Promise<CopyLogResult> {
  const started = performance.now();
  const batchSize = positive(options.batchSize ?? 1_000, 'batchSize');
  const maxEvents = Math.min(MAX_EVENTS_PER_COPY_APPEND, positive(options.maxEventsPerAppend ?? MAX_EVENTS_PER_COPY_APPEND, 'maxEventsPerAppend'));
  const maxBytes = positive(options.maxBytesPerAppend ?? MAX_BYTES_PER_COPY_APPEND, 'maxBytesPerAppend');
  const resumedFrom = await findResumePoint(source, target, { check: options.resumeCheck, batchSize });
  const sourceHead = await source.headPosition();
  let sourcePosition = resumedFrom.sourcePosition;
  let copied = 0;
  let appends = 0;
  let batches = 0;
  let lastEventId = resumedFrom.lastEvent?.id;
  let status: CopyLogResult['status'] = 'complete';
  const known = resumedFrom.events >= 0;

  for (;;) {
    if (options.signal?.aborted) {
      status = 'stopped';
      break;
    }
    const batch = await source.readAll({ after: sourcePosition, maxCount: batchSize });
    if (batch.length === 0) break;
    for (const run of runs(batch, maxEvents, maxBytes)) {
      await appendRun(target, run);
      appends++;
    }
    batches++;
    copied += batch.length;
    sourcePosition = batch[batch.length - 1]!.position;
    lastEventId = batch[batch.length - 1]!.id;
    options.onProgress?.({ events: known ? resumedFrom.events + copied : -1, copied, sourcePosition, sourceHead: Math.max(sourceHead, sourcePosition), batches, elapsedMs: performance.now() - started });
  }

  const elapsedMs = Math.round(performance.now() - started);
  return {
    status,
    resumedFrom,
    copied,
    appends,
    batches,
    events: known ? resumedFrom.events + copied : -1,
    sourcePosition,
    sourceHead: Math.max(sourceHead, sourcePosition),
    targetHead: await target.headPosition(),
    lastEventId,
    elapsedMs,
    eventsPerSecond: elapsedMs > 0 ? Math.round((copied / elapsedMs) * 1000) : copied,
  };
}

/** Splits a batch into runs of consecutive events of one stream, with consecutive revisions, bounded. */
function* runs(batch: readonly StoredEvent[], maxEvents: number, maxBytes: number): Generator<StoredEvent[]> {
  let run: StoredEvent[] = [];
  let bytes = 0;
  for (const event of batch) {
    const size = JSON.stringify(event.data).length + JSON.stringify(event.metadata).length;
    const previous = run[run.length - 1];
    const joins = previous !== undefined && previous.streamId === event.streamId && previous.revision + 1 === event.revision && run.length < maxEvents && bytes + size <= maxBytes;
    if (!joins && run.length > 0) {
      yield run;
      run = [];
      bytes = 0;
    }
    run.push(event);
    bytes += size;
  }
  if (run.length > 0) yield run;
}

async function appendRun(target: EventStore, run: readonly StoredEvent[]): Promise<void> {
  const first = run[0]!;
  const expectedRevision: ExpectedRevision = first.revision === 0 ? 'no_stream' : first.revision - 1;
  const events: NewEvent[] = run.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata }));
  try {
    await target.appendToStream(first.streamId, events, { expectedRevision });
  } catch (error) {
    if (!isConcurrencyError(error)) throw error;
    const where = `stream '${first.streamId}' at revision ${first.revision} (id ${first.id})`;
    const why =
      error.details.reason === 'duplicate_event_id'
        ? `an event id is already in the target (${error.message})`
        : `the target's stream is not where the source's was before this event (${error.message}): something else wrote to the target during the copy, or the source's stream does not start at revision 0`;
    const refused = new IllegalStateError(`cannot copy ${where}: ${why}. Stop every writer of the target and run the copy again (it resumes)`, {
      reason: 'target_changed',
      streamId: first.streamId,
      revision: first.revision,
      eventId: first.id,
    });
    refused.cause = error;
    throw refused;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ValidationError(`${name} must be a whole number >= 1, not ${value}`, { issues: [{ path: name, message: 'must be a whole number >= 1' }] });
  return value;
}
