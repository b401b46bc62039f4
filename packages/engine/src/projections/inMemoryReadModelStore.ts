import { ConcurrencyError, ValidationError } from '../errors';
import type { Doc, DocQuery, DocWrite, ReadModelStore, StoredDoc } from './types';

interface Entry {
  /** The document as JSON text: every read parses a fresh copy, as a persistent store would. */
  readonly json: string;
  readonly index: readonly string[];
}

interface ProjectionData {
  checkpoint: number | undefined;
  readonly docs: Map<string, Entry>;
}

/**
 * The read-model store held in memory: a real implementation of the port that passes the same
 * contract suite as the SQLite store. Keys and index values are compared in Unicode code point
 * order, which is the byte order SQLite (BINARY collation) and PostgreSQL (COLLATE "C") use.
 */
export class InMemoryReadModelStore implements ReadModelStore {
  private readonly data = new Map<string, ProjectionData>();

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
    const target = current ?? { checkpoint: undefined, docs: new Map<string, Entry>() };
    if (!current) this.data.set(projection, target);
    for (const { key, entry } of entries) {
      if (entry) target.docs.set(key, entry);
      else target.docs.delete(key);
    }
    target.checkpoint = checkpoint.next;
  }

  async query(projection: string, query: DocQuery = {}): Promise<StoredDoc[]> {
    const docs = this.data.get(projection)?.docs;
    if (!docs) return [];
    const { index, indexRange, limit } = query;
    const matches: string[] = [];
    const rangeValue = new Map<string, string>();
    for (const [key, entry] of docs) {
      if (index !== undefined && !entry.index.includes(index)) continue;
      if (indexRange) {
        const inRange = entry.index.filter((v) => compareCodePoints(v, indexRange.from) >= 0 && compareCodePoints(v, indexRange.to) < 0);
        if (inRange.length === 0) continue;
        rangeValue.set(key, inRange.sort(compareCodePoints)[0]!);
      }
      matches.push(key);
    }
    // A range scan is ordered by the lowest index value in the range, then key; otherwise by key.
    matches.sort(indexRange ? (a, b) => compareCodePoints(rangeValue.get(a)!, rangeValue.get(b)!) || compareCodePoints(a, b) : compareCodePoints);
    const selected = limit === undefined ? matches : matches.slice(0, Math.max(0, limit));
    return selected.map((key) => ({ key, doc: JSON.parse((docs.get(key) as Entry).json) as Doc }));
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
