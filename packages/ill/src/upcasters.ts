import { readStream, type EventSchemas, type JsonObject, type StoredEvent } from '@interlend/engine';
import type { IllEventType, RotaBuiltDataV1 } from './events';
import { rotaBuiltData } from './policies/rota';

/**
 * The schema version of each ILL event type and the upcasters from older shapes (docs/events.md).
 * A type not listed is at version 1. To change an event's shape: bump its version here, keep the
 * old shape's type in events.ts (`...V1`), and add an upcaster from the old version to the new one;
 * the fixture test (v1Log) proves a log written before still folds the same.
 */
export const ILL_EVENT_VERSIONS: Partial<Record<IllEventType, number>> = {
  /** 2: the candidates and the preferred libraries skipped, not the whole directory. */
  RotaBuilt: 2,
};

export const illEventSchemas: EventSchemas = {
  versions: ILL_EVENT_VERSIONS,
  upcasters: [
    {
      type: 'RotaBuilt',
      from: 1,
      upcast: (data) => rotaBuiltData((data as unknown as RotaBuiltDataV1).entries) as unknown as JsonObject,
    },
  ],
};

/** The state of a request before its first event. */
export const INITIAL_ILL_STATE = 'new';

/**
 * A request's events as read (from its first event, in order): each in its current shape, with
 * `metadata.stateBefore` derived where it is not stored (the `stateAfter` of the event before).
 * What a history view shows; `fold` upcasts on its own.
 */
export function readIllStream(events: readonly StoredEvent[]): StoredEvent[] {
  return readStream(illEventSchemas, events, { initialState: INITIAL_ILL_STATE });
}
