import { z } from 'zod';
import { ENVELOPE_LIMITS, ValidationError, zodIssues } from '@interlend/engine';

/**
 * The message envelopes, as zod schemas (the TypeScript types are inferred from them). Every
 * message this package receives is decoded through `decode`, which refuses what is not JSON or
 * does not match with a ValidationError naming each field. Version 1 of every envelope carries
 * `v: 1`; a later version will be a new literal beside it.
 */

/** Lengths as the engine's envelope check has them (ENVELOPE_LIMITS in the engine). */
const LIMITS = { ...ENVELOPE_LIMITS, type: 128 } as const;

const id = (max: number) => z.string().min(1).max(max);
const json = z.record(z.string(), z.unknown());

/** `key`: the API key id that authenticated the actor (the engine records it with the events). */
export const ActorSchema = z.object({ id: id(LIMITS.actorId), role: id(LIMITS.actorRole), key: id(LIMITS.actorKey).optional() });

/** A command, on the work queue and in a request. `data` is checked by the workflow's own schema. */
export const CommandEnvelopeSchema = z.object({
  v: z.literal(1),
  commandId: id(LIMITS.commandId),
  streamId: id(LIMITS.streamId),
  type: id(LIMITS.type),
  data: z.unknown().optional(),
  actor: ActorSchema,
  /** When what it records happened, when not now (business time; checked by the engine: docs/workflow/business-time.md). */
  occurredAt: z.string().max(64).optional(),
  /** When the sender sent it (information only: the worker's clock stamps the command). */
  sentAt: z.string().optional(),
});
export type CommandEnvelope = z.infer<typeof CommandEnvelopeSchema>;

export const ErrorCodeSchema = z.enum(['VALIDATION', 'FORBIDDEN', 'NOT_FOUND', 'ILLEGAL_STATE', 'CONCURRENCY', 'STORE']);
export const ErrorBodySchema = z.object({ code: ErrorCodeSchema, message: z.string(), details: json });
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** A committed event as the feed and replies carry it: the event store's StoredEvent. */
export const EventMessageSchema = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  data: json,
  metadata: json,
  streamId: z.string().min(1),
  revision: z.number().int().min(0),
  position: z.number().int().min(1),
});
export type EventMessage = z.infer<typeof EventMessageSchema>;

/** What a request gets back once the command was applied (or found applied before). */
export const CommandOutcomeSchema = z.object({
  streamId: z.string(),
  commandId: z.string(),
  /** True when the command id had been applied before: nothing was written this time. */
  duplicate: z.boolean(),
  /** The stream's state after the command. */
  state: z.object({ name: z.string(), revision: z.number().int(), context: z.unknown().optional() }),
  /** The events the command wrote (on a duplicate: those it wrote the first time). */
  events: z.array(EventMessageSchema),
  /** The commands the state accepts now, when the worker says (every command type, whoever may send it). */
  allowed: z.array(z.string()).optional(),
});
export type CommandOutcome = z.infer<typeof CommandOutcomeSchema>;

export const CommandReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), outcome: CommandOutcomeSchema }),
  z.object({ ok: z.literal(false), error: ErrorBodySchema }),
]);
export type CommandReply = z.infer<typeof CommandReplySchema>;

/** An effect handed to a party (or to a service) after its event committed. */
export const EffectMessageSchema = z.object({
  v: z.literal(1),
  /** Stable: `<eventId>:<index>`. Deduplicate on it. */
  effectId: z.string().min(1),
  type: z.string().min(1),
  params: json,
  /** The party the effect is delivered to, when it has one. */
  party: z.string().optional(),
  streamId: z.string().min(1),
  eventId: z.string().min(1),
  position: z.number().int().min(1),
});
export type EffectMessage = z.infer<typeof EffectMessageSchema>;

/** Which documents of a read model a committed batch changed. */
export const NewsMessageSchema = z.object({
  v: z.literal(1),
  projection: z.string().min(1),
  /** The read model's checkpoint after the batch (a global log position). */
  checkpoint: z.number().int().min(0),
  /** Keys written (created or changed). */
  changed: z.array(z.string()),
  /** Keys deleted. */
  deleted: z.array(z.string()),
});
export type NewsMessage = z.infer<typeof NewsMessageSchema>;

export const DeadLetterKindSchema = z.enum(['malformed', 'invalid', 'refused', 'poison', 'exhausted']);
export type DeadLetterKind = z.infer<typeof DeadLetterKindSchema>;

/** A message that will never be carried out, kept with the reason. */
export const DeadLetterSchema = z.object({
  v: z.literal(1),
  kind: DeadLetterKindSchema,
  reason: ErrorBodySchema,
  /** Where the message came from: its subject, stream, sequence, deliveries so far. */
  source: z.object({
    subject: z.string(),
    stream: z.string().optional(),
    seq: z.number().int().optional(),
    deliveries: z.number().int().optional(),
    msgId: z.string().optional(),
  }),
  headers: z.record(z.string(), z.array(z.string())),
  /** The payload as received: UTF-8 text when it is valid UTF-8, else base64. */
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  at: z.string(),
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const ENCODER = new TextEncoder();

export function encode(value: unknown): Uint8Array {
  return ENCODER.encode(JSON.stringify(value));
}

/**
 * JSON-parses and validates a payload. A payload that is not JSON throws a ValidationError with
 * `details.malformed: true`; one that does not match names each field in `details.issues`.
 */
export function decode<S extends z.ZodType>(schema: S, data: Uint8Array, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(data));
  } catch (error) {
    throw new ValidationError(`${what}: not UTF-8 JSON (${(error as Error).message})`, { malformed: true }, { cause: error });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    throw new ValidationError(`${what}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues });
  }
  return parsed.data;
}

/** A payload as text when it is UTF-8, else base64 (for dead letters). */
export function payloadText(data: Uint8Array): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  try {
    return { payload: UTF8.decode(data), payloadEncoding: 'utf8' };
  } catch {
    return { payload: Buffer.from(data).toString('base64'), payloadEncoding: 'base64' };
  }
}

/** The port fields of a stored event (an adapter's extra fields, such as a hash chain, stay home). */
export function eventMessage(e: { id: string; type: string; data: object; metadata: object; streamId: string; revision: number; position: number }): EventMessage {
  return {
    id: e.id,
    type: e.type,
    data: e.data as Record<string, unknown>,
    metadata: e.metadata as Record<string, unknown>,
    streamId: e.streamId,
    revision: e.revision,
    position: e.position,
  };
}
