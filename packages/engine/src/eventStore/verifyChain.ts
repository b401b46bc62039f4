/**
 * Checks the hash chains of an event store through its port: every stream's events are contiguous
 * from revision 0, each recomputes to its stored hash from its content and the previous hash it
 * names, and that previous hash is the stored hash of the event before it; in the global log the
 * positions increase and each stream's events come in revision order. Reports the first event
 * that does not match in each stream. Pure: reads only, through the EventStore port.
 *
 * What it cannot see without an anchor (a head hash kept elsewhere): a history rewritten from the
 * changed event to its end with every later hash recomputed, events removed from the end of a
 * stream (when the store's own record of the stream's revision was changed to match), a stream
 * removed whole. `anchors` closes that: see docs/audit.md.
 */
import { canonicalJson, eventHash, GENESIS_HASH, isChainHash } from './hashChain';
import { sha256Hex, type Sha256Hex } from './sha256';
import type { EventStore, StoredEvent } from './types';

/**
 * - content: the event does not recompute to its stored hash (its content, or the hash, was changed)
 * - link: the previous hash it names is not the stored hash of the event before it (that one was rewritten)
 * - missing: revisions are missing before it (events removed)
 * - out_of_order: its events are not in revision order in the global log, or positions do not increase
 * - no_hash: it carries no hash
 * - truncated / extended: the store records another last revision than its events end at
 * - anchor: an anchored head is no longer in the chain
 */
export type ChainProblem = 'content' | 'link' | 'missing' | 'out_of_order' | 'no_hash' | 'truncated' | 'extended' | 'anchor';

export interface ChainFailure {
  readonly streamId: string;
  /** The event named: the first that does not match (for 'anchor' on a stream that is gone: the anchored revision). */
  readonly revision: number;
  /** Its global position (0 when there is no such event). */
  readonly position: number;
  readonly eventId: string;
  readonly type: string;
  readonly problem: ChainProblem;
  /** One sentence, without the stream's name: "event at revision 3 (position 57, id e-9, Shipped) does not match its hash: ...". */
  readonly message: string;
}

/** A stream's last event as read: its revision and stored hash (what an anchor records). */
export interface StreamHead {
  readonly streamId: string;
  readonly revision: number;
  readonly hash: string | null;
  readonly events: number;
  readonly verified: boolean;
}

/** A head recorded earlier (published, signed): the event at `revision` must still have `hash`. */
export interface ChainAnchor {
  readonly streamId: string;
  readonly revision: number;
  readonly hash: string;
}

export interface VerifyChainOptions {
  /** Verify this stream only (the global log's order is then checked for its events only). */
  readonly streamId?: string;
  /** Heads recorded earlier: each must still be in its stream's chain. */
  readonly anchors?: readonly ChainAnchor[];
  /** After each batch: events checked so far out of about `total` (positions, or the stream's events). */
  readonly onProgress?: (progress: { done: number; total: number }) => void;
  /** Default: the engine's own SHA-256; a native one gives the same hashes, faster. */
  readonly sha256?: Sha256Hex;
  /** Events read per batch. Default 1,000. */
  readonly batchSize?: number;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly events: number;
  readonly streams: number;
  /** The last global position read (0 for an empty log). */
  readonly headPosition: number;
  /** The first failure of each stream that does not verify, in the order they were found. */
  readonly failures: ChainFailure[];
  /** Every stream's head, by stream id. */
  readonly heads: StreamHead[];
  /** `logDigest(headPosition, heads)` when the whole log was read; null for one stream. */
  readonly logDigest: string | null;
}

/** The first element of the array a log digest is taken over. */
export const LOG_DIGEST_FORMAT = 'interlend.log.v1';

/**
 * One hash over every stream's head and the log's last position: publish or sign it, keep the
 * heads it was computed from, and a later `verifyChain(..., { anchors: heads })` shows whether
 * the history up to then is still the same.
 */
export function logDigest(headPosition: number, heads: readonly Pick<StreamHead, 'streamId' | 'revision' | 'hash'>[], sha256: Sha256Hex = sha256Hex): string {
  const sorted = [...heads].sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
  return sha256(canonicalJson([LOG_DIGEST_FORMAT, headPosition, sorted.map((h) => [h.streamId, h.revision, h.hash])]));
}

/** Names an event in a message. */
export const describeEvent = (e: Pick<StoredEvent, 'revision' | 'position' | 'id' | 'type'>): string => `event at revision ${e.revision} (position ${e.position}, id ${e.id}, ${e.type})`;

/** The chain of one stream, fed its events one by one. */
class StreamCheck {
  next = 0;
  events = 0;
  lastHash = GENESIS_HASH;
  lastPosition = 0;
  last: StoredEvent | undefined;
  failure: ChainFailure | undefined;
  private failedAt: StoredEvent | undefined;
  /** The revision reported missing: if it turns up later, the events were out of order, not removed. */
  private awaiting: number | undefined;
  /** Anchored revisions of this stream, with the event found there (null: none yet). */
  readonly found = new Map<number, StoredEvent | null>();

  constructor(
    readonly streamId: string,
    private readonly sha256: Sha256Hex,
  ) {}

  add(e: StoredEvent): void {
    this.events++;
    this.last = e;
    if (this.found.has(e.revision)) this.found.set(e.revision, e);
    if (this.failure) {
      if (this.failure.problem === 'missing' && e.revision === this.awaiting && this.failedAt) {
        this.fail(this.failedAt, 'out_of_order', `comes before revision ${e.revision} of its stream (position ${e.position}) in the global log: the log has its events out of order`);
      }
      return;
    }
    if (e.revision !== this.next) {
      if (e.revision > this.next) {
        this.awaiting = this.next;
        const gap = e.revision - this.next === 1 ? `revision ${this.next} is missing` : `revisions ${this.next} to ${e.revision - 1} are missing`;
        return this.fail(e, 'missing', `comes where revision ${this.next} was expected: ${gap} (events were removed)`);
      }
      return this.fail(e, 'out_of_order', `comes after revision ${this.next - 1} of its stream in the global log: the log has its events out of order`);
    }
    if (e.position <= this.lastPosition) {
      return this.fail(e, 'out_of_order', `has position ${e.position}, not after position ${this.lastPosition} of the revision before it: the global log has its events out of order`);
    }
    if (!isChainHash(e.hash)) return this.fail(e, 'no_hash', 'has no hash: it was written without one, or its hash was removed');
    const previous = e.previousHash ?? this.lastHash;
    if (eventHash(previous, e, this.sha256) !== e.hash) {
      const why = e.previousHash === undefined ? 'its content, or the event before it, was changed after it was written' : 'its content was changed after it was written';
      return this.fail(e, 'content', `does not match its hash: ${why}`);
    }
    if (previous !== this.lastHash) {
      const before = this.next === 0 ? 'the start of the stream' : `revision ${this.next - 1}`;
      return this.fail(e, 'link', `does not link to the event before it (it names ${short(previous)}, not the hash of ${before}, ${short(this.lastHash)}): the event before it was rewritten, or events were removed or reordered`);
    }
    this.next++;
    this.lastHash = e.hash;
    this.lastPosition = e.position;
  }

  /** Compares the store's record of the stream's last revision with where its events end. */
  recorded(revision: number): void {
    if (this.failure || !this.last || revision === this.last.revision) return;
    if (revision > this.last.revision) this.fail(this.last, 'truncated', `is the stream's last, but the store records revision ${revision} as its last: events were removed from its end`);
    else this.fail(this.last, 'extended', `is after revision ${revision}, which the store records as the stream's last: events were added behind the store's back`);
  }

  anchor(a: ChainAnchor): void {
    const found = this.found.get(a.revision);
    const recorded = `revision ${a.revision} (hash ${short(a.hash)})`;
    let failure: ChainFailure | undefined;
    if (!this.last) {
      failure = { streamId: this.streamId, revision: a.revision, position: 0, eventId: '', type: '', problem: 'anchor', message: `the anchor records ${recorded}, but the stream has no events: it was removed` };
    } else if (!found) {
      failure = failureAt(this.streamId, this.last, 'anchor', `is the stream's last, but the anchor records ${recorded}: events were removed from its end`);
    } else if (found.hash !== a.hash) {
      failure = failureAt(this.streamId, found, 'anchor', `has hash ${short(found.hash ?? 'none')}, but the anchor records ${short(a.hash)}: the history up to the anchor was rewritten`);
    }
    if (failure && (!this.failure || failure.revision < this.failure.revision)) this.failure = failure;
  }

  head(): StreamHead {
    return { streamId: this.streamId, revision: this.last?.revision ?? -1, hash: this.last?.hash ?? null, events: this.events, verified: !this.failure };
  }

  private fail(e: StoredEvent, problem: ChainProblem, what: string): void {
    this.failedAt = e;
    this.failure = failureAt(this.streamId, e, problem, what);
  }
}

function failureAt(streamId: string, e: StoredEvent, problem: ChainProblem, what: string): ChainFailure {
  return { streamId, revision: e.revision, position: e.position, eventId: e.id, type: e.type, problem, message: `${describeEvent(e)} ${what}` };
}

const short = (hash: string): string => (hash.length > 12 ? `${hash.slice(0, 12)}…` : hash);

/** The chain of one stream whose events are already in memory, in revision order from 0 (`history`). */
export function verifyStreamEvents(streamId: string, events: readonly StoredEvent[], options: { sha256?: Sha256Hex; anchors?: readonly ChainAnchor[] } = {}): { ok: boolean; head: StreamHead; failure: ChainFailure | undefined } {
  const check = new StreamCheck(streamId, options.sha256 ?? sha256Hex);
  const anchors = (options.anchors ?? []).filter((a) => a.streamId === streamId);
  for (const a of anchors) check.found.set(a.revision, null);
  for (const e of events) check.add(e);
  for (const a of anchors) check.anchor(a);
  return { ok: !check.failure, head: check.head(), failure: check.failure };
}

/** Verifies every stream (one pass over the global log) or one stream. See the module comment. */
export async function verifyChain(store: EventStore, options: VerifyChainOptions = {}): Promise<ChainReport> {
  const sha256 = options.sha256 ?? sha256Hex;
  const batchSize = Math.max(1, options.batchSize ?? 1000);
  const checks = new Map<string, StreamCheck>();
  const failures: ChainFailure[] = [];
  const anchors = (options.anchors ?? []).filter((a) => options.streamId === undefined || a.streamId === options.streamId);
  const checkOf = (streamId: string): StreamCheck => {
    let check = checks.get(streamId);
    if (!check) checks.set(streamId, (check = new StreamCheck(streamId, sha256)));
    return check;
  };
  for (const a of anchors) checkOf(a.streamId).found.set(a.revision, null);

  let events = 0;
  let headPosition = 0;
  if (options.streamId !== undefined) {
    const check = checkOf(options.streamId);
    const total = (await store.streamRevision(options.streamId)) + 1;
    for (;;) {
      const batch = await store.readStream(options.streamId, { fromRevision: check.last ? check.last.revision + 1 : 0, maxCount: batchSize });
      for (const e of batch) check.add(e);
      events += batch.length;
      options.onProgress?.({ done: events, total: Math.max(total, events) });
      if (batch.length < batchSize) break;
    }
    headPosition = check.last?.position ?? 0;
  } else {
    const total = await store.headPosition();
    for (;;) {
      const batch = await store.readAll({ after: headPosition, maxCount: batchSize });
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.position <= headPosition) {
          const check = checkOf(e.streamId);
          check.events++;
          if (!check.failure) check.failure = failureAt(e.streamId, e, 'out_of_order', `has position ${e.position}, not after ${headPosition} where the global log had got to: the log is out of order`);
          continue;
        }
        checkOf(e.streamId).add(e);
        headPosition = e.position;
      }
      events += batch.length;
      options.onProgress?.({ done: headPosition, total: Math.max(total, headPosition) });
    }
  }

  for (const check of checks.values()) {
    if (!check.last || check.failure) continue;
    // Events appended while we read are checked too before the store's record is compared.
    let recorded = await store.streamRevision(check.streamId);
    while (!check.failure && recorded > check.last.revision) {
      const later = await store.readStream(check.streamId, { fromRevision: check.last.revision + 1, maxCount: batchSize });
      if (later.length === 0) break;
      for (const e of later) check.add(e);
      events += later.length;
      recorded = await store.streamRevision(check.streamId);
    }
    check.recorded(recorded);
  }
  for (const a of anchors) checkOf(a.streamId).anchor(a);

  const ordered = [...checks.values()].filter((c) => c.events > 0 || c.failure);
  for (const check of ordered) if (check.failure) failures.push(check.failure);
  failures.sort((a, b) => (a.position || Number.MAX_SAFE_INTEGER) - (b.position || Number.MAX_SAFE_INTEGER));
  const heads = ordered
    .filter((c) => c.events > 0)
    .map((c) => c.head())
    .sort((a, b) => (a.streamId < b.streamId ? -1 : a.streamId > b.streamId ? 1 : 0));
  return {
    ok: failures.length === 0,
    events,
    streams: heads.length,
    headPosition,
    failures,
    heads,
    logDigest: options.streamId === undefined ? logDigest(headPosition, heads, sha256) : null,
  };
}
