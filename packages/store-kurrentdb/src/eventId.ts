import { createHash } from 'node:crypto';

/** A UUID in its textual form (any version), the only kind of id KurrentDB stores for an event. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The name-space of the UUIDs made from engine ids that are not UUIDs (RFC 9562 version 5).
 * Fixed for ever: changing it changes every mapped id, and with it the server's idempotency.
 */
export const ENGINE_ID_NAMESPACE = '2f0c5b1e-7d1a-4c7e-9a55-6b1f3c9e8d42';

export const isUuid = (id: string): boolean => UUID.test(id);

/**
 * The KurrentDB event id for an engine event id. The engine makes UUID v7 ids (`uuidV7Ids`,
 * `SeededIds`): those are used as they are (lower-cased, as the server writes them back), so the
 * id in KurrentDB is the engine's id. Any other string (tests, imported logs) becomes the UUID v5
 * of the id in ENGINE_ID_NAMESPACE: the same engine id always gives the same KurrentDB id, so a
 * retried append still meets the server's idempotency. The engine id itself travels in the
 * event's metadata (eventEnvelope.ts) and is what reads return.
 */
export function toKurrentEventId(id: string): string {
  return isUuid(id) ? id.toLowerCase() : uuidV5(ENGINE_ID_NAMESPACE, id);
}

/** RFC 9562 version 5 (SHA-1, name-based) UUID of `name` (UTF-8) in `namespace`. */
export function uuidV5(namespace: string, name: string): string {
  if (!isUuid(namespace)) throw new TypeError(`not a UUID: ${namespace}`);
  const bytes = createHash('sha1')
    .update(Buffer.from(namespace.replace(/-/g, ''), 'hex'))
    .update(name, 'utf8')
    .digest()
    .subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
