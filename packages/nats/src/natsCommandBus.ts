import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import { NoRespondersError, RequestError, TimeoutError, headers, type NatsConnection } from '@nats-io/transport-node';
import { StoreError, ValidationError, zodIssues, type CommandInput } from '@interlend/engine';
import { CommandEnvelopeSchema, CommandReplySchema, decode, encode, type CommandEnvelope, type CommandOutcome } from './envelopes';
import { errorFromBody, natsFailure } from './errorBodies';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';
import { HEADERS, type Subjects } from './subjects';

export interface NatsCommandBusOptions {
  readonly settings?: NatsSettingsInput | NatsSettings;
  /** How long `request` waits for a worker's answer. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** How long `publish` waits for JetStream's acknowledgement. Default 5 s. */
  readonly publishTimeoutMs?: number;
}

export interface PublishReceipt {
  /** Sequence of the command in the COMMANDS stream. */
  readonly seq: number;
  /** True when a command with this id was published within the duplicate window: not queued again. */
  readonly duplicate: boolean;
}

/**
 * Sends commands to the workers. `publish` queues a command on the work queue (durable, at least
 * once; the command id is the Nats-Msg-Id, so a second publish within the duplicate window is
 * dropped by the server, and the engine's idempotency drops any later one). `request` asks a
 * worker to apply it now and answers with the outcome or the engine's typed error.
 */
export class NatsCommandBus {
  private readonly js: JetStreamClient;
  private readonly subjects: Subjects;
  private readonly requestTimeoutMs: number;
  private readonly publishTimeoutMs: number;

  constructor(
    private readonly nc: NatsConnection,
    options: NatsCommandBusOptions = {},
  ) {
    this.js = jetstream(nc);
    this.subjects = subjectsOf(resolveSettings(options.settings));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.publishTimeoutMs = options.publishTimeoutMs ?? 5_000;
  }

  /** Queues a command. Throws ValidationError for a bad envelope, StoreError when JetStream does not take it. */
  async publish(command: CommandInput): Promise<PublishReceipt> {
    const envelope = toEnvelope(command);
    const h = headers();
    h.set(HEADERS.commandId, envelope.commandId);
    try {
      const ack = await this.js.publish(this.subjects.command(envelope.actor.id, envelope.type), encode(envelope), {
        msgID: envelope.commandId,
        headers: h,
        timeout: this.publishTimeoutMs,
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (error) {
      throw natsFailure(`cannot queue command '${envelope.commandId}'`, error, { commandId: envelope.commandId });
    }
  }

  /**
   * Has a worker apply the command and returns the outcome (state after, events written). A
   * refusal comes back as the engine's typed error (ValidationError, ForbiddenError,
   * NotFoundError, IllegalStateError, ConcurrencyError, StoreError). No answer in time is a
   * StoreError: the command may or may not have been applied, and sending it again with the same
   * command id is safe.
   */
  async request(command: CommandInput, options: { timeoutMs?: number } = {}): Promise<CommandOutcome> {
    const envelope = toEnvelope(command);
    const timeout = options.timeoutMs ?? this.requestTimeoutMs;
    let data: Uint8Array;
    try {
      const reply = await this.nc.request(this.subjects.rpc(envelope.actor.id, envelope.type), encode(envelope), { timeout });
      data = reply.data;
    } catch (error) {
      const details = { commandId: envelope.commandId };
      if (isNoResponders(error)) throw new StoreError('no worker is serving commands (no responders)', { ...details, reason: 'no_responders' }, { cause: error });
      if (isTimeout(error)) {
        throw new StoreError(`no answer within ${timeout} ms; the command may have been applied: send it again with the same command id`, { ...details, reason: 'timeout' }, { cause: error });
      }
      throw natsFailure(`request for command '${envelope.commandId}' failed`, error, details);
    }
    const reply = decode(CommandReplySchema, data, 'reply');
    if (!reply.ok) throw errorFromBody(reply.error);
    return reply.outcome;
  }
}

/** The envelope of a command, checked before it leaves. */
export function toEnvelope(command: CommandInput): CommandEnvelope {
  const parsed = CommandEnvelopeSchema.safeParse({ v: 1, ...command, sentAt: new Date().toISOString() });
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(`command: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
}

const isNoResponders = (error: unknown): boolean =>
  error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
const isTimeout = (error: unknown): boolean => error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError);
