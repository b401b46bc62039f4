import { ConcurrencyError, StoreError, ValidationError } from '../errors';
import { eventHash, GENESIS_HASH } from './hashChain';
import { sha256Hex, type Sha256Hex } from './sha256';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  JsonObject,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  StoredEvent,
  WaitOptions,
} from './types';

/** Default batch of `readAll` when no `maxCount` is given. */
const DEFAULT_BATCH = 1000;

interface Waiter {
  readonly after: number;
  resolve(head: number): void;
}

export interface InMemoryEventStoreOptions {
  /** The SHA-256 of the hash chain. Default: the engine's own; a native one gives the same hashes, faster. */
  readonly sha256?: Sha256Hex;
}

/**
 * The event store held in memory: a real implementation of the port (it passes the same contract
 * suite as the SQLite store), for tests, simulations and single-process demos.
 *
 * Stored events are deep copies made through JSON (so the data behaves as it would after a
 * round trip through a persistent store: `undefined` members vanish, dates become strings) and
 * are deep-frozen: the objects handed out can be shared without copying, and nobody can change
 * the log through them. Each event is chained to the one before it in its stream (`hash`,
 * `previousHash`: see hashChain.ts), as in every store.
 */
export class InMemoryEventStore implements EventStore {
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly ids = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private readonly sha256: Sha256Hex;
  private closed = false;

  constructor(options: InMemoryEventStoreOptions = {}) {
    this.sha256 = options.sha256 ?? sha256Hex;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    this.assertOpen();
    validateAppend(streamId, events);
    const stream = this.streams.get(streamId);
    const current = stream ? stream.length - 1 : -1;
    checkExpectedRevision(streamId, options.expectedRevision, current);
    for (const event of events) {
      if (this.ids.has(event.id)) {
        throw new ConcurrencyError(`event id '${event.id}' is already in the store; nothing was appended to '${streamId}'`, {
          streamId,
          eventId: event.id,
          reason: 'duplicate_event_id',
        });
      }
    }
    // Copy everything before touching the log, so a bad event (not JSON) leaves the store unchanged.
    // The hash is taken over the copies: the data exactly as it reads back.
    let previousHash = stream?.[stream.length - 1]?.hash ?? GENESIS_HASH;
    const stored = events.map((event, i): StoredEvent => {
      const content = { id: event.id, type: event.type, data: copyJson(event.data, 'data'), metadata: copyJson(event.metadata, 'metadata'), streamId, revision: current + 1 + i };
      const hash = eventHash(previousHash, content, this.sha256);
      const chained = deepFreeze({ ...content, position: this.log.length + 1 + i, hash, previousHash });
      previousHash = hash;
      return chained;
    });
    const target = stream ?? [];
    if (!stream) this.streams.set(streamId, target);
    for (const event of stored) {
      this.log.push(event);
      target.push(event);
      this.ids.add(event.id);
    }
    const head = this.log.length;
    this.notify(head);
    return { nextExpectedRevision: current + events.length, lastPosition: head };
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const stream = this.streams.get(streamId);
    if (!stream) return [];
    const from = Math.max(0, options.fromRevision ?? 0);
    const to = options.maxCount === undefined ? stream.length : from + Math.max(0, options.maxCount);
    return stream.slice(from, to);
  }

  async streamRevision(streamId: string): Promise<number> {
    this.assertOpen();
    const stream = this.streams.get(streamId);
    return stream ? stream.length - 1 : -1;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    // Positions are 1-based and gapless here: the event at position p sits at index p - 1.
    const from = Math.max(0, Math.floor(options.after ?? 0));
    const count = Math.max(0, options.maxCount ?? DEFAULT_BATCH);
    return this.log.slice(from, from + count);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.log.length;
  }

  waitForEvents(after: number, options: WaitOptions = {}): Promise<number> {
    if (this.closed) return Promise.reject(closedError());
    const { timeoutMs, signal } = options;
    if (this.log.length > after || signal?.aborted) return Promise.resolve(this.log.length);
    return new Promise<number>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (head: number): void => {
        this.waiters.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(head);
      };
      const waiter: Waiter = { after, resolve: finish };
      const onAbort = (): void => finish(this.log.length);
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => finish(this.log.length), Math.max(0, timeoutMs));
    });
  }

  /** Resolves pending waits with the current head; later calls throw StoreError. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.notify(Number.POSITIVE_INFINITY);
  }

  private notify(head: number): void {
    for (const waiter of [...this.waiters]) if (head > waiter.after) waiter.resolve(this.log.length);
  }

  private assertOpen(): void {
    if (this.closed) throw closedError();
  }
}

const closedError = (): StoreError => new StoreError('the in-memory event store is closed');

/**
 * Checks shared by every adapter before an append: a non-empty stream id, at least one event, each
 * with an id, a type and object data/metadata, and no event id twice in the batch.
 */
export function validateAppend(streamId: string, events: readonly NewEvent[]): void {
  if (typeof streamId !== 'string' || streamId.length === 0) {
    throw new ValidationError('streamId must be a non-empty string', { issues: [{ path: 'streamId', message: 'must be a non-empty string' }] });
  }
  if (events.length === 0) {
    throw new ValidationError(`nothing to append to '${streamId}': events is empty`, { issues: [{ path: 'events', message: 'must contain at least one event' }] });
  }
  const seen = new Set<string>();
  events.forEach((event, i) => {
    if (typeof event.id !== 'string' || event.id.length === 0) {
      throw new ValidationError(`event ${i} for '${streamId}' has no id`, { issues: [{ path: `events.${i}.id`, message: 'must be a non-empty string' }] });
    }
    if (typeof event.type !== 'string' || event.type.length === 0) {
      throw new ValidationError(`event ${i} for '${streamId}' has no type`, { issues: [{ path: `events.${i}.type`, message: 'must be a non-empty string' }] });
    }
    for (const field of ['data', 'metadata'] as const) {
      const value: unknown = event[field];
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new ValidationError(`event ${i} for '${streamId}': ${field} must be a JSON object`, { issues: [{ path: `events.${i}.${field}`, message: 'must be a JSON object' }] });
      }
    }
    if (seen.has(event.id)) {
      throw new ValidationError(`event id '${event.id}' appears twice in one append to '${streamId}'`, { issues: [{ path: `events.${i}.id`, message: 'duplicate in this append' }] });
    }
    seen.add(event.id);
  });
}

/** Throws ConcurrencyError unless `current` (-1: no stream) satisfies `expected`. */
export function checkExpectedRevision(streamId: string, expected: ExpectedRevision, current: number): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === -1) ||
    (expected === 'stream_exists' && current >= 0) ||
    (typeof expected === 'number' && expected === current);
  if (ok) return;
  if (typeof expected === 'number' || expected === 'no_stream' || expected === 'stream_exists') {
    const actual = current === -1 ? 'no stream' : `revision ${current}`;
    throw new ConcurrencyError(`stream '${streamId}' expected ${typeof expected === 'number' ? `revision ${expected}` : `'${expected}'`} but found ${actual}`, {
      streamId,
      expected,
      actual: current,
    });
  }
  throw new ValidationError(`expectedRevision must be a number, 'no_stream', 'stream_exists' or 'any'; got ${JSON.stringify(expected)}`, {
    issues: [{ path: 'expectedRevision', message: 'invalid value' }],
  });
}

function copyJson(value: JsonObject, field: string): JsonObject {
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value) ?? 'null');
  } catch (error) {
    throw new ValidationError(`event ${field} is not JSON: ${(error as Error).message}`, { issues: [{ path: field, message: 'not serializable as JSON' }] }, { cause: error });
  }
  if (typeof copy !== 'object' || copy === null || Array.isArray(copy)) {
    throw new ValidationError(`event ${field} must be a JSON object`, { issues: [{ path: field, message: 'must be a JSON object' }] });
  }
  return copy as JsonObject;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}
