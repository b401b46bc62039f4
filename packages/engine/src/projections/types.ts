import type { JsonValue, StoredEvent } from '../eventStore/types';

/** A read-model document: any JSON value. */
export type Doc = JsonValue;

export interface DocWrite {
  readonly key: string;
  /** The new document; `null` deletes it. */
  readonly doc: Doc | null;
  /** Secondary index values for `query` (e.g. 'borrower:LIB1', 'due:2026-01-02T00:00:00.000Z'). */
  readonly index?: readonly string[];
}

export interface StoredDoc {
  readonly key: string;
  readonly doc: Doc;
}

export interface DocQuery {
  /** Documents having exactly this index value. */
  readonly index?: string;
  /** Documents having an index value v with from <= v < to (string order). */
  readonly indexRange?: { readonly from: string; readonly to: string };
  readonly limit?: number;
  /**
   * Resume after this position (paging without OFFSET): only documents after it in the query's
   * order are returned. Without `indexRange` the position is the last key seen; with it, the last
   * document's key and its ordering value (its lowest index value inside the range), e.g.
   * `{ value: 'due:2026-01-02T00:00:00.000Z', key }` for a timer. A store walks its index from
   * there and stops at `limit`, so a page costs O(log n + limit), not the size of the match.
   */
  readonly after?: DocCursor;
}

/** What `ReadModelStore.count` counts: the documents a query with these filters lists (no limit, no cursor). */
export type CountQuery = Pick<DocQuery, 'index' | 'indexRange'>;

/** A position in a query's order: see DocQuery.after. */
export interface DocCursor {
  readonly key: string;
  /** The ordering index value; required when the query has `indexRange`. */
  readonly value?: string;
}

/**
 * The read-model port: documents grouped by projection name, each projection with a checkpoint
 * (global position of the last event it has applied). A commit writes documents and the new
 * checkpoint together, atomically, and only if the stored checkpoint still equals `expected`
 * (otherwise ConcurrencyError): two runners never both apply the same events.
 */
export interface ReadModelStore {
  checkpoint(projection: string): Promise<number>;
  getMany(projection: string, keys: readonly string[]): Promise<Map<string, Doc>>;
  commit(projection: string, writes: readonly DocWrite[], checkpoint: { readonly expected: number; readonly next: number }): Promise<void>;
  /**
   * Documents filtered by index when asked: in key order, or, with `indexRange`, in the order of
   * each document's lowest index value inside the range, then key (a due-date index yields the
   * earliest first). A document is listed once, at that lowest value. Stores answer by walking an
   * ordered index from the start (or `after`) and stop at `limit`: finding the first of n entries
   * costs O(log n), never a sort of every match.
   */
  query(projection: string, query?: DocQuery): Promise<StoredDoc[]>;
  /**
   * How many documents `query` lists (`index` and `indexRange` as in `query`; a document with
   * several values in the range counts once), answered from the index alone: no document is read
   * or decoded (SQLite and PostgreSQL count rows of the index table, an index-only scan).
   */
  count(projection: string, query?: CountQuery): Promise<number>;
  /** Drops every document and the checkpoint of `projection`. */
  reset(projection: string): Promise<void>;
  /** Names of projections that have a checkpoint or documents. */
  projections(): Promise<string[]>;
}

/**
 * A change to an aggregate document that a projection derives from a change of one of its own
 * documents (Projection.derive): `update` is pure and returns the aggregate's new value (`null`
 * deletes it, e.g. when nothing is left in it).
 */
export interface DerivedUpdate<A extends Doc = Doc> {
  /** The aggregate's key, in the projection's own key space; never a key `keys(event)` names. */
  readonly key: string;
  update(doc: A | undefined): A | null;
}

/**
 * A projection: a pure fold of events into documents. For each event it names the keys of the
 * documents it touches; the runner loads them, calls `apply` per key, and commits the results
 * with the checkpoint. `apply` must be deterministic (use only the doc and the event), so a
 * rebuild from zero gives exactly what incremental runs gave. `A` is the type of the aggregate
 * documents `derive` keeps beside them: none for a projection of a named document type (so
 * `projectInMemory` returns documents of type `D`), any for the bare `Projection` the runner takes.
 */
export interface Projection<D extends Doc = Doc, A extends Doc = Doc extends D ? Doc : never> {
  readonly name: string;
  /** Bump when the projection's code changes meaning: a stored read model of another version is rebuilt. */
  readonly version: number;
  /**
   * Brings an event stored in an older shape to the shape `keys` and `apply` read (the
   * workflow's upcasters, docs/events.md): the runner and `projectInMemory` call it first.
   */
  upcast?(event: StoredEvent): StoredEvent;
  keys(event: StoredEvent): readonly string[];
  /** The new document for `key` after `event`; `null` deletes, `undefined` leaves it untouched. */
  apply(doc: D | undefined, event: StoredEvent, key: string): D | null | undefined;
  /** Index values of a document, a derived one too (queried with ReadModelStore.query). */
  index?(doc: D | A, key: string): readonly string[];
  /**
   * Aggregates kept from the projection's own documents (counts and sums a reader would otherwise
   * compute by reading every document). Called for each document `apply` changed, with the document
   * as last committed (`before`) and as it is now (`after`; `undefined` = no document), once per
   * commit; the updates it returns (typically: take out the before's contribution, add the
   * after's) are applied to the aggregates, loaded through the runner's cache, and committed in
   * the same commit as the documents and the checkpoint. Derived documents derive nothing further.
   * Aggregates must be exact and additive (integer counts and sums, with no entry left at zero):
   * the deltas then telescope, and a rebuild, any batching and any cache bound give the same
   * documents byte for byte. `projectInMemory` applies them too. The runner writes an aggregate
   * with its objects' members in sorted order (`sortedMembers`): updates may add them in any order.
   */
  derive?(key: string, before: D | undefined, after: D | undefined): readonly DerivedUpdate<A>[];
}
