import { createHash } from 'node:crypto';

/** Random, fixed: the namespace of request ids derived from command ids (RFC 9562 name-based UUIDs). */
const REQUEST_NAMESPACE = Buffer.from('8c1f3a4e5b6d47e8a9f01b2c3d4e5f60', 'hex');

/**
 * The id of the request a submit with a caller's command id creates: a UUID v5 of the borrower
 * and the command id, so that sending the submit again reaches the same request (and the engine
 * answers with the first result) instead of creating a second one. Two libraries that happen to
 * choose the same command id get two requests. Used by the CLI (`submit --command-id`) and the
 * API (`Idempotency-Key`).
 */
export function requestIdFor(borrower: string, commandId: string): string {
  const hash = createHash('sha1').update(REQUEST_NAMESPACE).update(JSON.stringify(['submit', borrower, commandId]), 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
