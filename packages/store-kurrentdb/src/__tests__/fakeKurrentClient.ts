import { EventEmitter } from 'node:events';
import { StreamNotFoundError, WrongExpectedVersionError } from '@kurrent/kurrentdb-client';
import type { AppendResult, AppendStreamState, EventData, Filter, Position, ReadPosition, ResolvedEvent } from '@kurrent/kurrentdb-client';
import type { KurrentClient } from '../kurrentEventStore';

/**
 * A model of the parts of a KurrentDB server the adapter uses, for unit tests only: NOT a
 * substitute for the contract suite against a real server (kurrentStore.int.test.ts). It follows
 * what the server's source and the client's types say:
 * - one transaction log; every event is a self-committed prepare whose commit and prepare
 *   positions are its own byte offset (so the events of one append have different, non-contiguous
 *   commit positions, and records of other streams lie between appends);
 * - an append checks the expected stream state and fails with the client's
 *   WrongExpectedVersionError; one whose event ids are already the stream's events right after
 *   that state succeeds again with the same result (the server's idempotency);
 * - reading a missing stream fails with StreamNotFoundError; stream reads carry positions;
 * - `$all` reads are inclusive of `fromPosition` forwards, which must be a record boundary
 *   (the server refuses others), and apply stream-name prefix filters;
 * - subscriptions from END emit 'confirmation' and then each matching event appended later.
 */
interface Row {
  readonly stream: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
  readonly position: bigint;
}

export class FakeKurrentClient {
  readonly log: Row[] = [];
  private readonly streams = new Map<string, Row[]>();
  private readonly subscribers = new Set<{ emitter: EventEmitter; prefixes: string[] }>();
  private next = 5_000n;
  appends = 0;
  /** Writes a record of another stream (a system stream, another application) before every append, as a busy server would. */
  noise = true;
  disposed = false;

  async appendToStream(streamName: string, events: EventData | EventData[], options: { streamState?: AppendStreamState } = {}): Promise<AppendResult> {
    await tick();
    const batch = Array.isArray(events) ? events : [events];
    const state = options.streamState ?? 'any';
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length === 0 ? -1n : BigInt(stream.length - 1);
    const first = state === 'no_stream' ? 0 : typeof state === 'bigint' ? Number(state) + 1 : undefined;
    if (first !== undefined && first + batch.length <= stream.length && batch.every((e, i) => stream[first + i]?.id === e.id)) {
      const last = stream[first + batch.length - 1] as Row;
      return { success: true, nextExpectedRevision: last.revision, position: { commit: last.position, prepare: last.position } };
    }
    const ok = state === 'any' || (state === 'no_stream' && current === -1n) || (state === 'stream_exists' && current >= 0n) || (typeof state === 'bigint' && state === current);
    if (!ok) throw new WrongExpectedVersionError(undefined, { streamName, expected: state, current: current === -1n ? 'no_stream' : current });
    if (this.noise) this.write(`$stats-${this.appends}`, { id: crypto.randomUUID(), type: '$statsCollected', data: { n: this.appends }, metadata: undefined } as unknown as EventData);
    this.appends++;
    const rows = batch.map((e) => this.write(streamName, e));
    const last = rows[rows.length - 1] as Row;
    if (this.noise) this.write('other-app-orders', { id: crypto.randomUUID(), type: 'OrderPlaced', data: {}, metadata: undefined } as unknown as EventData);
    for (const row of rows) for (const s of this.subscribers) if (s.prefixes.some((p) => row.stream.startsWith(p))) setImmediate(() => s.emitter.emit('data', this.resolved(row)));
    return { success: true, nextExpectedRevision: last.revision, position: { commit: last.position, prepare: last.position } };
  }

  async *readStream(streamName: string, options: { fromRevision?: bigint | 'start' | 'end'; maxCount?: number | bigint; direction?: 'forwards' | 'backwards' } = {}): AsyncIterableIterator<ResolvedEvent> {
    {
      await tick();
      const stream = this.streams.get(streamName);
      if (!stream) throw new StreamNotFoundError(undefined, streamName);
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      const backwards = options.direction === 'backwards';
      const from = options.fromRevision === undefined || options.fromRevision === 'start' ? (backwards ? 0 : 0) : options.fromRevision === 'end' ? stream.length - 1 : Number(options.fromRevision);
      const rows = backwards ? stream.slice(0, from + 1).reverse() : stream.slice(from);
      for (const row of rows.slice(0, max)) yield this.resolved(row, false);
    }
  }

  async *readAll(options: { fromPosition?: ReadPosition; maxCount?: number | bigint; direction?: 'forwards' | 'backwards'; filter?: Filter } = {}): AsyncIterableIterator<ResolvedEvent> {
    {
      await tick();
      const max = Number(options.maxCount ?? Number.MAX_SAFE_INTEGER);
      const prefixes = prefixesOf(options.filter);
      const backwards = options.direction === 'backwards';
      let rows: Row[];
      const from = options.fromPosition ?? 'start';
      if (from === 'start') rows = backwards ? [] : this.log;
      else if (from === 'end') rows = backwards ? [...this.log].reverse() : [];
      else {
        const at = (from as Position).commit;
        if ((from as Position).prepare !== at || !this.log.some((r) => r.position === at)) throw new Error(`InvalidPosition: ${at}/${(from as Position).prepare} is not a record boundary`);
        rows = backwards ? this.log.filter((r) => r.position <= at).reverse() : this.log.filter((r) => r.position >= at);
      }
      let n = 0;
      for (const row of rows) {
        if (n >= max) break;
        if (prefixes && !prefixes.some((p) => row.stream.startsWith(p))) continue;
        n++;
        yield this.resolved(row);
      }
    }
  }

  subscribeToAll(options: { fromPosition?: ReadPosition; filter?: Filter } = {}): ReturnType<KurrentClient['subscribeToAll']> {
    if (options.fromPosition !== 'end') throw new Error('the fake only subscribes from END');
    const emitter = new EventEmitter();
    const entry = { emitter, prefixes: prefixesOf(options.filter) ?? [''] };
    this.subscribers.add(entry);
    setImmediate(() => emitter.emit('confirmation'));
    const subscription = Object.assign(emitter, {
      unsubscribe: async () => {
        this.subscribers.delete(entry);
        emitter.emit('close');
      },
    });
    return subscription as unknown as ReturnType<KurrentClient['subscribeToAll']>;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  get subscriptions(): number {
    return this.subscribers.size;
  }

  asClient(): KurrentClient {
    return this as unknown as KurrentClient;
  }

  private write(stream: string, e: EventData): Row {
    const rows = this.streams.get(stream) ?? [];
    if (rows.length === 0) this.streams.set(stream, rows);
    const data = JSON.stringify(e.data);
    const metadata = e.metadata === undefined ? '' : JSON.stringify(e.metadata);
    const row: Row = { stream, revision: BigInt(rows.length), id: e.id, type: e.type, data, metadata, position: this.next };
    this.next += BigInt(120 + Buffer.byteLength(stream) + Buffer.byteLength(e.type) + Buffer.byteLength(data) + Buffer.byteLength(metadata));
    rows.push(row);
    this.log.push(row);
    return row;
  }

  /** As the client converts it: JSON parsed, metadata parsed when it is JSON. */
  private resolved(row: Row, fromAll = true): ResolvedEvent {
    const event = {
      streamId: row.stream,
      id: row.id,
      revision: row.revision,
      type: row.type,
      isJson: true,
      created: new Date(0),
      data: JSON.parse(row.data) as unknown,
      metadata: row.metadata.length ? (JSON.parse(row.metadata) as unknown) : undefined,
      position: { commit: row.position, prepare: row.position },
    };
    return { event, ...(fromAll ? { commitPosition: row.position } : {}) } as unknown as ResolvedEvent;
  }
}

function prefixesOf(filter: Filter | undefined): string[] | undefined {
  if (!filter) return undefined;
  const f = filter as { filterOn?: string; prefixes?: string[] };
  if (f.filterOn !== 'streamName' || !f.prefixes) throw new Error(`the fake filters on stream-name prefixes only: ${JSON.stringify(filter)}`);
  return f.prefixes;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
