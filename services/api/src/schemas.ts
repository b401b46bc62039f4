import { z } from 'zod';
import { API_ROLES } from '@interlend/deployment';
import { BORROWING_QUEUES, COMMAND_PARTY, COMMAND_TYPES, LENDING_QUEUES, STATE_NAMES, commandSchemas, type IllCommandType } from '@interlend/ill';

/**
 * The API's zod schemas: request bodies are the ILL command schemas themselves (what the engine
 * validates with), so the OpenAPI document cannot drift from what is accepted.
 */

/**
 * The field schema of a command's data. The engine's schema is "the whole data under 64 KiB as
 * JSON, then the fields" (a pipe whose input is `unknown`, which would document nothing): the
 * route validates and documents the fields; the engine checks the whole size again.
 */
export function commandBodySchema(type: IllCommandType): z.ZodType {
  const schema = commandSchemas[type] as unknown as z.ZodType & { def?: { type?: string; out?: z.ZodType } };
  return schema.def?.type === 'pipe' && schema.def.out ? schema.def.out : schema;
}

/** The lifecycle commands people send (every command but the timer's), in lifecycle order. */
export const PEOPLE_COMMANDS = COMMAND_TYPES.filter((type) => type !== 'submit' && COMMAND_PARTY[type] !== 'system');

export const ProblemSchema = z
  .object({
    type: z.string().describe('a URI naming the kind of problem: urn:interlend:problem:<code>'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().describe('what went wrong, in words that name the field, the state or who may act'),
    instance: z.string().describe('the path of the request that failed'),
    code: z.string().describe('stable code: MALFORMED_JSON, VALIDATION, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, ILLEGAL_STATE, CONCURRENCY, PAYLOAD_TOO_LARGE, RATE_LIMITED, ...'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().describe('one entry per field: body.material.title, querystring.limit'),
    state: z.string().optional().describe('409 ILLEGAL_STATE: the state the request is in'),
    allowed: z.array(z.string()).optional().describe('409 ILLEGAL_STATE: the commands this caller may send in that state'),
  })
  .meta({ id: 'Problem' });

const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, ProblemSchema]));
/** The problems every authenticated route may answer with. */
export const AUTHED_PROBLEMS = [401, 403, 422, 429];

export const RequestIdParams = z.object({ id: z.string().min(1).max(200).describe('the request id') });
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("the command id: sending the same command again with the same key returns the first result (duplicate: true) and writes nothing. Default: a new UUID v7"),
});

/** The headers of a command: its id (Idempotency-Key) and, when it happened earlier than now, when (Occurred-At). */
export const CommandHeaders = IdempotencyHeaders.extend({
  'occurred-at': z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe(
      'when what the command records happened, when that was earlier than now (business time; docs/workflow/business-time.md): an ISO 8601 date-time with a zone, e.g. 2026-03-06T15:30:00+01:00. Not in the future, not before the request\'s previous event (422 naming headers.occurred-at). Deadlines and statistics count from it; the event keeps both times. Default: now',
    ),
});

export const CommandResultSchema = z
  .object({
    requestId: z.string(),
    commandId: z.string(),
    duplicate: z.boolean().describe('true when this Idempotency-Key was applied before: this is the first result, nothing was written now'),
    state: z.string(),
    events: z.array(z.object({ type: z.string(), revision: z.number().int(), position: z.number().int() })),
    allowed: z.array(z.string()).describe('the commands the caller may send now'),
  })
  .meta({ id: 'CommandResult' });

export const MeSchema = z.object({ keyId: z.string(), library: z.string(), libraryName: z.string().nullable(), role: z.enum(API_ROLES), label: z.string().nullable() });

const cursor = z.string().max(1000).optional().describe('the `next` of the previous page (opaque)');
const limit = z.coerce.number().int().min(1).max(200).default(50).describe('items per page (1-200, default 50)');

export const RequestListQuery = z.object({
  state: z.enum(STATE_NAMES as unknown as [string, ...string[]]).optional(),
  role: z.enum(['borrowing', 'lending']).optional().describe("requests the library borrowed, or was asked to lend"),
  library: z.string().min(1).max(64).optional().describe('hub and auditor keys: whose requests (default: every library); other keys: their own library only'),
  limit,
  cursor,
});

export const RequestListSchema = z.object({
  items: z.array(
    z.object({ requestId: z.string(), state: z.string(), borrower: z.string(), lender: z.string().nullable(), title: z.string(), submittedAt: z.string(), updatedAt: z.string() }),
  ),
  next: z.string().nullable(),
});

export const RequestSchema = z.object({
  requestId: z.string(),
  state: z.string(),
  borrower: z.string().nullable(),
  lender: z.string().nullable(),
  context: z.record(z.string(), z.unknown()),
  costs: z.unknown(),
  rota: z.array(z.unknown()),
  allowed: z.array(z.string()),
  revision: z.number().int(),
});

export const HistoryQuery = z.object({
  at: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('show the request as it stood at this time (ISO 8601), by what had been recorded by then: an event recorded later is not shown, even if it happened before'),
});
export const HistorySchema = z.object({
  requestId: z.string(),
  at: z.string().nullable(),
  events: z.array(
    z.object({
      position: z.number().int(),
      revision: z.number().int(),
      type: z.string(),
      time: z.string().describe('when it happened (business time)'),
      recordedAt: z.string().optional().describe('when it was recorded, only where that was later than `time` (the command carried an Occurred-At)'),
      actor: z.object({ id: z.string(), role: z.string(), key: z.string().optional() }),
      stateBefore: z.string(),
      stateAfter: z.string(),
      data: z.record(z.string(), z.unknown()),
    }),
  ),
  state: z.string(),
  context: z.record(z.string(), z.unknown()).nullable(),
  laterEvents: z.number().int(),
});

const QUEUE_NAMES = [...new Set<string>([...BORROWING_QUEUES, ...LENDING_QUEUES])] as [string, ...string[]];
export const QueuesQuery = z.object({
  library: z.string().min(1).max(64).optional().describe('hub and auditor keys: any library (default: all); other keys: their own (the default)'),
  role: z.enum(['borrowing', 'lending']).optional(),
  queue: z
    .enum(QUEUE_NAMES)
    .optional()
    .describe(
      "one queue (default: all). 'closed' (the borrower's requests that are done: it grows with the history) is listed in `entries` only when asked for by name, `limit` at a time from `cursor`; otherwise only its size is given, in `counts`",
    ),
  limit: z.coerce.number().int().min(1).max(200).default(50).describe("with queue=closed: requests per page (1-200, default 50); the other queues are listed whole"),
  cursor: z.string().max(1000).optional().describe('with queue=closed: the `next` of the previous page (opaque)'),
});
export const QueuesSchema = z.object({
  at: z.string(),
  library: z.string().nullable(),
  role: z.string().nullable(),
  counts: z
    .array(z.object({ library: z.string(), role: z.string(), queue: z.string(), count: z.number().int() }))
    .describe("requests per library, role and queue, 'closed' included; with `library`, every queue of it, empty ones with 0"),
  entries: z
    .array(z.object({ library: z.string(), role: z.string(), queue: z.string(), requestIds: z.array(z.string()) }))
    .describe("the request ids in each queue but 'closed'; with queue=closed, one page of the closed requests"),
  next: z.string().nullable().describe('with queue=closed: the cursor of the next page of `entries`, or null when this is the last'),
});

export const LibraryParams = z.object({ code: z.string().min(1).max(64) });
export const LibraryHistoryQuery = z.object({ limit, cursor });
export const LibraryHistorySchema = z.object({
  library: z.string(),
  items: z.array(z.looseObject({ kind: z.enum(['borrowed', 'lent']), requestId: z.string(), at: z.string().nullable() })),
  next: z.string().nullable(),
});

export const StatsQuery = z.object({
  library: z.string().min(1).max(64).optional().describe('hub and auditor keys: any library (default: all); other keys: their own (the default)'),
  since: z.iso.datetime({ offset: true }).optional(),
});
const StatsMoneySchema = z.object({ amount: z.number(), currency: z.string() });
/** Costs by currency (docs/workflow/costs.md): shipped costs paid, return shipping owed, shipments counted. */
const CostTotalsSchema = z.object({ paid: z.array(StatsMoneySchema), returnShipping: z.array(StatsMoneySchema), shipments: z.number().int() });
export const StatsSchema = z.looseObject({
  turnaround: z.looseObject({ under48h: z.number().int(), from48to72h: z.number().int(), over72h: z.number().int() }),
  fillRateByLender: z.array(z.object({ lender: z.string(), asked: z.number().int(), supplied: z.number().int(), rate: z.number().nullable() })),
  costs: z
    .object({
      total: CostTotalsSchema,
      byBorrower: z.array(CostTotalsSchema.extend({ borrower: z.string() })),
      byLender: z.array(CostTotalsSchema.extend({ lender: z.string() })),
    })
    .describe('costs paid (shipped costs) and return shipping owed, by currency: in all, per borrower, per lender as supplier'),
});

export const DirectorySchema = z.object({ libraries: z.array(z.looseObject({ code: z.string(), name: z.string() })) });
export const LibrarySchema = z.looseObject({ code: z.string(), name: z.string() });
export const LifecycleSchema = z.object({ mermaid: z.string().describe('the request statechart as Mermaid, generated from the machine'), states: z.array(z.string()) });

export const HealthSchema = z.object({ status: z.literal('ok') });
export const ReadySchema = z.object({ status: z.literal('ready'), head: z.number().int(), projections: z.array(z.object({ name: z.string(), checkpoint: z.number().int(), behind: z.number().int() })) });

export { problems };
