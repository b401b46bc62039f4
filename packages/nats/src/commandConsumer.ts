import { jetstream, type Consumer, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ForbiddenError, StoreError, isInterlendError, type CommandInput, type StoredEvent } from '@interlend/engine';
import { DeadLetters } from './deadLetters';
import { CommandEnvelopeSchema, decode, encode, eventMessage, type CommandEnvelope, type CommandOutcome, type CommandReply, type DeadLetterKind, type ErrorBody } from './envelopes';
import { errorBody, isRefusal, isTransient, natsFailure } from './errorBodies';
import { backoffDelay, pause } from './pause';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';
import { Slots } from './slots';
import { HEADERS, token, type Subjects } from './subjects';

/** What `handle` returns: the engine's CommandResult has this shape. */
export interface HandledCommand {
  readonly streamId: string;
  readonly commandId: string;
  readonly duplicate: boolean;
  readonly events: readonly StoredEvent[];
  readonly state: { readonly stateName: string; readonly revision: number; readonly snapshot: unknown };
  /** The commands the state accepts now (the workflow's `allowedCommands`), if the wiring tells. */
  readonly allowed?: readonly string[];
}

export type CommandConsumerEvent =
  | { readonly type: 'applied'; readonly via: 'queue' | 'rpc'; readonly commandId: string; readonly streamId: string; readonly commandType: string; readonly duplicate: boolean; readonly events: number }
  | { readonly type: 'retry'; readonly commandId: string; readonly deliveries: number; readonly delayMs: number; readonly error: ErrorBody }
  | { readonly type: 'dead-letter'; readonly kind: DeadLetterKind; readonly seq: number; readonly reason: ErrorBody }
  | { readonly type: 'refused'; readonly via: 'rpc'; readonly commandId?: string; readonly reason: ErrorBody }
  | { readonly type: 'error'; readonly stage: 'pull' | 'dead-letter' | 'settle' | 'rpc'; readonly error: unknown };

export interface CommandConsumerOptions {
  /** Applies one command and resolves once its events are appended: e.g. `(c) => handler.handle(c)`. */
  readonly handle: (command: CommandInput) => Promise<HandledCommand>;
  /**
   * Run after commands were applied (carry out effects, update read models): coalesced, never
   * more than one at a time, never delaying an acknowledgement. Failures are reported, not thrown.
   */
  readonly settle?: () => Promise<unknown>;
  readonly settings?: NatsSettingsInput | NatsSettings;
  /** Commands this worker handles at once (queue and requests together). Default 8. */
  readonly concurrency?: number;
  /**
   * Messages pulled ahead (at most the consumer's max_batch). Default 1: the loop takes a message
   * only when it can start it or hold it (extending its ack deadline) until a slot frees; a larger
   * prefetch leaves the rest in the client's buffer with their ack clocks running.
   */
  readonly prefetch?: number;
  /** Also answer requests (`NatsCommandBus.request`). Default true. */
  readonly serveRequests?: boolean;
  /** Deliveries that fail with an unexpected (non-engine) error before the command is dead-lettered as poison. Default 3. */
  readonly poisonAfter?: number;
  /** Delay before a failed command is delivered again, by deliveries so far. Default 250 ms doubling to 30 s. */
  readonly retryDelayMs?: (deliveries: number) => number;
  readonly onEvent?: (event: CommandConsumerEvent) => void;
}

export interface CommandConsumerStats {
  applied: number;
  duplicates: number;
  retried: number;
  deadLettered: number;
  requests: number;
}

/**
 * A worker's side of the command work queue: pulls from the one durable consumer every worker
 * shares, validates each message (zod), applies it through `handle`, and acknowledges only after
 * the append committed. A transient failure (store, conflict) is nak'ed with a growing delay; a
 * malformed, invalid, refused or poison message is written to the dead-letter stream with the
 * reason and terminated, and nothing reaches the store. While a command runs its ack deadline is
 * extended (working()) every third of the ack wait. It also answers requests on `<prefix>.rpc.>` in a
 * queue group. `stop()` stops taking work and finishes what is in hand.
 */
export class CommandConsumer {
  readonly stats: CommandConsumerStats = { applied: 0, duplicates: 0, retried: 0, deadLettered: 0, requests: 0 };
  private readonly js: JetStreamClient;
  private readonly settings: NatsSettings;
  private readonly subjects: Subjects;
  private readonly slots: Slots;
  private readonly prefetch: number;
  private readonly deadLetters: DeadLetters;
  /** From the consumer's own configuration (read at start), whatever this worker's settings say. */
  private maxDeliver: number;
  private workingEveryMs: number;
  private stopping: Promise<void> | undefined;
  private readonly tasks = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private messages: ConsumerMessages | undefined;
  private subscription: Subscription | undefined;
  private loop: Promise<void> | undefined;
  private settling: Promise<void> | undefined;
  private settleAgain = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: CommandConsumerOptions,
  ) {
    this.js = jetstream(nc);
    this.settings = resolveSettings(options.settings);
    this.subjects = subjectsOf(this.settings);
    this.slots = new Slots(options.concurrency ?? 8);
    this.prefetch = Math.max(1, Math.min(options.prefetch ?? 1, this.settings.commands.maxBatch));
    this.maxDeliver = this.settings.commands.maxDeliver;
    this.workingEveryMs = workingEvery(this.settings.commands.ackWaitMs);
    this.deadLetters = new DeadLetters(this.js, this.subjects);
  }

  get running(): boolean {
    return this.loop !== undefined && !this.abort.signal.aborted;
  }

  /** Starts pulling (and answering requests). Throws StoreError when the consumer does not exist (run ensureStreams first). */
  async start(): Promise<void> {
    if (this.loop) throw new TypeError('CommandConsumer: already started');
    let consumer: Consumer;
    try {
      consumer = await this.js.consumers.get(this.subjects.streamName('COMMANDS'), this.settings.commands.durable);
      const { config } = await consumer.info(true);
      if (config.max_deliver && config.max_deliver > 0) this.maxDeliver = config.max_deliver;
      if (config.ack_wait) this.workingEveryMs = workingEvery(config.ack_wait / 1_000_000);
      if (this.options.serveRequests ?? true) {
        this.subscription = this.nc.subscribe(this.subjects.rpcAll, {
          queue: `${this.settings.commands.durable}`,
          callback: (error, msg) => {
            if (error) this.report({ type: 'error', stage: 'rpc', error });
            else this.track(this.serve(msg));
          },
        });
        await this.nc.flush();
      }
    } catch (error) {
      throw natsFailure('cannot start the command consumer', error);
    }
    this.loop = this.pull(consumer);
  }

  /**
   * Stops taking work: no more pulls, no more requests; messages already pulled but not started
   * are handed back at once (nak) for another worker. Resolves when every command in hand is
   * acknowledged (or nak'ed) and the last settle ran.
   */
  stop(): Promise<void> {
    this.stopping ??= this.finish();
    return this.stopping;
  }

  private async finish(): Promise<void> {
    this.abort.abort();
    await this.subscription?.drain().catch(() => undefined);
    await this.messages?.close().catch(() => undefined);
    await this.loop;
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    while (this.settling) await this.settling;
    await this.nc.flush().catch(() => undefined); // acks leave before the caller closes the connection
  }

  private async pull(first: Consumer): Promise<void> {
    let consumer: Consumer | undefined = first;
    let failures = 0;
    while (!this.abort.signal.aborted && !this.nc.isClosed()) {
      try {
        consumer ??= await this.js.consumers.get(this.subjects.streamName('COMMANDS'), this.settings.commands.durable);
        const messages = await consumer.consume({ max_messages: this.prefetch });
        this.messages = messages;
        if (this.abort.signal.aborted) await messages.close();
        for await (const m of messages) {
          if (this.abort.signal.aborted) {
            m.nak();
            continue;
          }
          const release = await this.slotFor(m);
          if (!release || this.abort.signal.aborted) {
            release?.();
            m.nak(); // stopping: hand it back to another worker now
            continue;
          }
          failures = 0;
          this.track(this.process(m).finally(release));
        }
      } catch (error) {
        this.report({ type: 'error', stage: 'pull', error });
        consumer = undefined;
      }
      if (!this.abort.signal.aborted && !this.nc.isClosed()) await pause(backoffDelay(++failures), this.abort.signal);
    }
  }

  /** Waits for a free slot; the message's ack deadline is extended meanwhile (it is in hand, not yet started). */
  private async slotFor(m: JsMsg): Promise<(() => void) | undefined> {
    const keepAlive = setInterval(() => m.working(), this.workingEveryMs);
    try {
      return await this.slots.acquire(this.abort.signal);
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** One message of the work queue, from decoding to ack, nak or dead letter. */
  private async process(m: JsMsg): Promise<void> {
    const deliveries = m.info.deliveryCount;
    if (deliveries >= this.maxDeliver) {
      const error = new StoreError(`delivered ${deliveries} times without being applied (workers died, hung or kept failing on it)`, { deliveries });
      return this.deadLetter(m, 'exhausted', error);
    }
    let envelope: CommandEnvelope;
    try {
      envelope = this.decode(m.subject, m.data);
    } catch (error) {
      return this.deadLetter(m, deadLetterKind(error), error);
    }
    const keepAlive = setInterval(() => m.working(), this.workingEveryMs);
    try {
      const result = await this.options.handle(toCommandInput(envelope));
      m.ack(); // the append committed: only now
      this.applied('queue', envelope, result);
    } catch (error) {
      if (isRefusal(error)) return this.deadLetter(m, deadLetterKind(error), error);
      if (!isTransient(error) && deliveries >= (this.options.poisonAfter ?? 3)) return this.deadLetter(m, 'poison', error);
      const delayMs = (this.options.retryDelayMs ?? backoffDelay)(deliveries);
      m.nak(delayMs);
      this.stats.retried++;
      this.report({ type: 'retry', commandId: envelope.commandId, deliveries, delayMs, error: errorBody(error) });
    } finally {
      clearInterval(keepAlive);
    }
  }

  /** One request: the same validation and handling, answered with the outcome or the error. */
  private async serve(msg: Msg): Promise<void> {
    const release = (await this.slots.acquire())!;
    let envelope: CommandEnvelope | undefined;
    let reply: CommandReply;
    try {
      this.stats.requests++;
      envelope = this.decode(msg.subject, msg.data);
      const result = await this.options.handle(toCommandInput(envelope));
      this.applied('rpc', envelope, result);
      reply = { ok: true, outcome: toOutcome(result) };
    } catch (error) {
      reply = { ok: false, error: errorBody(error) };
      this.report({ type: 'refused', via: 'rpc', commandId: envelope?.commandId, reason: reply.error });
    } finally {
      release();
    }
    if (!msg.reply) return;
    try {
      msg.respond(encode(reply));
    } catch (error) {
      this.report({ type: 'error', stage: 'rpc', error });
    }
  }

  /** The envelope, checked; the subject must name the envelope's actor (what access control grants by subject). */
  private decode(subject: string, data: Uint8Array): CommandEnvelope {
    const envelope = decode(CommandEnvelopeSchema, data, 'command');
    const actorToken = this.subjects.actorTokenOf(subject);
    if (actorToken !== token(envelope.actor.id)) {
      throw new ForbiddenError(`the subject '${subject}' does not name the command's actor '${envelope.actor.id}'`, { subject, actor: envelope.actor.id });
    }
    return envelope;
  }

  /** Writes the dead letter, then terminates the message (plain term(): 2.9 ignores a term with a reason). */
  private async deadLetter(m: JsMsg, kind: DeadLetterKind, error: unknown): Promise<void> {
    try {
      await this.deadLetters.record('commands', kind, error, {
        subject: m.subject,
        stream: m.info.stream,
        seq: m.seq,
        deliveries: m.info.deliveryCount,
        msgId: m.headers?.get(HEADERS.msgId) || undefined,
      }, m.data, m.headers);
    } catch (failure) {
      // Not recorded: keep the message and try again later rather than lose it.
      this.report({ type: 'error', stage: 'dead-letter', error: failure });
      m.nak(backoffDelay(m.info.deliveryCount));
      return;
    }
    m.term();
    this.stats.deadLettered++;
    this.report({ type: 'dead-letter', kind, seq: m.seq, reason: errorBody(error) });
  }

  private applied(via: 'queue' | 'rpc', envelope: CommandEnvelope, result: HandledCommand): void {
    if (result.duplicate) this.stats.duplicates++;
    else this.stats.applied++;
    this.report({ type: 'applied', via, commandId: envelope.commandId, streamId: envelope.streamId, commandType: envelope.type, duplicate: result.duplicate, events: result.events.length });
    if (!result.duplicate) this.scheduleSettle();
  }

  private scheduleSettle(): void {
    if (!this.options.settle) return;
    if (this.settling) {
      this.settleAgain = true;
      return;
    }
    this.settling = (async () => {
      do {
        this.settleAgain = false;
        try {
          await this.options.settle!();
        } catch (error) {
          this.report({ type: 'error', stage: 'settle', error });
        }
      } while (this.settleAgain);
      this.settling = undefined;
    })();
  }

  private track(task: Promise<void>): void {
    const t = task.catch((error: unknown) => this.report({ type: 'error', stage: 'pull', error })).finally(() => this.tasks.delete(t));
    this.tasks.add(t);
  }

  private report(event: CommandConsumerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // a logger that fails must not stop the worker
    }
  }
}

export function toCommandInput(envelope: CommandEnvelope): CommandInput {
  return {
    commandId: envelope.commandId,
    streamId: envelope.streamId,
    type: envelope.type,
    data: envelope.data,
    actor: envelope.actor,
    ...(envelope.occurredAt === undefined ? {} : { occurredAt: envelope.occurredAt }),
  };
}

export function toOutcome(result: HandledCommand): CommandOutcome {
  const context = (result.state.snapshot as { context?: unknown } | undefined)?.context;
  return {
    streamId: result.streamId,
    commandId: result.commandId,
    duplicate: result.duplicate,
    state: { name: result.state.stateName, revision: result.state.revision, ...(context === undefined ? {} : { context }) },
    events: result.events.map(eventMessage),
    ...(result.allowed ? { allowed: [...result.allowed] } : {}),
  };
}

/** working() every third of the ack wait: two chances to land before the deadline. */
const workingEvery = (ackWaitMs: number): number => Math.max(100, ackWaitMs / 3);

function deadLetterKind(error: unknown): DeadLetterKind {
  if (!isInterlendError(error)) return 'poison';
  if (error.code === 'VALIDATION') return error.details.malformed ? 'malformed' : 'invalid';
  return 'refused';
}
