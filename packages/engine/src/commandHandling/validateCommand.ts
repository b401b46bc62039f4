import type { ZodError } from 'zod';
import { ValidationError } from '../errors';
import type { JsonObject } from '../eventStore/types';
import type { CommandInput, ValidatedCommand, WorkflowDefinition } from '../workflow/types';

/** Turns a zod error into "field: message" issues with paths like `data.itemIds[2].id`. */
export function zodIssues(error: ZodError, prefix = ''): { path: string; message: string }[] {
  return error.issues.map((issue) => {
    let path = prefix;
    for (const part of issue.path) path += typeof part === 'number' ? `[${part}]` : path ? `.${String(part)}` : String(part);
    return { path: path || '(root)', message: issue.message };
  });
}

/**
 * Lengths (UTF-16 code units) of the envelope's strings. A command id must hold a stream id and
 * more: the timer worker's are `deadline:<stream>:<name>:<key>:<at>`.
 */
export const ENVELOPE_LIMITS = { commandId: 400, streamId: 200, actorId: 128, actorRole: 64, actorKey: 128 } as const;

/**
 * Characters no id may hold, because a terminal or text renderer acts on them: C0 controls, DEL,
 * C1 controls, and the bidi embedding, override and isolate characters.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Issues shown in an error's message; all of them are in `details.issues`. */
const ISSUES_IN_MESSAGE = 10;

/** What is wrong with one id of the envelope, or undefined. */
function idProblem(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string' || value.trim().length === 0) return 'required, a non-empty string';
  if (value.length > max) return `at most ${max} characters, not ${value.length}`;
  if (CONTROL_CHARACTERS.test(value)) return 'must not contain control or bidi characters';
  return undefined;
}

/** A value as an error message may quote it: a string cut to 64 characters, anything else by its kind. */
function quote(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : `(${typeof value})`;
  return value.length > 64 ? `${value.slice(0, 64)}…` : value;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** An ISO-8601 date-time with a zone: date, hours and minutes, optional seconds and fraction, then Z or ±HH:MM. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

/**
 * The business time a command says it happened at, in UTC (`toISOString`), or what is wrong with
 * it. It may not be later than `now` (the handler's clock): no skew is allowed, so business times
 * never pass record times and a command without `occurredAt` never lands before an earlier one.
 */
/**
 * How far ahead of the handler's clock an `occurredAt` may be and still be taken, as the handler's
 * own time: the command was sent from another machine (a NATS client, a browser) whose clock runs
 * a little ahead. Business time never passes record time.
 */
export const OCCURRED_AT_SKEW_MS = 5_000;

export function parseOccurredAt(value: unknown, now: string): { time: string } | { problem: string } {
  const format = 'an ISO-8601 date-time with a zone, e.g. 2026-03-06T15:30:00+01:00 or 2026-03-06T14:30:00Z';
  if (typeof value !== 'string') return { problem: `must be ${format}, not ${quote(value)}` };
  const match = DATE_TIME.exec(value);
  const ms = Date.parse(value);
  // Date.parse takes 2026-02-30 for 2 March: the day must exist in its month.
  const validDay = match && Number(match[3]) >= 1 && Number(match[3]) <= new Date(Date.UTC(Number(match[1]), Number(match[2]), 0)).getUTCDate();
  if (!match || !validDay || Number.isNaN(ms)) return { problem: `'${quote(value)}' is not ${format}` };
  const time = new Date(ms).toISOString();
  if (ms > Date.parse(now) + OCCURRED_AT_SKEW_MS) return { problem: `${time} is in the future: it is now ${now}; a command records what has happened` };
  if (ms > Date.parse(now)) return { time: now };
  return { time };
}

/**
 * Checks the envelope and the command's data against its schema; stamps the time: `time` is the
 * handler's clock, and the command's business time unless it says when it happened (`occurredAt`,
 * which may not be in the future and is refused on the timer's deadline command; whether it is
 * before the stream's previous event is checked by `execute`, which has the stream's state).
 * Whatever it is given, it throws nothing but a ValidationError.
 */
export function validateCommand(workflow: WorkflowDefinition, input: CommandInput, time: string): ValidatedCommand {
  const envelope: Record<string, unknown> = isRecord(input) ? input : {};
  const actor: Record<string, unknown> = isRecord(envelope.actor) ? envelope.actor : {};
  const problems: { path: string; message: string }[] = [];
  const check = (path: string, value: unknown, max: number) => {
    const message = idProblem(value, max);
    if (message) problems.push({ path, message });
  };
  check('commandId', envelope.commandId, ENVELOPE_LIMITS.commandId);
  check('streamId', envelope.streamId, ENVELOPE_LIMITS.streamId);
  check('actor.id', actor.id, ENVELOPE_LIMITS.actorId);
  check('actor.role', actor.role, ENVELOPE_LIMITS.actorRole);
  if (actor.key !== undefined) check('actor.key', actor.key, ENVELOPE_LIMITS.actorKey);
  const type = envelope.type;
  const schema = typeof type === 'string' && Object.prototype.hasOwnProperty.call(workflow.commands, type) ? workflow.commands[type] : undefined;
  if (!schema) problems.push({ path: 'type', message: `unknown command '${quote(type)}'; known: ${Object.keys(workflow.commands).join(', ')}` });
  let occurred: string | undefined;
  if (envelope.occurredAt !== undefined) {
    if (workflow.deadlineCommand !== undefined && type === workflow.deadlineCommand) {
      problems.push({ path: 'occurredAt', message: `not accepted on '${type}': a deadline happens at its own time (the timer service's clock)` });
    } else {
      const parsedTime = parseOccurredAt(envelope.occurredAt, time);
      if ('problem' in parsedTime) problems.push({ path: 'occurredAt', message: parsedTime.problem });
      else occurred = parsedTime.time;
    }
  }
  if (problems.length) throw new ValidationError(describe(type, problems), { issues: problems });
  const parsed = schema!.safeParse(envelope.data ?? {});
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, 'data');
    throw new ValidationError(describe(type, issues), { issues });
  }
  return {
    commandId: envelope.commandId as string,
    streamId: envelope.streamId as string,
    type: type as string,
    data: parsed.data as JsonObject,
    actor: { id: actor.id as string, role: actor.role as string, ...(actor.key === undefined ? {} : { key: actor.key as string }) },
    time: occurred ?? time,
    ...(occurred === undefined || occurred === time ? {} : { recordedAt: time }),
  };
}

function describe(type: unknown, issues: { path: string; message: string }[]): string {
  const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`and ${issues.length - shown.length} more`);
  return `invalid command '${quote(type)}': ${shown.join('; ')}`;
}
