import type { JsonObject } from '@interlend/engine';
import { APPEND_SLOTS } from './globalPosition';

/**
 * What interlend keeps in a KurrentDB event's metadata besides the engine's own metadata:
 *
 *     { "interlend": { "format": 1, "id": engine event id, "index": i, "count": n,
 *                      "hash": ..., "previousHash": ... },
 *       "metadata": the engine event's metadata }
 *
 * - `id`: the engine's event id as given (the KurrentDB event id is a UUID made from it: eventId.ts);
 * - `index`/`count`: the event's place in its append, from which its global position is computed
 *   (globalPosition.ts);
 * - `hash`/`previousHash`: its link in the stream's hash chain, computed by the adapter before the
 *   append, exactly as SQLite stores them in its `hash`/`previous_hash` columns.
 *
 * The engine's metadata is nested rather than merged, so no engine key can collide with ours or
 * with KurrentDB's own (`$correlationId`, `$causationId`).
 */
export const ENVELOPE_FORMAT = 1;

export interface EnvelopeHeader {
  readonly format: typeof ENVELOPE_FORMAT;
  readonly id: string;
  readonly index: number;
  readonly count: number;
  readonly hash: string;
  readonly previousHash: string;
}

export interface KurrentMetadata {
  readonly interlend: EnvelopeHeader;
  readonly metadata: JsonObject;
  readonly [key: string]: unknown;
}

export function wrapMetadata(header: Omit<EnvelopeHeader, 'format'>, metadata: JsonObject): KurrentMetadata {
  return { interlend: { format: ENVELOPE_FORMAT, ...header }, metadata };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);

/**
 * The header and the engine's metadata of a stored event. An event that interlend did not write
 * (no header, or one it does not understand) gives no header and its metadata as it is when it
 * is a JSON object ({} otherwise): it then counts as an append of its own and has no hash, which
 * `verifyChain` reports.
 */
export function unwrapMetadata(raw: unknown): { header: EnvelopeHeader | undefined; metadata: JsonObject } {
  if (!isObject(raw)) return { header: undefined, metadata: {} };
  const header = raw.interlend;
  const metadata = raw.metadata;
  if (
    isObject(header) &&
    header.format === ENVELOPE_FORMAT &&
    typeof header.id === 'string' &&
    Number.isInteger(header.count) &&
    (header.count as number) >= 1 &&
    (header.count as number) <= APPEND_SLOTS &&
    Number.isInteger(header.index) &&
    (header.index as number) >= 0 &&
    (header.index as number) < (header.count as number) &&
    typeof header.hash === 'string' &&
    typeof header.previousHash === 'string' &&
    isObject(metadata)
  ) {
    return { header: header as unknown as EnvelopeHeader, metadata: metadata as JsonObject };
  }
  return { header: undefined, metadata: raw as JsonObject };
}
