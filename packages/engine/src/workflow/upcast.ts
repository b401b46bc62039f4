import type { JsonObject, StoredEvent } from '../eventStore/types';
import { StoreError } from '../errors';

/**
 * Versioned events. Each event type of a workflow has a schema version (1 when the workflow does
 * not say otherwise), recorded on append as `metadata.v`; an event stored without one is at
 * version 1. An event stored in an older shape is brought to the current one on read, one
 * version at a time, by the workflow's upcasters: wherever events are folded or projected
 * (`fold`, the command handler's load, the projection runner, history). Stored events are never
 * rewritten: their hash chain is checked over the stored bytes, and upcasting works on copies.
 */

/** Turns the data of a `type` event at schema version `from` into its shape at `from + 1`. */
export interface Upcaster {
  readonly type: string;
  readonly from: number;
  /** Pure: the event's data at `from + 1`. Reads only the stored event (its data and metadata). */
  upcast(data: JsonObject, event: StoredEvent): JsonObject;
}

/** A workflow's event versions and the upcasters that lead old shapes to them. */
export interface EventSchemas {
  /** The current schema version of each event type; a type not listed is at version 1. */
  readonly versions: Readonly<Record<string, number>>;
  readonly upcasters: readonly Upcaster[];
}

/** The metadata key that holds an event's schema version. */
export const SCHEMA_VERSION_KEY = 'v';

/** The schema version an event was stored in (1 when its metadata has none). */
export function storedVersion(event: { readonly metadata: JsonObject }): number {
  const v = event.metadata[SCHEMA_VERSION_KEY];
  return typeof v === 'number' ? v : 1;
}

/** The current schema version of `type` under `schemas` (1 without schemas). */
export function currentVersion(schemas: EventSchemas | undefined, type: string): number {
  return schemas?.versions[type] ?? 1;
}

const registries = new WeakMap<EventSchemas, Map<string, Upcaster>>();
function registry(schemas: EventSchemas): Map<string, Upcaster> {
  let map = registries.get(schemas);
  if (!map) {
    map = new Map();
    for (const u of schemas.upcasters) {
      const key = `${u.type}@${u.from}`;
      if (map.has(key)) throw new StoreError(`two upcasters for ${u.type} from version ${u.from}`, { type: u.type, from: u.from });
      map.set(key, u);
    }
    registries.set(schemas, map);
  }
  return map;
}

const describe = (event: StoredEvent): string => `event ${event.type} at revision ${event.revision} of stream ${event.streamId} (position ${event.position})`;

/**
 * The event in its type's current shape: the stored event itself when it already is, otherwise a
 * copy whose data went through each upcaster from its stored version to the current one and whose
 * `metadata.v` says the current version. Throws StoreError naming the event when it was stored at
 * a version newer than this code knows (written by a newer release), or when an upcaster is missing.
 */
export function upcastEvent(schemas: EventSchemas | undefined, event: StoredEvent): StoredEvent {
  const stored = storedVersion(event);
  const current = currentVersion(schemas, event.type);
  if (stored === current) return event;
  if (stored > current || !Number.isInteger(stored) || stored < 1) {
    throw new StoreError(
      `${describe(event)} is at schema version ${stored}, but this release knows ${event.type} up to version ${current}: it was written by a newer release; upgrade before reading this log`,
      { streamId: event.streamId, revision: event.revision, type: event.type, version: stored, known: current },
    );
  }
  const upcasters = registry(schemas!);
  let data = event.data;
  for (let v = stored; v < current; v++) {
    const upcaster = upcasters.get(`${event.type}@${v}`);
    if (!upcaster) {
      throw new StoreError(`${describe(event)} is at schema version ${v} and no upcaster leads ${event.type} from version ${v} to ${v + 1}`, {
        streamId: event.streamId,
        revision: event.revision,
        type: event.type,
        version: v,
      });
    }
    data = upcaster.upcast(data, event);
  }
  return { ...event, data, metadata: { ...event.metadata, [SCHEMA_VERSION_KEY]: current } };
}

/**
 * A stream's events as read: each in its current shape, and with `metadata.stateBefore` where the
 * store does not hold it (it is the `stateAfter` of the event before; `initialState` for revision
 * 0, `previousStateAfter` for the first event when reading from the middle of a stream). Events
 * stored with a `stateBefore` keep theirs.
 */
export function readStream(
  schemas: EventSchemas | undefined,
  events: readonly StoredEvent[],
  options: { readonly initialState: string; readonly previousStateAfter?: string },
): StoredEvent[] {
  let before = options.previousStateAfter ?? options.initialState;
  return events.map((stored) => {
    const event = upcastEvent(schemas, stored);
    const meta = event.metadata;
    const after = typeof meta.stateAfter === 'string' ? meta.stateAfter : before;
    const withBefore = typeof meta.stateBefore === 'string' ? event : { ...event, metadata: { ...meta, stateBefore: event.revision === 0 ? options.initialState : before } };
    before = after;
    return withBefore;
  });
}
