/**
 * The event-store port. Asynchronous on purpose: the same interface is implemented by the
 * embedded SQLite store, an in-memory store, and stores across the network (PostgreSQL, KurrentDB).
 *
 * Numbers: stream revisions are 0-based per stream; global positions are 1-based, strictly
 * increasing in commit order across all streams (gaps allowed). Both are JavaScript numbers
 * (safe up to 2^53, far beyond any log this engine will hold).
 */

/** JSON-compatible values: what events carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An event to append. `id` is unique per event (used for idempotent appends where a store supports it). */
export interface NewEvent {
  readonly id: string;
  readonly type: string;
  readonly data: JsonObject;
  readonly metadata: JsonObject;
}

/** An event as stored. */
export interface StoredEvent extends NewEvent {
  readonly streamId: string;
  /** 0-based position inside its stream. */
  readonly revision: number;
  /** Position in the global log (1-based, increasing in commit order). */
  readonly position: number;
  /**
   * The event's link in its stream's hash chain (`eventHash` in hashChain.ts): 64 hex digits over
   * its content and `previousHash`, set by the store inside the append. Optional in the type so
   * that an adapter can be written before its chain; every store in this repository sets it, and
   * the contract suite checks it.
   */
  readonly hash?: string;
  /** The hash of the event before it in its stream (GENESIS_HASH for revision 0), as used for `hash`. */
  readonly previousHash?: string;
}

/**
 * What the append expects of the stream:
 * - a number: the stream's current revision (last event's revision) must equal it;
 * - 'no_stream': the stream must not exist;
 * - 'stream_exists': the stream must exist;
 * - 'any': no check.
 */
export type ExpectedRevision = number | 'no_stream' | 'stream_exists' | 'any';

export interface AppendResult {
  /** Revision of the last event appended: pass it as expectedRevision on the next append. */
  readonly nextExpectedRevision: number;
  /** Global position of the last event appended. */
  readonly lastPosition: number;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive). Default 0. */
  readonly fromRevision?: number;
  /** At most this many events. */
  readonly maxCount?: number;
}

export interface ReadAllOptions {
  /** Return events whose position is strictly greater than this. Default 0 (from the start). */
  readonly after?: number;
  /** At most this many events (a store may cap it). Default: a store-chosen batch size. */
  readonly maxCount?: number;
}

export interface WaitOptions {
  /** Give up after this many milliseconds and resolve with the then-current head. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface EventStore {
  /**
   * Appends `events` atomically to `streamId`, checking `expectedRevision` first.
   * Throws ConcurrencyError (code 'CONCURRENCY') when the expectation fails; nothing is written then.
   * An empty `events` array is rejected with a ValidationError.
   */
  appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;

  /** The stream's events in revision order; [] when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;

  /** The stream's current revision, or -1 when it does not exist. */
  streamRevision(streamId: string): Promise<number>;

  /** A batch of the global log in position order, after `options.after`. */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;

  /** Position of the last event in the global log (0 when empty). */
  headPosition(): Promise<number>;

  /**
   * Resolves with the head position as soon as it is greater than `after`
   * (immediately if it already is), or when the timeout/abort fires.
   * Wakes on appends made through any handle to the same store, other processes included
   * (a store across processes may poll).
   */
  waitForEvents(after: number, options?: WaitOptions): Promise<number>;

  close(): Promise<void>;
}
