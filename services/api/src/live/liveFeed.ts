import type { EventStore, ReadModelStore } from '@interlend/engine';
import type { Principal } from '@interlend/deployment';
import { ChangeReader, visibleChange, type LiveChange } from './liveChange';
import type { SseConnection } from './sseConnection';

export interface LiveFeedOptions {
  readonly events: EventStore;
  readonly readModels: ReadModelStore;
  readonly projections: readonly string[];
  /** How often to look at the read models' checkpoints while they are behind the log. Default 25 ms. */
  readonly checkpointPollMs?: number;
  /** Longest wait for new events before looking again (the store wakes the wait on appends). Default 5 s. */
  readonly idlePollMs?: number;
  /** Events read from the log at a time. Default 500. */
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

/** A client of the feed: its key, its stream, and the position up to which it has been given every change it may see. */
interface Subscriber {
  readonly principal: Principal;
  readonly connection: SseConnection;
  cursor: number;
  live: boolean;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * Tails the log once for every client and fans the changes out. The feed's `position` is the last
 * event it has handed to its live subscribers; it moves only to positions every read model in
 * `projections` has passed, so a client that re-reads on a change sees it. A client that resumes
 * from an earlier position replays the log itself (`subscribe`) up to the feed's position and then
 * joins the fan-out in the same tick: no change is missed or sent twice.
 */
export class LiveFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly reader: ChangeReader;
  private readonly abort = new AbortController();
  private started: Promise<void> | undefined;
  private loop: Promise<void> | undefined;
  /** Last position fanned out; -1 until the feed has started. */
  private position = -1;

  constructor(private readonly options: LiveFeedOptions) {
    this.reader = new ChangeReader(options.events);
  }

  get clients(): number {
    return this.subscribers.size;
  }

  /** The position up to which both the log and every read model in `projections` have gone. */
  async announced(): Promise<number> {
    const head = await this.options.events.headPosition();
    const checkpoints = await Promise.all(this.options.projections.map((p) => this.options.readModels.checkpoint(p)));
    return Math.min(head, ...checkpoints);
  }

  /** Starts following the log (once), from what is announced now. */
  start(): Promise<void> {
    this.started ??= (async () => {
      this.position = await this.announced();
      this.loop = this.follow();
    })().catch((error: unknown) => {
      this.started = undefined; // the store did not answer: the next client tries again
      throw error;
    });
    return this.started;
  }

  /**
   * Streams `principal`'s changes to `connection`: after `after` when given (replayed from the log,
   * then a `ready` event, then live), else from the feed's position, announced first with `ready`.
   */
  async subscribe(principal: Principal, connection: SseConnection, after: number | undefined): Promise<void> {
    await this.start();
    if (this.abort.signal.aborted) return connection.close('server', 'server closing');
    const head = await this.options.events.headPosition();
    if (after === undefined || after > head) {
      // No position, or one this log never reached (a log restored from a backup): start here.
      const start = this.position;
      connection.send(start, 'ready', { position: start, head, resumed: false });
      this.join({ principal, connection, cursor: start, live: true });
      return;
    }
    const subscriber: Subscriber = { principal, connection, cursor: after, live: false };
    this.join(subscriber);
    const reader = new ChangeReader(this.options.events, { cacheSize: 1_000 });
    const batchSize = this.options.batchSize ?? 500;
    while (!connection.closed) {
      const bound = this.position;
      if (subscriber.cursor >= bound) {
        // Same tick as reading `this.position`: the fan-out takes over after `cursor`.
        connection.send(subscriber.cursor, 'ready', { position: subscriber.cursor, head, resumed: true });
        subscriber.live = true;
        return;
      }
      const batch = await this.options.events.readAll({ after: subscriber.cursor, maxCount: batchSize });
      const due = batch.filter((e) => e.position <= bound);
      for (const event of due) {
        const change = await reader.changeOf(event);
        const visible = change && visibleChange(change, principal);
        if (visible && !connection.send(event.position, 'change', visible)) return;
        subscriber.cursor = event.position;
        await connection.drained();
        if (connection.closed) return;
      }
      // The log holds nothing else up to the bound: it went past it, or this read reached its head.
      if (due.length < batch.length || batch.length < batchSize) subscriber.cursor = Math.max(subscriber.cursor, bound);
    }
  }

  private join(subscriber: Subscriber): void {
    this.subscribers.add(subscriber);
    subscriber.connection.onClose(() => this.subscribers.delete(subscriber));
  }

  /** A heartbeat to every client (with the position each has been given everything up to). */
  heartbeat(): void {
    for (const s of this.subscribers) s.connection.heartbeat(s.cursor);
  }

  /** Stops following and ends every stream. */
  async stop(): Promise<void> {
    this.abort.abort();
    for (const s of [...this.subscribers]) s.connection.close('server', 'server closing');
    await this.started?.catch(() => undefined);
    await this.loop;
  }

  private async follow(): Promise<void> {
    const signal = this.abort.signal;
    let failures = 0;
    while (!signal.aborted) {
      try {
        await this.step(signal);
        failures = 0;
      } catch (error) {
        failures++;
        this.report(error);
        await pause(Math.min(250 * 2 ** (failures - 1), 30_000), signal);
      }
    }
  }

  /** Fans out what the read models have passed, or waits for more. */
  private async step(signal: AbortSignal): Promise<void> {
    const { events } = this.options;
    const ready = await this.announced();
    if (ready <= this.position) {
      const head = await events.headPosition();
      if (head > this.position) await pause(this.options.checkpointPollMs ?? 25, signal); // the read models are behind
      else await events.waitForEvents(this.position, { signal, timeoutMs: this.options.idlePollMs ?? 5_000 });
      return;
    }
    const batchSize = this.options.batchSize ?? 500;
    const batch = await events.readAll({ after: this.position, maxCount: batchSize });
    for (const event of batch) {
      if (event.position > ready || signal.aborted) return;
      const change = this.subscribers.size > 0 ? await this.reader.changeOf(event) : undefined;
      // From here to the position's move, nothing awaits: a replay that joins sees both or neither.
      if (change) this.fanOut(change);
      this.advance(event.position);
    }
    if (batch.length < batchSize) this.advance(ready); // no event left up to `ready`
  }

  private fanOut(change: LiveChange): void {
    for (const s of this.subscribers) {
      if (!s.live || s.cursor >= change.position) continue;
      const visible = visibleChange(change, s.principal);
      if (visible) s.connection.send(change.position, 'change', visible);
    }
  }

  private advance(position: number): void {
    if (position <= this.position) return;
    this.position = position;
    for (const s of this.subscribers) if (s.live && s.cursor < position) s.cursor = position;
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(error);
    } catch {
      // a logger that fails must not stop the feed
    }
  }
}
