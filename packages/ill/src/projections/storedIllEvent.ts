import { upcastEvent, type Effect, type EventMetadata, type JsonObject, type StoredEvent } from '@interlend/engine';
import { illEventSchemas } from '../upcasters';

/**
 * Reading stored ILL events cheaply: what every ILL projection needs (is it an ILL event, its
 * metadata, which lender the rota asked). Kept free of the machine, so a projection folds stored
 * facts only and never replays the statechart.
 */

/** The workflow name in the metadata of every ILL request event (see workflow.ts). */
export const ILL_REQUEST_WORKFLOW = 'ill-request';

/** The event's metadata when it belongs to an ILL request stream; undefined for any other stream (e.g. the directory). */
export function illMetadata(event: StoredEvent): EventMetadata | undefined {
  const meta = event.metadata as Partial<EventMetadata> | null | undefined;
  return meta && meta.workflow === ILL_REQUEST_WORKFLOW ? (meta as EventMetadata) : undefined;
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

/** What the effects recorded with one event say, as projections need it. */
export interface EffectFacts {
  /** A `notifyLender` effect: the rota asked this lender. */
  asked: LenderAsked | null;
  /** `at` of a `scheduleDeadline` named 'lenderResponse'. */
  lenderResponseAt: string | null;
  /** `at` of a `scheduleDeadline` named 'due'. */
  dueAt: string | null;
}

const NO_FACTS: EffectFacts = Object.freeze({ asked: null, lenderResponseAt: null, dueAt: null }) as EffectFacts;

/** Reads the effects recorded with an event in one pass (most events record none: no allocation then). */
export function effectFacts(meta: EventMetadata): EffectFacts {
  const effects = meta.effects as Effect[] | undefined;
  if (!effects || effects.length === 0) return NO_FACTS;
  let facts: EffectFacts | undefined;
  for (let i = 0; i < effects.length; i++) {
    const effect = effects[i]!;
    const p = effect.params;
    if (effect.type === 'notifyLender') {
      facts ??= { asked: null, lenderResponseAt: null, dueAt: null };
      facts.asked = { library: String(p.library), position: Number(p.position), respondBy: typeof p.respondBy === 'string' && p.respondBy ? p.respondBy : null };
    } else if (effect.type === 'scheduleDeadline' && typeof p.at === 'string' && p.at) {
      if (p.name === 'lenderResponse') (facts ??= { asked: null, lenderResponseAt: null, dueAt: null }).lenderResponseAt = p.at;
      else if (p.name === 'due') (facts ??= { asked: null, lenderResponseAt: null, dueAt: null }).dueAt = p.at;
    }
  }
  return facts ?? NO_FACTS;
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
export function trackCurrentLender(doc: CurrentLender, event: StoredEvent, meta: EventMetadata, asked: LenderAsked | null): boolean {
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

/** `upcast` of every ILL projection: an ILL event stored in an older shape, in its current one (docs/events.md); other streams' events as they are. */
export function upcastIllEvent(event: StoredEvent): StoredEvent {
  return illMetadata(event) === undefined ? event : upcastEvent(illEventSchemas, event);
}
