import { streamNameFilter } from '@kurrent/kurrentdb-client';
import type { Filter } from '@kurrent/kurrentdb-client';
import { ValidationError } from '@interlend/engine';

/** What every interlend stream's name starts with in KurrentDB unless configured otherwise. */
export const DEFAULT_STREAM_PREFIX = 'interlend-';

/**
 * Checks a stream prefix: non-empty, not starting with `$` (KurrentDB's system and metadata
 * streams), no control characters. Returns it unchanged.
 *
 * Two stores on one server are kept apart only if neither prefix is a prefix of the other
 * (`interlend-` and `interlend-test-` are not: the first store would read the second's
 * streams); end a prefix with a separator such as `-` and keep the parts before it distinct.
 */
export function checkStreamPrefix(prefix: string): string {
  const problem =
    typeof prefix !== 'string' || prefix.length === 0
      ? 'must be a non-empty string'
      : prefix.startsWith('$')
        ? "must not start with '$' (KurrentDB's system streams)"
        : [...prefix].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
          ? 'must not contain control characters'
          : undefined;
  if (problem) throw new ValidationError(`KurrentDB stream prefix ${JSON.stringify(prefix)} ${problem}`, { issues: [{ path: 'streamPrefix', message: problem }] });
  return prefix;
}

/** The KurrentDB stream that holds the engine's stream `streamId`. */
export const toKurrentStream = (prefix: string, streamId: string): string => `${prefix}${streamId}`;

/** The engine's stream id of a KurrentDB stream, or undefined when the stream is not this store's. */
export const fromKurrentStream = (prefix: string, name: string): string | undefined => (name.startsWith(prefix) ? name.slice(prefix.length) : undefined);

/**
 * The server-side filter for reads of `$all` and subscriptions: streams whose names start with
 * the prefix. System streams (`$...`), their metadata streams (`$$...`) and other applications'
 * streams are never sent to the client.
 */
export const interlendStreamFilter = (prefix: string): Filter => streamNameFilter({ prefixes: [prefix] });
