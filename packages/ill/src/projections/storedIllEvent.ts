import type { Effect, EventMetadata, JsonObject, StoredEvent } from '@interlend/engine';

/**
 * Reading stored ILL events cheaply: what every ILL projection needs (is it an ILL event, its
 * metadata, which lender the rota asked). Kept free of the machine, so a projection folds stored
 * facts only and never replays the statechart.
 */

/** The workflow name in the metadata of every ILL request event (see workflow.ts). */
export const ILL_REQUEST_WORKFLOW = 'ill-request';

/** The event's metadata when it belongs to an ILL request stream; undefined for any other stream (e.g. the directory). */
export function illMetadata(event: StoredEvent): EventMetadata | undefined {
  const meta = event.metadata as Partial<EventMetadata> | undefined;
  return meta !== undefined && meta.workflow === ILL_REQUEST_WORKFLOW ? (meta as EventMetadata) : undefined;
}

/** `keys` of a one-document-per-request projection: the request id, or nothing for other streams. */
export function requestKey(event: StoredEvent): readonly string[] {
  return illMetadata(event) === undefined ? [] : [event.streamId];
}

/** The lender the rota asked with this event: the `notifyLender` effect recorded on entering `withLender`. */
export interface LenderAsked {
  readonly library: string;
  readonly position: number;
  /** When its answer is due. */
  readonly respondBy: string | null;
}

export function lenderAsked(meta: EventMetadata): LenderAsked | undefined {
  const effects = meta.effects as Effect[] | undefined;
  if (!effects) return undefined;
  for (let i = 0; i < effects.length; i++) {
    const effect = effects[i]!;
    if (effect.type === 'notifyLender') {
      const p = effect.params;
      return { library: String(p.library), position: Number(p.position), respondBy: typeof p.respondBy === 'string' && p.respondBy ? p.respondBy : null };
    }
  }
  return undefined;
}

/** The `at` of a `scheduleDeadline` effect of this name recorded with the event, if any. */
export function scheduledDeadline(meta: EventMetadata, name: string): string | undefined {
  const effects = meta.effects as Effect[] | undefined;
  if (!effects) return undefined;
  let at: string | undefined;
  for (let i = 0; i < effects.length; i++) {
    const effect = effects[i]!;
    if (effect.type === 'scheduleDeadline' && effect.params.name === name && typeof effect.params.at === 'string' && effect.params.at) at = effect.params.at;
  }
  return at;
}

/** `lender` and `position` of an event about a lender (LenderRef), if the data carry them. */
export function lenderRef(data: JsonObject): { lender: string; position: number } | undefined {
  const { lender, position } = data;
  return typeof lender === 'string' && lender && typeof position === 'number' ? { lender, position } : undefined;
}

/** Milliseconds of an ISO time (NaN when absent or unparsable). */
export function ms(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) : Number.NaN;
}

/** Where a request is with its lenders: the library the rota asked last, while it is with it. */
export interface CurrentLender {
  currentLender: string | null;
  /** Its rota position. */
  position: number | null;
}

/**
 * Moves `doc` to the lender the event leaves the request with: the lender named by a
 * `notifyLender` effect (the rota asked the next candidate), none once the rota ended unfilled;
 * otherwise unchanged (a lender event that carries its own lender is taken when none is known).
 * Returns true when the lender changed.
 */
export function trackCurrentLender(doc: CurrentLender, event: StoredEvent, meta: EventMetadata): boolean {
  const asked = lenderAsked(meta);
  let lender = doc.currentLender;
  let position = doc.position;
  if (asked) {
    lender = asked.library;
    position = asked.position;
  } else if (meta.stateAfter === 'unfilled') {
    lender = null;
    position = null;
  } else if (lender === null) {
    const ref = lenderRef(event.data);
    if (ref) {
      lender = ref.lender;
      position = ref.position;
    }
  }
  if (lender === doc.currentLender && position === doc.position) return false;
  doc.currentLender = lender;
  doc.position = position;
  return true;
}
