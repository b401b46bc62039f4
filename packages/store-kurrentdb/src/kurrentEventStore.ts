import { hash as nodeHash } from 'node:crypto';
import { BACKWARDS, END, FORWARDS, jsonEvent, NO_STREAM, START } from '@kurrent/kurrentdb-client';
import type { AllStreamSubscription, AppendResult as KurrentAppendResult, KurrentDBClient, ReadPosition, RecordedEvent, ResolvedEvent } from '@kurrent/kurrentdb-client';
import { checkExpectedRevision, eventHash, GENESIS_HASH, HeadWaiters, StoreError, validateAppend, ValidationError } from '@interlend/engine';
import type { AppendResult, EventStore, ExpectedRevision, JsonObject, NewEvent, ReadAllOptions, ReadStreamOptions, Sha256Hex, StoredEvent, WaitOptions } from '@interlend/engine';
import { unwrapMetadata, wrapMetadata } from './eventEnvelope';
import type { EnvelopeHeader } from './eventEnvelope';
import { toKurrentEventId } from './eventId';
import { fromGlobalPosition, knownCommit, MAX_EVENTS_PER_APPEND, toGlobalPosition } from './globalPosition';
import { concurrencyErrorFor, isStreamNotFound, isWrongExpectedVersion, toStoreError } from './kurrentErrors';
import { checkStreamPrefix, DEFAULT_STREAM_PREFIX, fromKurrentStream, interlendStreamFilter, toKurrentStream } from './streamNames';

/** The part of the client the store uses (a narrower type keeps it honest, and lets a test hand in another implementation). */
export type KurrentClient = Pick<KurrentDBClient, 'appendToStream' | 'readStream' | 'readAll' | 'subscribeToAll' | 'dispose'>;

export interface KurrentDbEventStoreOptions {
  /** What every interlend stream's name starts with in KurrentDB, and what `$all` is filtered on. Default `interlend-`. */
  readonly streamPrefix?: string;
  /** While a `waitForEvents` is pending, how often the head is read besides the subscription's wake-ups. Default 1,000 ms. */
  readonly pollIntervalMs?: number;
  /** `readAll` batch when no `maxCount` is given. Default 1,000. */
  readonly defaultBatchSize?: number;
  /** Most events one `readAll` returns, whatever `maxCount` asks. Default 5,000. */
  readonly maxBatchSize?: number;
  /** Appends with 'any' or 'stream_exists' that lose a race to another writer are tried this many times in all. Default 5. */
  readonly appendAttempts?: number;
  /** Dispose of the client when the store closes. Default false: whoever made the client disposes of it (`openKurrentDb` does). */
  readonly disposeClient?: boolean;
  /** Names the server in messages (a connection string without its password). */
  readonly label?: string;
  /** The SHA-256 of the hash chain. Default node:crypto's (the same digests as the engine's). */
  readonly sha256?: Sha256Hex;
}

/** A stored event as read, before its global position is known. */
interface Decoded {
  readonly kurrentStream: string;
  readonly streamId: string;
  readonly revision: number;
  readonly header: EnvelopeHeader | undefined;
  /** Its own commit position (undefined when the server did not give one). */
  readonly commit: bigint | undefined;
  readonly event: Omit<StoredEvent, 'position'>;
}

const nodeSha256Hex: Sha256Hex = (input) => nodeHash('sha256', input, 'hex');

/**
 * The event store on KurrentDB (EventStoreDB's successor) through `@kurrent/kurrentdb-client`.
 *
 * - Each engine stream is the KurrentDB stream `<prefix><streamId>`; the global log is `$all`
 *   read with a server-side stream-name prefix filter, so system streams and other applications'
 *   streams never reach the engine.
 * - An append reads the stream's last event (its revision and hash), checks the expectation
 *   exactly as every store does, chains the new events to that hash, and appends with that
 *   revision as KurrentDB's expected stream state, so the chain and the check cannot be raced:
 *   a writer that got in between makes the server refuse the append (WrongExpectedVersion ->
 *   ConcurrencyError; with 'any' or 'stream_exists' the adapter reads the new head and tries again).
 * - Engine event ids become KurrentDB event ids (eventId.ts), so the server's idempotency applies to
 *   retried appends, and an append that is already in the stream as a whole (same ids at the
 *   revisions its expectation names) answers with its original result instead of failing.
 * - Global positions come from commit positions (globalPosition.ts).
 * - `waitForEvents` follows `$all` through a filtered catch-up subscription started at the end
 *   (one per store, opened by the first wait), and reads the head on each event it delivers;
 *   a slow poll backs it up. Appends through this handle wake waiters at once.
 */
export class KurrentDbEventStore implements EventStore {
  readonly client: KurrentClient;
  readonly streamPrefix: string;
  private readonly defaultBatchSize: number;
  private readonly maxBatchSize: number;
  private readonly appendAttempts: number;
  private readonly disposeClient: boolean;
  private readonly label: string;
  private readonly sha256: Sha256Hex;
  private readonly waiters: HeadWaiters;
  /** Commit position of the first event of an append, by `<kurrent stream>\n<first revision>`: the log never changes, so neither do they. */
  private readonly firstCommits = new Map<string, bigint>();
  private follower: AllStreamSubscription | undefined;
  private refreshing = false;
  private refreshAgain = false;
  private lastHead = 0;
  private closed = false;

  constructor(client: KurrentClient, options: KurrentDbEventStoreOptions = {}) {
    this.client = client;
    this.streamPrefix = checkStreamPrefix(options.streamPrefix ?? DEFAULT_STREAM_PREFIX);
    // A wait that times out or is aborted resolves with the last head seen (no read of the server then).
    this.waiters = new HeadWaiters({ pollIntervalMs: Math.max(10, options.pollIntervalMs ?? 1000), poll: () => void this.refreshHead(), currentHead: () => this.lastHead });
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 5000);
    this.defaultBatchSize = Math.min(this.maxBatchSize, Math.max(1, options.defaultBatchSize ?? 1000));
    this.appendAttempts = Math.max(1, options.appendAttempts ?? 5);
    this.disposeClient = options.disposeClient ?? false;
    this.label = options.label ?? 'KurrentDB';
    this.sha256 = options.sha256 ?? nodeSha256Hex;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    this.assertOpen();
    validateAppend(streamId, events);
    if (events.length > MAX_EVENTS_PER_APPEND) {
      throw new ValidationError(`an append to KurrentDB carries at most ${MAX_EVENTS_PER_APPEND} events (one position slot each); got ${events.length} for '${streamId}': split it`, {
        issues: [{ path: 'events', message: `at most ${MAX_EVENTS_PER_APPEND} events` }],
      });
    }
    const { expectedRevision } = options;
    const copies = events.map((e, i) => ({ id: e.id, type: e.type, data: copyJson(e.data, `events.${i}.data`), metadata: copyJson(e.metadata, `events.${i}.metadata`) }));
    const kurrentStream = toKurrentStream(this.streamPrefix, streamId);
    const what = `append to '${streamId}' failed`;

    for (let attempt = 1; ; attempt++) {
      const head = await this.readHead(kurrentStream, streamId, what);
      const current = head?.revision ?? -1;
      const earlier = await this.sameAppendAlreadyStored(streamId, copies, expectedRevision, current, head?.event.id);
      if (earlier) return earlier;
      checkExpectedRevision(streamId, expectedRevision, current);

      let previousHash = head ? (head.header?.hash ?? GENESIS_HASH) : GENESIS_HASH;
      const data = copies.map((e, index) => {
        const revision = current + 1 + index;
        const hash = eventHash(previousHash, { streamId, revision, id: e.id, type: e.type, data: e.data, metadata: e.metadata }, this.sha256);
        const metadata = wrapMetadata({ id: e.id, index, count: copies.length, hash, previousHash }, e.metadata);
        previousHash = hash;
        return jsonEvent({ id: toKurrentEventId(e.id), type: e.type, data: e.data, metadata: metadata as unknown as JsonObject });
      });

      let result: KurrentAppendResult;
      try {
        result = await this.client.appendToStream(kurrentStream, data, { streamState: current === -1 ? NO_STREAM : BigInt(current) });
      } catch (error) {
        if (isWrongExpectedVersion(error)) {
          if ((expectedRevision === 'any' || expectedRevision === 'stream_exists') && attempt < this.appendAttempts) continue;
          throw concurrencyErrorFor(streamId, expectedRevision, error);
        }
        throw toStoreError(error, `${what} (${this.label})`);
      }
      if (!result.success) {
        // Only with throwOnAppendFailure=false in the connection string: the same refusal, as a value.
        if ((expectedRevision === 'any' || expectedRevision === 'stream_exists') && attempt < this.appendAttempts) continue;
        throw concurrencyErrorFor(streamId, expectedRevision, { actualState: result.nextExpectedRevision < 0n ? 'no_stream' : result.nextExpectedRevision });
      }
      const lastPosition = await this.appendedPosition(kurrentStream, streamId, current + 1, copies.length, result, what);
      this.wake(lastPosition);
      return { nextExpectedRevision: current + copies.length, lastPosition };
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const from = Math.max(0, Math.floor(options.fromRevision ?? 0));
    const maxCount = options.maxCount === undefined ? undefined : Math.max(0, Math.floor(options.maxCount));
    if (maxCount === 0) return [];
    const what = `read of stream '${streamId}' failed`;
    const decoded = await this.readStreamEvents(toKurrentStream(this.streamPrefix, streamId), { fromRevision: BigInt(from), direction: FORWARDS, ...(maxCount === undefined ? {} : { maxCount }) }, what);
    return this.withPositions(decoded, what);
  }

  async streamRevision(streamId: string): Promise<number> {
    this.assertOpen();
    const head = await this.readHead(toKurrentStream(this.streamPrefix, streamId), streamId, `revision of stream '${streamId}' unavailable`);
    return head?.revision ?? -1;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const after = Math.max(0, Math.floor(options.after ?? 0));
    const limit = Math.min(this.maxBatchSize, Math.max(0, Math.floor(options.maxCount ?? this.defaultBatchSize)));
    if (limit === 0) return [];
    const what = `read of the log after ${after} failed`;
    // Start at the first event of the append that holds `after` (a record boundary) and skip
    // that append's events up to `after`'s own: at most index + 1 of them.
    let fromPosition: ReadPosition = START;
    let skip = 0;
    if (after > 0) {
      const { firstCommit, index } = fromGlobalPosition(after);
      fromPosition = { commit: firstCommit, prepare: firstCommit };
      skip = index + 1;
    }
    const decoded = await this.readAllEvents({ fromPosition, direction: FORWARDS, maxCount: limit + skip }, what);
    const stored = await this.withPositions(decoded, what);
    return stored.filter((e) => e.position > after).slice(0, limit);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const what = 'head position unavailable';
    const [last] = await this.readAllEvents({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }, what);
    if (!last) return 0;
    const [stored] = await this.withPositions([last], what);
    const head = stored?.position ?? 0;
    if (head > this.lastHead) this.lastHead = head;
    return head;
  }

  waitForEvents(after: number, options: WaitOptions = {}): Promise<number> {
    if (this.closed) return Promise.reject(this.closedError());
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return this.headPosition().catch(() => this.lastHead);
    const waiting = this.waiters.wait(after, { timeoutMs, signal });
    this.follow();
    void this.refreshHead();
    return waiting;
  }

  /** Settles pending waits with the last head seen, ends the subscription, and disposes of the client if asked to. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.waiters.settleAll(this.lastHead);
    const follower = this.follower;
    this.follower = undefined;
    if (follower) await follower.unsubscribe().catch(() => undefined);
    if (this.disposeClient) {
      try {
        await this.client.dispose();
      } catch (error) {
        throw toStoreError(error, `closing the connection to ${this.label} failed`);
      }
    }
  }

  // ---- appends ----

  /**
   * The same append made again (a retry after an answer that was lost): when the stream already
   * holds these event ids, in this order, at the revisions the expectation puts them, the append
   * happened; answer as it was answered then. With 'any' or 'stream_exists' that is only
   * recognised while they are still the stream's last events (as KurrentDB's own idempotency).
   */
  private async sameAppendAlreadyStored(
    streamId: string,
    events: readonly { id: string }[],
    expected: ExpectedRevision,
    current: number,
    headId: string | undefined,
  ): Promise<AppendResult | undefined> {
    const n = events.length;
    let first: number;
    if (typeof expected === 'number') first = expected + 1;
    else if (expected === 'no_stream') first = 0;
    else if ((expected === 'any' || expected === 'stream_exists') && headId !== undefined && headId === events[n - 1]?.id) first = current - n + 1;
    else return undefined;
    if (!Number.isSafeInteger(first) || first < 0 || first + n - 1 > current) return undefined;
    const stored = await this.readStream(streamId, { fromRevision: first, maxCount: n });
    if (stored.length !== n || stored.some((e, i) => e.id !== events[i]?.id)) return undefined;
    return { nextExpectedRevision: first + n - 1, lastPosition: (stored[n - 1] as StoredEvent).position };
  }

  /** The global position of the last event just appended. */
  private async appendedPosition(kurrentStream: string, streamId: string, firstRevision: number, count: number, result: KurrentAppendResult, what: string): Promise<number> {
    // One event: the append's commit position is that event's. Several: the append reports the
    // last one's, so read the first (one more round trip) for the append's position.
    const commit = count === 1 ? knownCommit(result.position) : undefined;
    if (commit !== undefined) {
      this.rememberFirstCommit(kurrentStream, firstRevision, commit);
      return toGlobalPosition(commit, 0);
    }
    return toGlobalPosition(await this.firstCommitOf(kurrentStream, streamId, firstRevision, what), count - 1);
  }

  // ---- reads ----

  private async readHead(kurrentStream: string, streamId: string, what: string): Promise<Decoded | undefined> {
    const [head] = await this.readStreamEvents(kurrentStream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }, what);
    if (head && head.streamId !== streamId) throw new StoreError(`${what}: KurrentDB answered with stream '${head.kurrentStream}'`, { streamId });
    return head;
  }

  private async readStreamEvents(kurrentStream: string, options: Parameters<KurrentClient['readStream']>[1], what: string): Promise<Decoded[]> {
    const out: Decoded[] = [];
    try {
      for await (const resolved of this.client.readStream(kurrentStream, options)) {
        const decoded = this.decode(resolved, what);
        if (decoded) out.push(decoded);
      }
    } catch (error) {
      if (isStreamNotFound(error)) return [];
      throw toStoreError(error, `${what} (${this.label})`);
    }
    return out;
  }

  private async readAllEvents(options: Omit<NonNullable<Parameters<KurrentClient['readAll']>[0]>, 'filter'>, what: string): Promise<Decoded[]> {
    const out: Decoded[] = [];
    try {
      for await (const resolved of this.client.readAll({ ...options, filter: interlendStreamFilter(this.streamPrefix) })) {
        const decoded = this.decode(resolved, what);
        if (decoded) out.push(decoded);
      }
    } catch (error) {
      throw toStoreError(error, `${what} (${this.label})`);
    }
    return out;
  }

  /** A recorded event as the engine sees it, without its position; undefined for what is not this store's (a link, another prefix). */
  private decode(resolved: ResolvedEvent, what: string): Decoded | undefined {
    const recorded = resolved.event as RecordedEvent | undefined;
    if (!recorded) return undefined;
    const streamId = fromKurrentStream(this.streamPrefix, recorded.streamId);
    if (streamId === undefined) return undefined;
    return decodeRecorded(recorded, streamId, resolved.commitPosition, what);
  }

  /** Global positions for events read forwards (or a single event): each append's first commit position, from the read itself where it can. */
  private async withPositions(events: readonly Decoded[], what: string): Promise<StoredEvent[]> {
    const out = new Array<StoredEvent>(events.length);
    let previous: { decoded: Decoded; firstCommit: bigint } | undefined;
    for (let i = 0; i < events.length; i++) {
      const e = events[i] as Decoded;
      const index = e.header?.index ?? 0;
      let firstCommit: bigint;
      if (index === 0) {
        firstCommit = requireCommit(e, what);
      } else if (
        previous &&
        previous.decoded.kurrentStream === e.kurrentStream &&
        previous.decoded.revision === e.revision - 1 &&
        (previous.decoded.header?.index ?? 0) === index - 1
      ) {
        firstCommit = previous.firstCommit;
      } else {
        firstCommit = await this.firstCommitOf(e.kurrentStream, e.streamId, e.revision - index, what);
      }
      out[i] = { ...e.event, position: toGlobalPosition(firstCommit, index) };
      previous = { decoded: e, firstCommit };
    }
    return out;
  }

  /** The commit position of the event at `revision`, which must be the first of its append. */
  private async firstCommitOf(kurrentStream: string, streamId: string, revision: number, what: string): Promise<bigint> {
    const key = `${kurrentStream}\n${revision}`;
    const known = this.firstCommits.get(key);
    if (known !== undefined) return known;
    // From the leader: right after an append a follower may not have the event yet.
    const [first] = await this.readStreamEvents(kurrentStream, { fromRevision: BigInt(Math.max(0, revision)), direction: FORWARDS, maxCount: 1, requiresLeader: true }, what);
    if (!first || first.revision !== revision || (first.header?.index ?? 0) !== 0) {
      throw new StoreError(`${what}: the append that an event of '${streamId}' belongs to should start at revision ${revision}, but ${first ? `revision ${first.revision} is event ${first.header?.index ?? 0} of its append` : 'there is no such event'}`, {
        streamId,
        revision,
      });
    }
    const commit = requireCommit(first, what);
    this.rememberFirstCommit(kurrentStream, revision, commit);
    return commit;
  }

  private rememberFirstCommit(kurrentStream: string, revision: number, commit: bigint): void {
    if (this.firstCommits.size >= 10_000) this.firstCommits.clear();
    this.firstCommits.set(`${kurrentStream}\n${revision}`, commit);
  }

  // ---- following ----

  private wake(head: number): void {
    if (head > this.lastHead) this.lastHead = head;
    this.waiters.wake(this.lastHead);
  }

  /** Reads the head and wakes whoever it passes; one read at a time, and one more if woken meanwhile. */
  private async refreshHead(): Promise<void> {
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    try {
      do {
        this.refreshAgain = false;
        if (this.closed || this.waiters.pending === 0) break;
        this.wake(await this.headPosition());
      } while (this.refreshAgain);
    } catch {
      // The server did not answer: the poll, the next event, the timeout or close settle the waits.
    } finally {
      this.refreshing = false;
    }
  }

  /** Starts the subscription to `$all` from its end if none is running (the poll runs while a wait is pending: HeadWaiters). */
  private follow(): void {
    if (this.closed) return;
    if (this.follower) return;
    let subscription: AllStreamSubscription;
    try {
      subscription = this.client.subscribeToAll({ fromPosition: END, filter: interlendStreamFilter(this.streamPrefix) });
    } catch {
      return; // the poll carries on; the next wait tries again
    }
    this.follower = subscription;
    const dropped = (): void => {
      if (this.follower === subscription) this.follower = undefined;
    };
    subscription.on('data', () => void this.refreshHead());
    // Once the subscription is live, anything appended before it started is in the head.
    subscription.on('confirmation', () => void this.refreshHead());
    subscription.on('error', dropped);
    subscription.on('end', dropped);
    subscription.on('close', dropped);
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): StoreError {
    return new StoreError(`the KurrentDB event store on ${this.label} is closed`);
  }
}

/** A recorded event's engine fields (exported for the unit tests). */
export function decodeRecorded(recorded: RecordedEvent, streamId: string, resolvedCommit: bigint | undefined, what: string): Decoded {
  const revision = Number(recorded.revision);
  if (!Number.isSafeInteger(revision) || revision < 0) throw new StoreError(`${what}: revision ${recorded.revision} of '${streamId}' is out of range`, { streamId });
  const data = recorded.data as unknown;
  if (!recorded.isJson || typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Uint8Array) {
    throw new StoreError(`${what}: event ${recorded.id} at revision ${revision} of '${streamId}' is not an interlend event (its data is not a JSON object)`, { streamId, revision });
  }
  const { header, metadata } = unwrapMetadata(recorded.metadata);
  const event: Omit<StoredEvent, 'position'> = {
    id: header?.id ?? recorded.id,
    type: recorded.type,
    data: data as JsonObject,
    metadata,
    streamId,
    revision,
    ...(header ? { hash: header.hash, previousHash: header.previousHash } : {}),
  };
  return { kurrentStream: recorded.streamId, streamId, revision, header, commit: knownCommit(recorded.position) ?? (resolvedCommit !== undefined ? knownCommit({ commit: resolvedCommit }) : undefined), event };
}

function requireCommit(e: Decoded, what: string): bigint {
  if (e.commit === undefined) {
    throw new StoreError(
      `${what}: KurrentDB gave no commit position for revision ${e.revision} of '${e.streamId}' (stream reads carry positions from server 22.6 on; this adapter needs a newer server)`,
      { streamId: e.streamId, revision: e.revision },
    );
  }
  return e.commit;
}

function copyJson(value: JsonObject, path: string): JsonObject {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value) ?? 'null');
  } catch (error) {
    throw new ValidationError(`event ${path} is not JSON: ${(error as Error).message}`, { issues: [{ path, message: 'not serializable as JSON' }] }, { cause: error });
  }
  if (typeof copy !== 'object' || copy === null || Array.isArray(copy)) {
    throw new ValidationError(`event ${path} must be a JSON object`, { issues: [{ path, message: 'must be a JSON object' }] });
  }
  return copy as JsonObject;
}
