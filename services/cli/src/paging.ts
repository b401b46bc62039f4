import { intFlag } from './args';
import { UsageError } from './io';

/** `--limit N --after CURSOR`: which page of a listing to print. */
export interface PageRequest {
  /** At most this many documents (none: all of them). */
  readonly limit?: number;
  /** Only documents after this key (the `next` of the page before). */
  readonly after?: string;
}

export interface Page<D> {
  readonly docs: readonly D[];
  /** The cursor of the next page (the last document's key), or null when this page is the last. */
  readonly next: string | null;
}

/** The paging flags, spread into a command's option table. */
export const PAGE_FLAGS = { limit: { type: 'string' }, after: { type: 'string' } } as const;
export const PAGE_USAGE = '[--limit N] [--after CURSOR]';

/** `--limit` and `--after` checked: a whole number from 1 to 10,000, a non-empty cursor. */
export function pageFlags(values: { limit?: string; after?: string }): PageRequest {
  if (values.after !== undefined && !values.after.trim()) throw new UsageError('--after: the cursor is empty (give the `next` the page before printed)');
  return { limit: values.limit === undefined ? undefined : intFlag(values.limit, 'limit', 1, 1, 10_000), after: values.after };
}

/**
 * The page of documents already in hand, sorted by key (`queues --at` folds them from the log).
 * A read model is paged by the store instead: requestsPage / indexPage (@interlend/ill) walk its
 * index from the cursor and stop at the limit, the same order and the same cursor as here.
 */
export function pageOf<D>(docs: readonly { key: string; doc: D }[], page: PageRequest): Page<D> {
  const after = page.after;
  const rest = after === undefined ? docs : docs.filter((d) => d.key > after);
  if (page.limit === undefined || rest.length <= page.limit) return { docs: rest.map((d) => d.doc), next: null };
  const cut = rest.slice(0, page.limit);
  return { docs: cut.map((d) => d.doc), next: cut[cut.length - 1]!.key };
}
