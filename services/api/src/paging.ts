import { ApiProblem } from './problems';

/**
 * Cursor paging over a list sorted by a key of strings: a cursor is the sort key of the last item
 * of the previous page, base64url-encoded (opaque to clients). Items are compared by key, so a
 * page is stable while items are added or change elsewhere in the list.
 */
export type SortKey = readonly string[];

export const encodeCursor = (key: SortKey): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

export function decodeCursor(cursor: string | undefined): SortKey | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(key) && key.length > 0 && key.every((k) => typeof k === 'string')) return key as string[];
  } catch {
    // answered below
  }
  const message = 'not a cursor this API gave out: pass the `next` of the previous page as it was';
  throw new ApiProblem('VALIDATION', `querystring.cursor: ${message}`, { errors: [{ path: 'querystring.cursor', message }] });
}

const compareKeys = (a: SortKey, b: SortKey): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

/** One page of `items`, newest first (descending by `keyOf`), after `cursor`. */
export function pageDescending<T>(items: readonly T[], keyOf: (item: T) => SortKey, limit: number, cursor: string | undefined): { items: T[]; next: string | null } {
  const after = decodeCursor(cursor);
  const sorted = items.map((item) => ({ item, key: keyOf(item) })).sort((a, b) => compareKeys(b.key, a.key));
  const rest = after ? sorted.filter((e) => compareKeys(e.key, after) < 0) : sorted;
  const page = rest.slice(0, limit);
  const next = rest.length > limit ? encodeCursor(page[page.length - 1]!.key) : null;
  return { items: page.map((e) => e.item), next };
}
