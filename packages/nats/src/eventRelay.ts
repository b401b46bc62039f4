import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { advanceCheckpoint, type EventStore, type ReadModelStore, type StoredEvent } from '@interlend/engine';
import { encode, eventMessage } from './envelopes';
import { natsFailure } from './errorBodies';
import { backoffDelay, pause } from './pause';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';
import { HEADERS, token, type Subjects } from './subjects';

/** The parties an event concerns (for ILL: the borrower and the current lender), in subject-slot order. */
export type PartiesOf = (event: StoredEvent) => readonly string[] | Promise<readonly string[]>;

export type EventRelayEvent =
  | { readonly type: 'published'; readonly events: number; readonly position: number }
  | { readonly type: 'checkpoint-moved'; readonly from: number; readonly to: number }
  | { readonly type: 'error'; readonly error: unknown; readonly failures: number; readonly retryInMs: number };

export interface EventRelayOptions {
  readonly settings?: NatsSettingsInput | NatsSettings;
  /** Checkpoint name in the read-model store. Default 'nats.relay'. */
  readonly name?: string;
  readonly parties?: PartiesOf;
  /** Events read from the store at a time. Default 500. */
  readonly batchSize?: number;
  /** Publishes awaiting JetStream's acknowledgement at once (never two of one stream). Default 256. */
  readonly window?: number;
  readonly publishTimeoutMs?: number;
  readonly onEvent?: (event: EventRelayEvent) => void;
}

/**
 * Publishes every committed event once to the EVENTS stream, in log order: follows the event
 * store's global log from its own checkpoint (kept in the read-model store, moved by
 * compare-and-set after JetStream acknowledged the events). At least once, and deduplicated by
 * JetStream on the event id (Nats-Msg-Id) within the stream's duplicate window: a relay that dies
 * between publishing and moving its checkpoint publishes those events again and the server drops
 * them. Events of one stream are never in flight together, so the feed holds each stream's events
 * in revision order even when a publish fails. Two relays may run: the one that finds the
 * checkpoint moved takes the later position and goes on.
 */
export class EventRelay {
  private readonly js: JetStreamClient;
  private readonly subjects: Subjects;
  private readonly name: string;
  private readonly parties: PartiesOf;

  constructor(
    nc: NatsConnection,
    private readonly store: EventStore,
    private readonly readModels: ReadModelStore,
    private readonly options: EventRelayOptions = {},
  ) {
    this.js = jetstream(nc);
    this.subjects = subjectsOf(resolveSettings(options.settings));
    this.name = options.name ?? 'nats.relay';
    this.parties = options.parties ?? (() => []);
  }

  /** Publishes everything after the checkpoint up to the head; returns how many events were published and the position reached. */
  async catchUp(): Promise<{ published: number; position: number }> {
    let position = await this.readModels.checkpoint(this.name);
    let published = 0;
    for (;;) {
      const batch = await this.store.readAll({ after: position, maxCount: this.options.batchSize ?? 500 });
      if (batch.length === 0) return { published, position };
      const { done, failure } = await this.publishBatch(batch);
      const count = batch.filter((e) => e.position <= done).length;
      if (done > position) position = await this.advance(position, done);
      published += count;
      if (count) this.report({ type: 'published', events: count, position });
      if (failure) throw failure;
    }
  }

  /** Follows the log until `signal` aborts, surviving every failure (reported, then retried after 250 ms doubling to 30 s). */
  async run(options: { signal: AbortSignal; pollMs?: number }): Promise<void> {
    let failures = 0;
    while (!options.signal.aborted) {
      try {
        const { position } = await this.catchUp();
        failures = 0;
        await this.store.waitForEvents(position, { signal: options.signal, timeoutMs: options.pollMs ?? 1_000 });
      } catch (error) {
        failures++;
        const retryInMs = backoffDelay(failures);
        this.report({ type: 'error', error, failures, retryInMs });
        await pause(retryInMs, options.signal);
      }
    }
  }

  /**
   * Publishes a batch with up to `window` publishes in flight, never two of one stream. Returns
   * the position up to which every event was acknowledged, and the first failure if any.
   */
  private async publishBatch(batch: readonly StoredEvent[]): Promise<{ done: number; failure?: unknown }> {
    const window = this.options.window ?? 256;
    const acked = new Array<boolean>(batch.length).fill(false);
    const inFlight = new Set<Promise<void>>();
    const lastOfStream = new Map<string, Promise<void>>();
    let failure: unknown;
    let failed = false;
    for (let i = 0; i < batch.length && !failed; i++) {
      while (inFlight.size >= window) await Promise.race(inFlight);
      if (failed) break;
      const event = batch[i]!;
      const previous = lastOfStream.get(event.streamId);
      const publish = (async () => {
        if (previous) await previous; // a failed predecessor fails this one unsent
        await this.publish(event);
        acked[i] = true;
      })();
      lastOfStream.set(event.streamId, publish);
      const tracked: Promise<void> = publish
        .catch((error: unknown) => {
          if (!failed) failure = error;
          failed = true;
        })
        .finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
    }
    await Promise.all(inFlight);
    let k = 0;
    while (k < batch.length && acked[k]) k++;
    const before = batch[0]!.position - 1;
    return { done: k === 0 ? before : batch[k - 1]!.position, ...(failed ? { failure } : {}) };
  }

  private async publish(event: StoredEvent): Promise<void> {
    const parties = await this.parties(event);
    const h = headers();
    h.set(HEADERS.stream, event.streamId);
    h.set(HEADERS.revision, String(event.revision));
    h.set(HEADERS.position, String(event.position));
    h.set(HEADERS.eventType, event.type);
    h.set(HEADERS.eventId, event.id);
    if (parties.length) h.set(HEADERS.parties, parties.map(token).join(','));
    try {
      await this.js.publish(this.subjects.event(parties, event.streamId, event.type), encode(eventMessage(event)), {
        msgID: event.id,
        headers: h,
        timeout: this.options.publishTimeoutMs ?? 5_000,
      });
    } catch (error) {
      throw natsFailure(`cannot publish event ${event.id} (position ${event.position})`, error, { position: event.position });
    }
  }

  /** Moves the checkpoint from `from` to `to`; when another relay moved it first, returns the later of the two. */
  private advance(from: number, to: number): Promise<number> {
    return advanceCheckpoint(this.readModels, this.name, from, to, (moved) => this.report({ type: 'checkpoint-moved', ...moved }));
  }


  private report(event: EventRelayEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a logger that fails must not stop the relay
    }
  }
}
