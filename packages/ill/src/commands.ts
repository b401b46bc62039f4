import { z } from 'zod';
import { formatCount, hasControlCharacters, jsonBytes, LIMITS } from './limits';

/**
 * The commands of an ILL request: the zod schema of each command's `data` (what the CLI, HTTP and
 * NATS edges send), and the TypeScript types inferred from them. Command names are camelCase; the
 * events they produce are in `events.ts`.
 */

// ---------------------------------------------------------------------------------------------
// Value schemas

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD. */
export function isIsoDate(value: string): boolean {
  const m = ISO_DATE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** True for an ISO-8601 date-time with a zone (Z or ±hh:mm) that parses. */
export function isIsoDateTime(value: string): boolean {
  return ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)) && isIsoDate(value.slice(0, 10));
}

/**
 * The latest year a date in a command may have. A due date of 9999-12-31 ends in the year 10000 in
 * UTC, which an ISO date-time with four year digits (a deadline's `at`) cannot say: found by the
 * property tests. No loan, closure or need-before date comes near it.
 */
export const LATEST_YEAR = 9000;
const notTooLate = (v: string): boolean => Number(v.slice(0, 4)) <= LATEST_YEAR;
const tooLate = { message: `must not be after the year ${LATEST_YEAR}` };

/** An ISO date (YYYY-MM-DD). */
export const isoDate = z.string().refine(isIsoDate, { message: 'must be an ISO date (YYYY-MM-DD)', abort: true }).refine(notTooLate, tooLate);
/** An ISO date or date-time (a due date may be either). */
export const isoDateOrDateTime = z
  .string()
  .refine((v) => isIsoDate(v) || isIsoDateTime(v), { message: 'must be an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm:ssZ)', abort: true })
  .refine(notTooLate, tooLate);

const text = z.string().trim().min(1, { message: 'must not be empty' });
const note = text.max(LIMITS.note).optional();
const shortText = text.max(LIMITS.shortText);
/** A code or id: no control or bidi characters (they would act on a terminal that prints it). */
export const safeCode = (max: number, what: string) =>
  z
    .string()
    .trim()
    .min(1, { message: `must be ${what}` })
    .max(max)
    .refine((v) => !hasControlCharacters(v), { message: 'must not contain control or bidi characters' });
export const libraryCode = safeCode(LIMITS.libraryCode, 'a library code');

export const MoneySchema = z.strictObject({
  amount: z.number().finite().nonnegative({ message: 'must be a number >= 0' }),
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be a 3-letter ISO 4217 currency code, e.g. USD' }),
});
export type Money = z.infer<typeof MoneySchema>;

export const SERVICE_TYPES = ['Loan', 'Copy', 'CopyOrLoan'] as const;
export type ServiceType = (typeof SERVICE_TYPES)[number];
export const SERVICE_LEVELS = ['Normal', 'Rush', 'Express', 'Urgent', 'Standard', 'SecondaryMail'] as const;
export type ServiceLevel = (typeof SERVICE_LEVELS)[number];
export const MATERIAL_FORMATS = [
  'book',
  'article',
  'chapter',
  'ebook',
  'electronic',
  'software',
  'periodicalIssue',
  'audiovisual',
  'microform',
  'score',
  'map',
  'thesis',
  'other',
] as const;
export type MaterialFormat = (typeof MATERIAL_FORMATS)[number];
export const MATERIAL_FLAGS = ['rare', 'reference', 'genealogy', 'newRelease', 'bestseller'] as const;
export type MaterialFlag = (typeof MATERIAL_FLAGS)[number];
/** ISO 18626 loanCondition values (plus Other). */
export const LOAN_CONDITIONS = ['LibraryUseOnly', 'WatchLibraryUseOnly', 'NoReproduction', 'SignatureRequired', 'SpecCollSupervReq', 'Other'] as const;
export type LoanCondition = (typeof LOAN_CONDITIONS)[number];
/** ISO 18626 reasonRetry values (plus Other). */
export const RETRY_REASONS = [
  'CostExceedsMaxCost',
  'OnLoan',
  'AtBindery',
  'NotFoundAsCited',
  'MustMeetLoanCondition',
  'ReqDelMethodNotSupp',
  'ReqServTypeNotPossible',
  'Other',
] as const;
export type RetryReason = (typeof RETRY_REASONS)[number];
/** ISO 18626 reasonUnfilled values (plus Other). */
export const UNFILLED_REASONS = ['NonCirculating', 'NotAvailableForILL', 'NotHeld', 'NotOnShelf', 'PolicyProblem', 'PoorCondition', 'Other'] as const;
export type UnfilledReason = (typeof UNFILLED_REASONS)[number];
export const LOSS_KINDS = ['lost', 'damaged'] as const;
export type LossKind = (typeof LOSS_KINDS)[number];

export const MaterialSchema = z.strictObject({
  format: z.enum(MATERIAL_FORMATS),
  title: text.max(LIMITS.title),
  author: text.max(LIMITS.author).optional(),
  isbn: text.max(LIMITS.identifier).optional(),
  issn: text.max(LIMITS.identifier).optional(),
  oclcNumber: text.max(LIMITS.identifier).optional(),
  edition: shortText.optional(),
  volume: shortText.optional(),
  publicationYear: z.number().int().min(0).max(9999).optional(),
  /** At most one of each flag. */
  flags: z.array(z.enum(MATERIAL_FLAGS)).max(MATERIAL_FLAGS.length).optional(),
});
export type Material = z.infer<typeof MaterialSchema>;

/** Optional on every lender command: the rota position the lender answers for; refused unless it is the current one. */
const rotaPosition = z.number().int().positive().max(LIMITS.libraries).optional();

// ---------------------------------------------------------------------------------------------
// Command data schemas

export const SubmitSchema = z.strictObject({
  serviceType: z.enum(SERVICE_TYPES),
  serviceLevel: z.enum(SERVICE_LEVELS).default('Normal'),
  material: MaterialSchema,
  maximumCost: MoneySchema,
  needBefore: isoDate.optional(),
  patronRef: shortText.optional(),
  note,
  /** Set on re-requests: the request this one replaces. */
  relatedRequestId: safeCode(LIMITS.requestReference, 'a request id').optional(),
  /** Hub staff only: the borrowing library the hub submits for (it may exceed the library's maximum cost). */
  onBehalfOf: libraryCode.optional(),
});
export const ApproveSchema = z.strictObject({ note });
export const RejectSchema = z.strictObject({ reason: text.max(LIMITS.note) });
export const FillLocallySchema = z.strictObject({ note });
export const NotAvailableLocallySchema = z.strictObject({ preferredLenders: z.array(libraryCode).max(LIMITS.preferredLenders).optional(), note });

export const ExpectToSupplySchema = z.strictObject({ note, rotaPosition });
export const WillSupplySchema = z.strictObject({ note, rotaPosition });
export const AnswerConditionalSchema = z.strictObject({ condition: z.enum(LOAN_CONDITIONS), note, offeredCost: MoneySchema.optional(), rotaPosition });
export const AcceptConditionsSchema = z.strictObject({ consentToCost: z.boolean().optional(), note });
export const RejectConditionsSchema = z.strictObject({ note });
export const RetryPossibleSchema = z.strictObject({ reason: z.enum(RETRY_REASONS), note, rotaPosition });
export const CannotSupplySchema = z.strictObject({ reason: z.enum(UNFILLED_REASONS), note, rotaPosition });
export const ShipSchema = z.strictObject({
  itemIds: z.array(shortText).min(1, { message: 'must list at least one item id' }).max(LIMITS.itemIds),
  dueDate: isoDateOrDateTime,
  cost: MoneySchema,
  trackingId: shortText.optional(),
  sentVia: shortText.optional(),
  conditions: z.array(shortText).max(LIMITS.conditions).optional(),
  /** What the borrower owes for the return shipping: for a lender outside the delivery network (default: its directory profile's). */
  returnShippingCost: MoneySchema.optional(),
  note,
  rotaPosition,
});

/**
 * A correction of the citation: any of these fields, each replacing the one submitted. The format
 * and flags are not among them: screening decided on them (cancel and submit anew instead).
 */
export const MaterialCorrectionSchema = MaterialSchema.omit({ format: true, flags: true }).partial();
/** Raise the maximum cost and/or correct the citation, before anything shipped (at least one change; `decide` checks it changes something). */
export const AmendSchema = z.strictObject({ maximumCost: MoneySchema.optional(), material: MaterialCorrectionSchema.optional(), note });
export const CancelSchema = z.strictObject({ reason: text.max(LIMITS.note), continueWithNextLender: z.boolean().optional() });
export const AcceptCancelSchema = z.strictObject({ note, rotaPosition });
export const RefuseCancelSchema = z.strictObject({ note, rotaPosition });
/** Staff end an aging lender's turn (allowed once its supply or cancel-answer clock fell due): the next lender unless `continueWithNextLender` is false (then cancelled). */
export const WithdrawFromLenderSchema = z.strictObject({ reason: text.max(LIMITS.note), continueWithNextLender: z.boolean().optional() });

export const ReceiveSchema = z.strictObject({ itemIds: z.array(shortText).min(1).max(LIMITS.itemIds).optional(), note });
export const ReportMisdeliveredSchema = z.strictObject({ receivedBy: libraryCode, note });
export const RerouteSchema = z.strictObject({ trackingId: shortText.optional(), note });
export const ReturnMisdeliveredSchema = z.strictObject({ trackingId: shortText.optional(), note });
export const ReportWrongItemSchema = z.strictObject({ note: text.max(LIMITS.note) });

export const CheckOutToPatronSchema = z.strictObject({ note });
export const RequestRenewalSchema = z.strictObject({ note });
export const GrantRenewalSchema = z.strictObject({ dueDate: isoDateOrDateTime, note, rotaPosition });
export const DenyRenewalSchema = z.strictObject({ note, rotaPosition });
export const RecallSchema = z.strictObject({ note, rotaPosition });
export const ShipReturnSchema = z.strictObject({ trackingId: shortText.optional(), note });
export const CheckInSchema = z.strictObject({ note, rotaPosition });

export const CloseSchema = z.strictObject({ reason: text.max(LIMITS.note) });
export const ReportLostSchema = z.strictObject({ kind: z.enum(LOSS_KINDS), note });
export const ReRequestSchema = z.strictObject({ note });
/** The engine's DeadlineCommandData, sent by the timer worker. */
export const DeadlineReachedSchema = z.strictObject({ name: shortText, key: z.string().max(LIMITS.shortText), at: z.string().refine(isIsoDateTime, { message: 'must be an ISO date-time' }) });
/**
 * The one-off repair of a request that was in a clock's state before that clock existed
 * (`interlend timers schedule-missing`): schedule the deadline the fold tracks. The system actor's.
 */
export const ScheduleMissingDeadlineSchema = z.strictObject({ name: z.enum(['supply', 'cancelAnswer', 'needBefore']) });

/** Schema of each command type's `data` (sizes of its fields included, not of the whole). */
const dataSchemas = {
  submit: SubmitSchema,
  approve: ApproveSchema,
  reject: RejectSchema,
  fillLocally: FillLocallySchema,
  notAvailableLocally: NotAvailableLocallySchema,
  expectToSupply: ExpectToSupplySchema,
  willSupply: WillSupplySchema,
  answerConditional: AnswerConditionalSchema,
  acceptConditions: AcceptConditionsSchema,
  rejectConditions: RejectConditionsSchema,
  retryPossible: RetryPossibleSchema,
  cannotSupply: CannotSupplySchema,
  ship: ShipSchema,
  amend: AmendSchema,
  cancel: CancelSchema,
  acceptCancel: AcceptCancelSchema,
  refuseCancel: RefuseCancelSchema,
  withdrawFromLender: WithdrawFromLenderSchema,
  receive: ReceiveSchema,
  reportMisdelivered: ReportMisdeliveredSchema,
  reroute: RerouteSchema,
  returnMisdelivered: ReturnMisdeliveredSchema,
  reportWrongItem: ReportWrongItemSchema,
  checkOutToPatron: CheckOutToPatronSchema,
  requestRenewal: RequestRenewalSchema,
  grantRenewal: GrantRenewalSchema,
  denyRenewal: DenyRenewalSchema,
  recall: RecallSchema,
  shipReturn: ShipReturnSchema,
  checkIn: CheckInSchema,
  close: CloseSchema,
  reportLost: ReportLostSchema,
  reRequest: ReRequestSchema,
  deadlineReached: DeadlineReachedSchema,
  scheduleMissingDeadline: ScheduleMissingDeadlineSchema,
} as const;

type DataSchemas = typeof dataSchemas;

/**
 * A schema that first refuses `data` whose JSON is over `LIMITS.commandDataBytes` (the issue is
 * at `data`), then parses it with `schema`: a command of many fields, each within its own limit,
 * still has a bounded size.
 */
function sizeLimited<S extends z.ZodType>(schema: S): z.ZodType<z.output<S>, z.input<S>> {
  const whole = z.unknown().superRefine((value, ctx) => {
    let bytes: number;
    try {
      bytes = jsonBytes(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be JSON' });
      return;
    }
    if (bytes > LIMITS.commandDataBytes) {
      ctx.addIssue({ code: 'custom', message: `is ${formatCount(bytes)} bytes as JSON; a command's data may have at most ${formatCount(LIMITS.commandDataBytes)}` });
    }
  });
  // The pipe's input is typed unknown; what a client should send is the schema's input.
  return whole.pipe(schema) as unknown as z.ZodType<z.output<S>, z.input<S>>;
}

/** Schema of `data` for each command type, as the WorkflowDefinition wants it: the whole size, then the fields. */
export const commandSchemas = Object.fromEntries(Object.entries(dataSchemas).map(([type, schema]) => [type, sizeLimited(schema)])) as {
  readonly [K in keyof DataSchemas]: z.ZodType<z.output<DataSchemas[K]>, z.input<DataSchemas[K]>>;
};

export type IllCommandType = keyof typeof commandSchemas;
/** Every command type, in lifecycle order (the order `allowedCommands` lists them). */
export const COMMAND_TYPES = Object.keys(commandSchemas) as IllCommandType[];
/** The parsed `data` of each command type. */
export type IllCommandData = { [K in IllCommandType]: z.output<(typeof commandSchemas)[K]> };
/** The `data` each command type accepts before defaults are applied (what a client sends). */
export type IllCommandInput = { [K in IllCommandType]: z.input<(typeof commandSchemas)[K]> };

export type SubmitData = IllCommandData['submit'];
export type ShipData = IllCommandData['ship'];
export type CancelData = IllCommandData['cancel'];

/** The command the timer worker sends when a deadline is due. */
export const DEADLINE_COMMAND = 'deadlineReached' satisfies IllCommandType;
/** The system's one-off repair: schedules a clock's deadline a request under way never had (docs/workflow/lender-clocks.md, "Upgrading"). */
export const SCHEDULE_MISSING_COMMAND = 'scheduleMissingDeadline' satisfies IllCommandType;

/** Who may send a command (checked by `authorize`; hub staff may send every command but the system's: the deadline and the repair). */
export type CommandParty = 'borrower' | 'lender' | 'involved' | 'hub' | 'system';
export const COMMAND_PARTY: Readonly<Record<IllCommandType, CommandParty>> = {
  submit: 'borrower',
  approve: 'borrower',
  reject: 'borrower',
  fillLocally: 'borrower',
  notAvailableLocally: 'borrower',
  expectToSupply: 'lender',
  willSupply: 'lender',
  answerConditional: 'lender',
  acceptConditions: 'borrower',
  rejectConditions: 'borrower',
  retryPossible: 'lender',
  cannotSupply: 'lender',
  ship: 'lender',
  amend: 'borrower',
  cancel: 'borrower',
  acceptCancel: 'lender',
  refuseCancel: 'lender',
  withdrawFromLender: 'borrower',
  receive: 'borrower',
  reportMisdelivered: 'involved',
  reroute: 'hub',
  returnMisdelivered: 'hub',
  reportWrongItem: 'borrower',
  checkOutToPatron: 'borrower',
  requestRenewal: 'borrower',
  grantRenewal: 'lender',
  denyRenewal: 'lender',
  recall: 'lender',
  shipReturn: 'borrower',
  checkIn: 'lender',
  close: 'hub',
  reportLost: 'involved',
  reRequest: 'borrower',
  deadlineReached: 'system',
  scheduleMissingDeadline: 'system',
};
