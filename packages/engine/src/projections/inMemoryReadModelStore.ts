import { ConcurrencyError, ValidationError } from '../errors';
import type { CountQuery, Doc, DocQuery, DocWrite, ReadModelStore, StoredDoc } from './types';

interface Entry {
  /** The document as JSON text: every read parses a fresh copy, as a persistent store would. */
  readonly json: string;
  readonly index: readonly string[];
}

interface ProjectionData {
  checkpoint: number | undefined;
  readonly docs: Map<string, Entry>;
  /** Every key, in code point order. */
  keys: string[];
  /** Every (index value, key) pair, ordered by value then key: walked by exact and range queries. */
  index: IndexEntry[];
}

/** Above this many writes, a commit rebuilds the sorted arrays in one merge (O(n + k log k)) instead of k inserts (O(k n)). */
const BULK_WRITES = 64;

/** Two sorted arrays merged into one. */
function merge<T>(a: readonly T[], b: readonly T[], compare: (x: T, y: T) => number): T[] {
  const out: T[] = new Array<T>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) out[k++] = compare(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!;
  while (i < a.length) out[k++] = a[i++]!;
  while (j < b.length) out[k++] = b[j++]!;
  return out;
}

interface IndexEntry {
  readonly value: string;
  readonly key: string;
}

const compareEntries = (a: IndexEntry, b: IndexEntry): number => compareCodePoints(a.value, b.value) || compareCodePoints(a.key, b.key);

/** The first position in `sorted` whose item is not before `item` (or, with `strict`, is after it). */
function bound<T>(sorted: readonly T[], item: T, compare: (a: T, b: T) => number, strict = false): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compare(sorted[mid]!, item);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index entry whose value is not before `value` (or, with `strict`, is after it). */
function boundValue(sorted: readonly IndexEntry[], value: string, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareCodePoints(sorted[mid]!.value, value);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted<T>(sorted: T[], item: T, compare: (a: T, b: T) => number): void {
  const at = bound(sorted, item, compare);
  if (at < sorted.length && compare(sorted[at]!, item) === 0) return;
  sorted.splice(at, 0, item);
}

function removeSorted<T>(sorted: T[], item: T, compare: (a: T, b: T) => number): void {
  const at = bound(sorted, item, compare);
  if (at < sorted.length && compare(sorted[at]!, item) === 0) sorted.splice(at, 1);
}

/**
 * The read-model store held in memory: a real implementation of the port that passes the same
 * contract suite as the SQLite store. Keys and index values are compared in Unicode code point
 * order, which is the byte order SQLite (BINARY collation) and PostgreSQL (COLLATE "C") use.
 */
export class InMemoryReadModelStore implements ReadModelStore {
  private readonly data = new Map<string, ProjectionData>();
  /**
   * Keys and index entries the queries have visited since the store was made: a query walks its
   * sorted index from the start (or `after`) and stops at `limit`, so this grows by about the
   * limit per query, not by the number of matches (the contract suite checks it).
   */
  examined = 0;

  async checkpoint(projection: string): Promise<number> {
    return this.data.get(projection)?.checkpoint ?? 0;
  }

  async getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>> {
    const docs = this.data.get(projection)?.docs;
    const found = new Map<string, Doc>();
    if (!docs) return found;
    for (const key of keys) {
      const entry = docs.get(key);
      if (entry) found.set(key, JSON.parse(entry.json) as Doc);
    }
    return found;
  }

  async commit(projection: string, writes: readonly DocWrite[], checkpoint: { readonly expected: number; readonly next: number }): Promise<void> {
    validateCommit(projection, writes, checkpoint);
    const current = this.data.get(projection);
    const stored = current?.checkpoint ?? 0;
    if (stored !== checkpoint.expected) {
      throw new ConcurrencyError(`projection '${projection}' is at checkpoint ${stored}, not ${checkpoint.expected}; nothing was written`, {
        projection,
        expected: checkpoint.expected,
        actual: stored,
      });
    }
    // Serialize everything first: a write that is not JSON leaves the store unchanged.
    const entries = writes.map((write) => ({
      key: write.key,
      entry: write.doc === null ? undefined : { json: docToJson(write.doc, write.key), index: [...new Set(write.index ?? [])] },
    }));
    const target: ProjectionData = current ?? { checkpoint: undefined, docs: new Map<string, Entry>(), keys: [], index: [] };
    if (!current) this.data.set(projection, target);
    if (entries.length > BULK_WRITES) {
      commitBulk(target, entries);
      target.checkpoint = checkpoint.next;
      return;
    }
    for (const { key, entry } of entries) {
      const old = target.docs.get(key);
      if (old) for (const value of old.index) removeSorted(target.index, { value, key }, compareEntries);
      if (entry) {
        if (!old) insertSorted(target.keys, key, compareCodePoints);
        target.docs.set(key, entry);
        for (const value of entry.index) insertSorted(target.index, { value, key }, compareEntries);
      } else if (old) {
        target.docs.delete(key);
        removeSorted(target.keys, key, compareCodePoints);
      }
    }
    target.checkpoint = checkpoint.next;
  }

  async query(projection: string, query: DocQuery = {}): Promise<StoredDoc[]> {
    validateQuery(query);
    const data = this.data.get(projection);
    if (!data) return [];
    const { index, indexRange, after } = query;
    const limit = query.limit === undefined ? Infinity : Math.max(0, query.limit);
    const selected: string[] = [];
    if (limit === 0) return [];
    if (indexRange) {
      // Walk (value, key) from the range's start (or just after the cursor); a document is listed
      // at its lowest value in the range, so a row at any other of its values is passed over.
      const resume = after !== undefined && compareCodePoints(after.value!, indexRange.from) >= 0;
      const start: IndexEntry = resume ? { value: after.value!, key: after.key } : { value: indexRange.from, key: '' };
      for (let i = bound(data.index, start, compareEntries, resume); i < data.index.length && selected.length < limit; i++) {
        const { value, key } = data.index[i]!;
        this.examined++;
        if (compareCodePoints(value, indexRange.to) >= 0) break;
        const values = data.docs.get(key)!.index;
        if (lowestInRange(values, indexRange) !== value) continue;
        if (index !== undefined && !values.includes(index)) continue;
        selected.push(key);
      }
    } else if (index !== undefined) {
      for (let i = bound(data.index, { value: index, key: after?.key ?? '' }, compareEntries, after !== undefined); i < data.index.length && selected.length < limit; i++) {
        const { value, key } = data.index[i]!;
        this.examined++;
        if (value !== index) break;
        selected.push(key);
      }
    } else {
      for (let i = after ? bound(data.keys, after.key, compareCodePoints, true) : 0; i < data.keys.length && selected.length < limit; i++) {
        this.examined++;
        selected.push(data.keys[i]!);
      }
    }
    return selected.map((key) => ({ key, doc: JSON.parse((data.docs.get(key) as Entry).json) as Doc }));
  }

  /**
   * An exact value: two binary searches (O(log n)). A range: its (value, key) entries walked, each
   * document counted at its lowest value in the range only, from the index values kept beside the
   * document (its JSON is not parsed).
   */
  async count(projection: string, query: CountQuery = {}): Promise<number> {
    validateQuery(query);
    const data = this.data.get(projection);
    if (!data) return 0;
    const { index, indexRange } = query;
    if (!indexRange) {
      if (index === undefined) return data.keys.length;
      return boundValue(data.index, index, true) - boundValue(data.index, index, false);
    }
    let count = 0;
    for (let i = boundValue(data.index, indexRange.from, false); i < data.index.length; i++) {
      const { value, key } = data.index[i]!;
      if (compareCodePoints(value, indexRange.to) >= 0) break;
      const values = data.docs.get(key)!.index;
      if (lowestInRange(values, indexRange) !== value) continue;
      if (index !== undefined && !values.includes(index)) continue;
      count++;
    }
    return count;
  }

  async reset(projection: string): Promise<void> {
    this.data.delete(projection);
  }

  async projections(): Promise<string[]> {
    return [...this.data.entries()]
      .filter(([, p]) => p.checkpoint !== undefined || p.docs.size > 0)
      .map(([name]) => name)
      .sort(compareCodePoints);
  }
}

/** A large commit: the documents first, then the key and index arrays rebuilt in one merge each. */
function commitBulk(target: ProjectionData, entries: readonly { key: string; entry: Entry | undefined }[]): void {
  const written = new Set<string>();
  const addedKeys: string[] = [];
  const removedKeys = new Set<string>();
  for (const { key, entry } of entries) {
    written.add(key);
    if (entry) {
      if (!target.docs.has(key)) addedKeys.push(key);
      removedKeys.delete(key);
      target.docs.set(key, entry);
    } else if (target.docs.has(key)) {
      target.docs.delete(key);
      removedKeys.add(key);
    }
  }
  const keySet = new Set(addedKeys);
  const keptKeys = target.keys.filter((k) => !removedKeys.has(k) && !keySet.has(k));
  target.keys = merge(keptKeys, [...new Set(addedKeys.filter((k) => target.docs.has(k)))].sort(compareCodePoints), compareCodePoints);
  const addedIndex: IndexEntry[] = [];
  for (const key of written) {
    const entry = target.docs.get(key);
    if (entry) for (const value of entry.index) addedIndex.push({ value, key });
  }
  target.index = merge(
    target.index.filter((e) => !written.has(e.key)),
    addedIndex.sort(compareEntries),
    compareEntries,
  );
}

/** The lowest of `values` inside [from, to), if any. */
export function lowestInRange(values: readonly string[], range: { readonly from: string; readonly to: string }): string | undefined {
  let lowest: string | undefined;
  for (const v of values) {
    if (compareCodePoints(v, range.from) >= 0 && compareCodePoints(v, range.to) < 0 && (lowest === undefined || compareCodePoints(v, lowest) < 0)) lowest = v;
  }
  return lowest;
}

/** Checks shared by every adapter before a query: a range query's cursor names its ordering value. */
export function validateQuery(query: DocQuery): void {
  const { after, indexRange, limit } = query;
  if (limit !== undefined && (typeof limit !== 'number' || Number.isNaN(limit))) {
    throw new ValidationError(`query.limit must be a number; got ${String(limit)}`, { issues: [{ path: 'query.limit', message: 'must be a number' }] });
  }
  if (after === undefined) return;
  if (typeof after !== 'object' || after === null || typeof after.key !== 'string') {
    throw new ValidationError('query.after.key must be a string (the last key of the previous page)', { issues: [{ path: 'query.after.key', message: 'must be a string' }] });
  }
  if (indexRange && typeof after.value !== 'string') {
    throw new ValidationError('query.after.value must be a string in a range query (the ordering index value of the last document of the previous page)', {
      issues: [{ path: 'query.after.value', message: 'required with indexRange' }],
    });
  }
}

/** Checks shared by every adapter before a commit. Writes to the same key apply in order (the last wins). */
export function validateCommit(projection: string, writes: readonly DocWrite[], checkpoint: { readonly expected: number; readonly next: number }): void {
  if (typeof projection !== 'string' || projection.length === 0) {
    throw new ValidationError('projection must be a non-empty string', { issues: [{ path: 'projection', message: 'must be a non-empty string' }] });
  }
  for (const name of ['expected', 'next'] as const) {
    const value = checkpoint[name];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ValidationError(`checkpoint.${name} must be a non-negative integer; got ${String(value)}`, { issues: [{ path: `checkpoint.${name}`, message: 'must be a non-negative integer' }] });
    }
  }
  if (checkpoint.next < checkpoint.expected) {
    throw new ValidationError(`projection '${projection}' cannot move its checkpoint back from ${checkpoint.expected} to ${checkpoint.next}`, {
      issues: [{ path: 'checkpoint.next', message: 'must not be less than checkpoint.expected' }],
    });
  }
  writes.forEach((write, i) => {
    if (typeof write.key !== 'string') throw new ValidationError(`write ${i} has no key`, { issues: [{ path: `writes.${i}.key`, message: 'must be a string' }] });
  });
}

/** Orders strings by Unicode code point (UTF-8 byte order), unlike `<`, which compares UTF-16 units. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** Surrogates (astral code points) sort after U+E000..U+FFFF. */
const codePointRank = (unit: number): number => (unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit);

/** A document as JSON text; ValidationError naming the key when it is not JSON (a BigInt, a cycle). Shared by the adapters. */
export function docToJson(doc: Doc, key: string): string {
  try {
    const json = JSON.stringify(doc);
    if (json === undefined) throw new TypeError('not a JSON value');
    return json;
  } catch (error) {
    throw new ValidationError(`document '${key}' is not JSON: ${(error as Error).message}`, { issues: [{ path: key, message: 'not serializable as JSON' }] }, { cause: error });
  }
}
