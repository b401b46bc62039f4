import type { ClientConfig, Pool, PoolClient } from 'pg';
import { HeadWaiters, StoreError, validateAppend } from '@interlend/engine';
import type { AppendResult, EventStore, ExpectedRevision, JsonObject, NewEvent, ReadAllOptions, ReadStreamOptions, StoredEvent, WaitOptions } from '@interlend/engine';
import { appendInTransaction, assertNoNul, prepareEvents, toAppendError } from './appendEvents';
import { AppendListener } from './appendListener';
import { toStoreError } from './errors';

export interface PostgresEventStoreOptions {
  /**
   * The connection settings of the dedicated LISTEN connection (the pool's own, usually).
   * Without them `waitForEvents` only polls.
   */
  readonly listen?: ClientConfig;
  /**
   * How often a pending `waitForEvents` reads the head anyway: the fallback for a notification
   * lost with a broken LISTEN connection (which it also re-establishes). Default 1,000 ms.
   */
  readonly pollIntervalMs?: number;
  /** `readAll` batch when no `maxCount` is given. Default 1,000. */
  readonly defaultBatchSize?: number;
  /** Most events one `readAll` returns, whatever `maxCount` asks. Default 5,000. */
  readonly maxBatchSize?: number;
  /** End the pool when the store closes. Default false: whoever made the pool ends it. */
  readonly endPool?: boolean;
}

type EventRow = [position: number, streamId: string, revision: number, eventId: string, type: string, data: string, metadata: string, previousHash: string, hash: string];

const COLUMNS = 'position::float8, stream_id, revision::float8, event_id, type, data, metadata, previous_hash, hash';
const READ_ALL = `SELECT ${COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2`;
const READ_STREAM = `SELECT ${COLUMNS} FROM events WHERE stream_id = $1 AND revision >= $2 ORDER BY revision LIMIT $3`;
const HEAD = 'SELECT position::float8 FROM log_head';
const STREAM_REVISION = 'SELECT revision::float8 FROM streams WHERE stream_id = $1';

/**
 * The event store on PostgreSQL (node-postgres). An append is one transaction on a pooled
 * connection (see `appendInTransaction`): the stream's row is locked, the expectation checked,
 * the hash chain extended, and the positions taken from a one-row counter whose lock is held to
 * the commit, so the global log is written in position order with no holes a follower could skip.
 * `waitForEvents` wakes on NOTIFY (sent by every append, from any process, at its commit) through
 * one dedicated LISTEN connection, with a slow poll as the fallback.
 */
export class PostgresEventStore implements EventStore {
  readonly pool: Pool;
  private readonly listener: AppendListener | undefined;
  private readonly defaultBatchSize: number;
  private readonly maxBatchSize: number;
  private readonly endPool: boolean;
  private readonly waiters: HeadWaiters;
  private lastHead = 0;
  private closed = false;

  constructor(pool: Pool, options: PostgresEventStoreOptions = {}) {
    this.pool = pool;
    this.waiters = new HeadWaiters({
      pollIntervalMs: Math.max(1, options.pollIntervalMs ?? 1000),
      poll: () => {
        if (this.closed) return;
        if (this.listener && !this.listener.listening) void this.listen();
        void this.refresh();
      },
      currentHead: () => this.currentHead(),
    });
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? 5000);
    this.defaultBatchSize = Math.min(this.maxBatchSize, Math.max(1, options.defaultBatchSize ?? 1000));
    this.endPool = options.endPool ?? false;
    this.listener = options.listen ? new AppendListener(options.listen, (head) => this.wake(head)) : undefined;
  }

  async appendToStream(streamId: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    this.assertOpen();
    validateAppend(streamId, events);
    assertNoNul(streamId, 'streamId');
    const prepared = prepareEvents(events);
    const client = await this.connect(`append to '${streamId}'`);
    let broken: Error | undefined;
    let committing = false;
    try {
      // The first message carries the BEGIN, the last one the COMMIT: once that is sent, an answer lost with the connection leaves the outcome unknown.
      const result = await appendInTransaction(client, streamId, prepared, options.expectedRevision, {
        begin: true,
        commit: true,
        onCommitSent: () => (committing = true),
      });
      this.wake(result.lastPosition);
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK'); // a no-op warning when the COMMIT ran; ends the aborted transaction otherwise
      } catch (rollback) {
        broken = rollback as Error;
      }
      // A COMMIT whose answer was lost with the connection may have committed: the caller retrying with the same event ids is safe (duplicate ids are refused).
      throw toAppendError(error, streamId, events, committing && broken !== undefined);
    } finally {
      client.release(broken);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const from = Math.max(0, options.fromRevision ?? 0);
    const limit = options.maxCount === undefined ? null : Math.max(0, options.maxCount);
    return this.read(READ_STREAM, [streamId, from, limit], `read of stream '${streamId}' failed`);
  }

  async streamRevision(streamId: string): Promise<number> {
    this.assertOpen();
    try {
      const result = await this.pool.query<[number]>({ text: STREAM_REVISION, values: [streamId], rowMode: 'array' });
      return result.rows[0]?.[0] ?? -1;
    } catch (error) {
      throw toStoreError(error, `revision of stream '${streamId}' unavailable`);
    }
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const after = options.after ?? 0;
    const limit = Math.min(this.maxBatchSize, Math.max(0, options.maxCount ?? this.defaultBatchSize));
    return this.read(READ_ALL, [after, limit], `read of the log after ${after} failed`);
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.readHead();
  }

  async waitForEvents(after: number, options: WaitOptions = {}): Promise<number> {
    const { timeoutMs, signal } = options;
    this.assertOpen();
    const head = await this.readHead();
    if (head > after || signal?.aborted || this.closed) return head;
    const waiting = this.waiters.wait(after, { timeoutMs, signal });
    // An append that committed between the head read above and the LISTEN would not be
    // notified to us: read the head again once the LISTEN is in place.
    void this.listen().then(() => this.refresh());
    return waiting;
  }

  /** Settles pending waits with the current head, closes the LISTEN connection, and ends the pool if asked to. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const head = await this.currentHead();
    this.closed = true;
    this.waiters.settleAll(head);
    await this.listener?.close();
    if (this.endPool) await this.pool.end().catch(() => undefined);
  }

  private async connect(what: string): Promise<PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw toStoreError(error, `${what} failed: no connection`);
    }
  }

  private async read(text: string, values: unknown[], what: string): Promise<StoredEvent[]> {
    let rows: EventRow[];
    try {
      rows = (await this.pool.query<EventRow>({ text, values, rowMode: 'array' })).rows;
    } catch (error) {
      throw toStoreError(error, what);
    }
    const events = new Array<StoredEvent>(rows.length);
    for (let i = 0; i < rows.length; i++) events[i] = toStoredEvent(rows[i] as EventRow);
    return events;
  }

  private async readHead(): Promise<number> {
    try {
      const result = await this.pool.query<[number]>({ text: HEAD, rowMode: 'array' });
      const head = result.rows[0]?.[0] ?? 0;
      if (head > this.lastHead) this.lastHead = head;
      return head;
    } catch (error) {
      throw toStoreError(error, 'head position unavailable');
    }
  }

  /** The head, or the last one seen when the database cannot answer (closing, closed, down). */
  private async currentHead(): Promise<number> {
    if (this.closed) return this.lastHead;
    try {
      return await this.readHead();
    } catch {
      return this.lastHead;
    }
  }

  private async listen(): Promise<void> {
    try {
      await this.listener?.ensure();
    } catch {
      // The fallback poll keeps the waits going, and tries the LISTEN again.
    }
  }

  private async refresh(): Promise<void> {
    if (this.closed || this.waiters.pending === 0) return;
    this.wake(await this.currentHead());
  }

  private wake(head: number): void {
    if (head > this.lastHead) this.lastHead = head;
    this.waiters.wake(head);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('the PostgreSQL event store is closed', { retryable: false });
  }
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row[3],
    type: row[4],
    data: JSON.parse(row[5]) as JsonObject,
    metadata: JSON.parse(row[6]) as JsonObject,
    streamId: row[1],
    revision: row[2],
    position: row[0],
    hash: row[8],
    previousHash: row[7],
  };
}
