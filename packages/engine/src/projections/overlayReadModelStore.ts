import { ConcurrencyError } from '../errors';
import { compareCodePoints, docToJson, InMemoryReadModelStore, lowestInRange, validateCommit, validateQuery } from './inMemoryReadModelStore';
import type { CountQuery, Doc, DocQuery, DocWrite, ReadModelStore, StoredDoc } from './types';

/** The index values of a document of `projection`, as its projection computes them. */
export type IndexOf = (projection: string, doc: Doc, key: string) => readonly string[];

interface Change {
  /** JSON text of the new document, or null when deleted. */
  readonly json: string | null;
  readonly index: readonly string[];
}

interface Layer {
  checkpoint: number;
  readonly docs: Map<string, Change>;
  /** The projection was reset here: nothing of the base shows through. */
  readonly reset: boolean;
  /** A commit reached the overlay (so the projection has a checkpoint here). */
  committed: boolean;
  /** The overlay's live documents again, in an ordered index: queries walk it and stop at the limit. */
  readonly live: InMemoryReadModelStore;
  /** The base's index values of keys the overlay changed (null: not in the base), learnt by `count`. */
  readonly baseValues: Map<string, readonly string[] | null>;
}

const newLayer = (checkpoint: number, reset: boolean): Layer => ({
  checkpoint,
  docs: new Map<string, Change>(),
  reset,
  committed: false,
  live: new InMemoryReadModelStore(),
  baseValues: new Map<string, readonly string[] | null>(),
});

/** Whether a document with index values `values` is one `query` lists. */
function matches(values: readonly string[], query: CountQuery): boolean {
  return (query.index === undefined || values.includes(query.index)) && (query.indexRange === undefined || lowestInRange(values, query.indexRange) !== undefined);
}

/**
 * A read-model store that reads through to `base` and keeps every write in memory: the base is
 * never written. A reader uses it to bring read models up to the head of the log for one answer
 * without writing (a read-only database, or any read that must not change the store): the
 * projection runner catches up into the overlay, queries merge the overlay's documents over the
 * base's. Passes the read-model contract suite.
 *
 * A range query orders documents by their lowest index value in the range; for base documents the
 * overlay learns that value from `indexOf` (the projections' own `index` functions). A count is
 * the base's count, less the base documents the overlay changed that match (their index values
 * from `indexOf`), plus the overlay's own; without `indexOf` it counts what `query` lists.
 */
export class OverlayReadModelStore implements ReadModelStore {
  private readonly layers = new Map<string, Layer>();
  private commits: Promise<void> = Promise.resolve();

  constructor(
    private readonly base: ReadModelStore,
    private readonly indexOf?: IndexOf,
  ) {}

  /** Whether anything was written to the overlay (the base is then behind what this store shows). */
  get changed(): boolean {
    return this.layers.size > 0;
  }

  async checkpoint(projection: string): Promise<number> {
    const layer = this.layers.get(projection);
    return layer ? layer.checkpoint : this.base.checkpoint(projection);
  }

  async getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>> {
    const layer = this.layers.get(projection);
    if (!layer) return this.base.getMany(projection, keys);
    const found = new Map<string, Doc>();
    const rest: string[] = [];
    for (const key of keys) {
      const change = layer.docs.get(key);
      if (change) {
        if (change.json !== null) found.set(key, JSON.parse(change.json) as Doc);
      } else if (!layer.reset) rest.push(key);
    }
    if (rest.length > 0) for (const [key, doc] of await this.base.getMany(projection, rest)) found.set(key, doc);
    return found;
  }

  async commit(projection: string, writes: readonly DocWrite[], checkpoint: { readonly expected: number; readonly next: number }): Promise<void> {
    validateCommit(projection, writes, checkpoint);
    // One commit at a time: the checkpoint check and the write must not interleave with another's.
    const previous = this.commits;
    let done!: () => void;
    this.commits = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      await this.commitNow(projection, writes, checkpoint);
    } finally {
      done();
    }
  }

  private async commitNow(projection: string, writes: readonly DocWrite[], checkpoint: { readonly expected: number; readonly next: number }): Promise<void> {
    const stored = await this.checkpoint(projection);
    if (stored !== checkpoint.expected) {
      throw new ConcurrencyError(`projection '${projection}' is at checkpoint ${stored}, not ${checkpoint.expected}; nothing was written`, {
        projection,
        expected: checkpoint.expected,
        actual: stored,
      });
    }
    // Serialize everything first: a write that is not JSON leaves the overlay unchanged.
    const changes = writes.map((w) => [w.key, { json: w.doc === null ? null : docToJson(w.doc, w.key), index: w.doc === null ? [] : [...new Set(w.index ?? [])] }] as const);
    const layer = this.layers.get(projection) ?? newLayer(stored, false);
    for (const [key, change] of changes) layer.docs.set(key, change);
    await layer.live.commit(projection, changes.map(([key, change]) => ({ key, doc: change.json === null ? null : (JSON.parse(change.json) as Doc), index: change.index })), { expected: 0, next: 0 });
    layer.checkpoint = checkpoint.next;
    layer.committed = true;
    this.layers.set(projection, layer);
  }

  async query(projection: string, query: DocQuery = {}): Promise<StoredDoc[]> {
    const layer = this.layers.get(projection);
    if (!layer) return this.base.query(projection, query);
    validateQuery(query);
    const { index, indexRange, limit, after } = query;
    const orderOf = (values: readonly string[]): string => (indexRange ? (lowestInRange(values, indexRange) ?? indexRange.from) : '');
    // Both sides walk their own index and stop at the limit; the overlay's keys may hide as many
    // of the base's documents, so the base is asked for that many more.
    const wanted = limit === undefined ? undefined : Math.max(0, limit) + layer.docs.size;
    const matches: { key: string; doc: Doc; order: string }[] = [];
    for (const { key, doc } of await layer.live.query(projection, query)) matches.push({ key, doc, order: orderOf(layer.docs.get(key)!.index) });
    if (!layer.reset) {
      for (const { key, doc } of await this.base.query(projection, { index, indexRange, after, limit: wanted })) {
        if (layer.docs.has(key)) continue;
        // The base matched it, so one of its index values is in the range: find the lowest.
        matches.push({ key, doc, order: orderOf(this.indexOf?.(projection, doc, key) ?? []) });
      }
    }
    matches.sort((a, b) => (indexRange ? compareCodePoints(a.order, b.order) : 0) || compareCodePoints(a.key, b.key));
    const selected = limit === undefined ? matches : matches.slice(0, Math.max(0, limit));
    return selected.map(({ key, doc }) => ({ key, doc }));
  }

  async count(projection: string, query: CountQuery = {}): Promise<number> {
    const layer = this.layers.get(projection);
    if (!layer) return this.base.count(projection, query);
    validateQuery(query);
    const { index, indexRange } = query;
    const own = await layer.live.count(projection, { index, indexRange });
    if (layer.reset) return own;
    if (!this.indexOf) return (await this.query(projection, { index, indexRange })).length;
    // The base's documents under the overlay's keys are counted from the overlay instead: their
    // index values are read once (the documents the catch-up changed, not the read model).
    const unknown = [...layer.docs.keys()].filter((key) => !layer.baseValues.has(key));
    if (unknown.length > 0) {
      const found = await this.base.getMany(projection, unknown);
      for (const key of unknown) {
        const doc = found.get(key);
        layer.baseValues.set(key, doc === undefined ? null : this.indexOf(projection, doc, key));
      }
    }
    let hidden = 0;
    for (const values of layer.baseValues.values()) if (values !== null && matches(values, query)) hidden++;
    return (await this.base.count(projection, { index, indexRange })) - hidden + own;
  }

  /** Index entries the overlay's own layers have read in queries (see InMemoryReadModelStore.examined). */
  get examined(): number {
    let sum = 0;
    for (const layer of this.layers.values()) sum += layer.live.examined;
    return sum;
  }

  async reset(projection: string): Promise<void> {
    this.layers.set(projection, newLayer(0, true));
  }

  async projections(): Promise<string[]> {
    const names = new Set(await this.base.projections());
    for (const [name, layer] of this.layers) {
      if (layer.reset) names.delete(name);
      if (layer.committed) names.add(name);
    }
    return [...names].sort(compareCodePoints);
  }
}
