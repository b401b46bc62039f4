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

/** The id of the request a submit with `--command-id` creates (shared with the API's Idempotency-Key). */
export { requestIdFor } from '@interlend/deployment/local';

/** The line human output ends with: the command id, and whether this was a resend. */
export function commandIdLine(commandId: string, duplicate: boolean): string {
  return `command id: ${commandId}${duplicate ? ' (already applied: this is the first result)' : ''}`;
}
