import { intFlag } from './args';
import { UsageError } from './io';

/** `--limit N --after CURSOR`: which page of a listing to print. */
export interface PageRequest {
  /** At most this many documents (none: all of them). */
  readonly limit?: number;
  /** Only documents after this key (the `next` of the page before). */
  readonly after?: string;
}

/** The paging flags, spread into a command's option table. */
export const PAGE_FLAGS = { limit: { type: 'string' }, after: { type: 'string' } } as const;
export const PAGE_USAGE = '[--limit N] [--after CURSOR]';

/** `--limit` and `--after` checked: a whole number from 1 to 10,000, a non-empty cursor. */
export function pageFlags(values: { limit?: string; after?: string }): PageRequest {
  if (values.after !== undefined && !values.after.trim()) throw new UsageError('--after: the cursor is empty (give the `next` the page before printed)');
  return { limit: values.limit === undefined ? undefined : intFlag(values.limit, 'limit', 1, 1, 10_000), after: values.after };
}
