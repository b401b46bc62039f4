import { createHash } from 'node:crypto';
import type { IdGenerator } from '@interlend/engine';
import { hasControlCharacters } from '@interlend/ill';
import { UsageError } from './io';

/** The longest `--command-id` the CLI takes. */
export const MAX_COMMAND_ID = 128;

/** What `--command-id` adds to a command's usage line. */
export const COMMAND_ID_USAGE = '[--command-id ID]';

/**
 * The command id to send: `--command-id` when given (checked: 1 to 128 characters, no control or
 * bidi characters), else a new one. Sending the same command again with the same id returns the
 * first result and writes nothing.
 */
export function commandIdFrom(flag: string | undefined, ids: IdGenerator): string {
  if (flag === undefined) return ids.next();
  if (flag.trim() === '' || flag.length > MAX_COMMAND_ID) throw new UsageError(`--command-id must have 1 to ${MAX_COMMAND_ID} characters, not ${flag.length}`);
  if (hasControlCharacters(flag)) throw new UsageError('--command-id must not contain control or bidi characters');
  return flag;
}

/** Random, fixed: the namespace of request ids derived from command ids (RFC 9562 name-based UUIDs). */
const REQUEST_NAMESPACE = Buffer.from('8c1f3a4e5b6d47e8a9f01b2c3d4e5f60', 'hex');

/**
 * The id of the request a submit with `--command-id` creates: a UUID v5 of the borrower and the
 * command id, so that sending the submit again reaches the same request (and the engine answers
 * with the first result) instead of creating a second one. Two libraries that happen to choose the
 * same command id get two requests.
 */
export function requestIdFor(borrower: string, commandId: string): string {
  const hash = createHash('sha1').update(REQUEST_NAMESPACE).update(JSON.stringify(['submit', borrower, commandId]), 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The line human output ends with: the command id, and whether this was a resend. */
export function commandIdLine(commandId: string, duplicate: boolean): string {
  return `command id: ${commandId}${duplicate ? ' (already applied: this is the first result)' : ''}`;
}
