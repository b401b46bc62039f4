import type { EventStore, StoredEvent } from '../eventStore/types';
import type { Doc, DocWrite, Projection, ReadModelStore } from './types';
import { isConcurrencyError } from '../errors';

/** Where the runner keeps each projection's version (a projection of another version is rebuilt). */
export const PROJECTION_VERSIONS = 'engine.projection-versions';

export interface CatchUpProgress {
  /** Global position reached. */
  readonly position: number;
  /** Head of the log when the catch-up started. */
  readonly head: number;
  /** Events read so far in this catch-up. */
  readonly events: number;
}

export interface CatchUpOptions {
  /** Events read per batch (one read-model commit per projection per batch). */
  readonly batchSize?: number;
  /** Stop after this global position (time travel and tests); default: the head. */
  readonly until?: number;
  readonly onProgress?: (progress: CatchUpProgress) => void;
  readonly signal?: AbortSignal;
}

export interface CatchUpResult {
  readonly events: number;
  readonly position: number;
}

export interface Difference {
  readonly projection: string;
  readonly key: string;
  readonly incremental: Doc | undefined;
  readonly rebuilt: Doc | undefined;
}

/**
 * Follows the global log and keeps read models up to date. One read of the log feeds a group of
 * projections; each projection commits its documents together with its checkpoint (atomically,
 * compare-and-set on the checkpoint), so an event is applied exactly once per read model even
 * when a process dies between batches, and a second runner cannot apply the same batch twice.
 */
export class ProjectionRunner {
  constructor(
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
  ) {}

  /** Applies every event after each projection's checkpoint, up to the head (or `until`). */
  async catchUp(projections: readonly Projection[], options: CatchUpOptions = {}): Promise<CatchUpResult> {
    if (projections.length === 0) return { events: 0, position: 0 };
    await this.resetOutdated(projections);
    const batchSize = options.batchSize ?? 5_000;
    const checkpoints = new Map<string, number>();
    for (const p of projections) checkpoints.set(p.name, await this.readModels.checkpoint(p.name));
    let position = Math.min(...checkpoints.values());
    const head = options.until ?? (await this.store.headPosition());
    let events = 0;
    while (position < head && !options.signal?.aborted) {
      const batch = await this.store.readAll({ after: position, maxCount: Math.min(batchSize, head - position) });
      const inRange = options.until === undefined ? batch : batch.filter((e) => e.position <= head);
      if (inRange.length === 0) break;
      const last = inRange[inRange.length - 1]!.position;
      for (const p of projections) {
        const from = checkpoints.get(p.name)!;
        if (from >= last) continue;
        try {
          await this.applyBatch(p, inRange, from, last);
          checkpoints.set(p.name, last);
        } catch (error) {
          // Another runner committed this projection first: take its checkpoint and go on from there.
          if (!isConcurrencyError(error)) throw error;
          checkpoints.set(p.name, await this.readModels.checkpoint(p.name));
        }
      }
      events += inRange.length;
      position = Math.min(...checkpoints.values());
      options.onProgress?.({ position, head, events });
    }
    return { events, position };
  }

  /** Drops the projections' read models and builds them again from the first event. */
  async rebuild(projections: readonly Projection[], options: CatchUpOptions = {}): Promise<CatchUpResult> {
    for (const p of projections) await this.readModels.reset(p.name);
    return this.catchUp(projections, { batchSize: 20_000, ...options });
  }

  /**
   * Builds each projection from zero under a scratch name, up to the position the live read model
   * has reached, and compares every document with the live one. Leaves the live read models as they were.
   */
  async verify(projections: readonly Projection[], options: CatchUpOptions = {}): Promise<Difference[]> {
    const differences: Difference[] = [];
    for (const p of projections) {
      const live = await this.readModels.checkpoint(p.name);
      const scratch: Projection = { ...p, name: `${p.name}#verify`, keys: p.keys.bind(p), apply: p.apply.bind(p), index: p.index?.bind(p) };
      await this.readModels.reset(scratch.name);
      try {
        await this.catchUp([scratch], { batchSize: 20_000, ...options, until: live });
        const [a, b] = await Promise.all([this.readModels.query(p.name), this.readModels.query(scratch.name)]);
        const incremental = new Map(a.map((d) => [d.key, d.doc]));
        const rebuilt = new Map(b.map((d) => [d.key, d.doc]));
        for (const key of new Set([...incremental.keys(), ...rebuilt.keys()])) {
          const x = incremental.get(key);
          const y = rebuilt.get(key);
          if (canonical(x) !== canonical(y)) differences.push({ projection: p.name, key, incremental: x, rebuilt: y });
        }
      } finally {
        await this.readModels.reset(scratch.name);
        const at = await this.readModels.checkpoint(PROJECTION_VERSIONS);
        await this.readModels.commit(PROJECTION_VERSIONS, [{ key: scratch.name, doc: null }], { expected: at, next: at });
      }
    }
    return differences;
  }

  /** Keeps the projections up to date until `signal` aborts: catch up, then wait for new events. */
  async follow(projections: readonly Projection[], options: { signal: AbortSignal; batchSize?: number; pollMs?: number }): Promise<void> {
    while (!options.signal.aborted) {
      const { position } = await this.catchUp(projections, { batchSize: options.batchSize, signal: options.signal });
      const at = position || Math.min(...(await Promise.all(projections.map((p) => this.readModels.checkpoint(p.name)))));
      await this.store.waitForEvents(at, { signal: options.signal, timeoutMs: options.pollMs ?? 1_000 });
    }
  }

  private async applyBatch(p: Projection, batch: readonly StoredEvent[], from: number, last: number): Promise<void> {
    const relevant: { event: StoredEvent; keys: readonly string[] }[] = [];
    const keySet = new Set<string>();
    for (const event of batch) {
      if (event.position <= from) continue;
      const keys = p.keys(event);
      if (keys.length === 0) continue;
      relevant.push({ event, keys });
      for (const k of keys) keySet.add(k);
    }
    const working = keySet.size ? await this.readModels.getMany(p.name, [...keySet]) : new Map<string, Doc>();
    const changed = new Set<string>();
    for (const { event, keys } of relevant) {
      for (const key of keys) {
        const next = p.apply(working.get(key), event, key);
        if (next === undefined) continue;
        if (next === null) working.delete(key);
        else working.set(key, next);
        changed.add(key);
      }
    }
    const writes: DocWrite[] = [];
    for (const key of changed) {
      const doc = working.get(key);
      writes.push(doc === undefined ? { key, doc: null } : { key, doc, index: p.index?.(doc, key) ?? [] });
    }
    await this.readModels.commit(p.name, writes, { expected: from, next: last });
  }

  private async resetOutdated(projections: readonly Projection[]): Promise<void> {
    const stored = await this.readModels.getMany(PROJECTION_VERSIONS, projections.map((p) => p.name));
    const outdated = projections.filter((p) => stored.get(p.name) !== p.version);
    if (outdated.length === 0) return;
    for (const p of outdated) await this.readModels.reset(p.name);
    await this.recordVersions(outdated);
  }

  private async recordVersions(projections: readonly Projection[]): Promise<void> {
    const at = await this.readModels.checkpoint(PROJECTION_VERSIONS);
    await this.readModels.commit(
      PROJECTION_VERSIONS,
      projections.map((p) => ({ key: p.name, doc: p.version })),
      { expected: at, next: at },
    );
  }
}

/** Folds events into documents in memory, without a store (time travel: "as it stood then"). */
export function projectInMemory<D extends Doc>(projection: Projection<D>, events: Iterable<StoredEvent>): Map<string, D> {
  const docs = new Map<string, D>();
  for (const event of events) {
    for (const key of projection.keys(event)) {
      const next = projection.apply(docs.get(key), event, key);
      if (next === undefined) continue;
      if (next === null) docs.delete(key);
      else docs.set(key, next);
    }
  }
  return docs;
}

/** JSON with sorted keys, for comparing documents. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  ) ?? 'undefined';
}
