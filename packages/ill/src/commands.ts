import { z } from 'zod';

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

/** An ISO date (YYYY-MM-DD). */
export const isoDate = z.string().refine(isIsoDate, { message: 'must be an ISO date (YYYY-MM-DD)' });
/** An ISO date or date-time (a due date may be either). */
export const isoDateOrDateTime = z
  .string()
  .refine((v) => isIsoDate(v) || isIsoDateTime(v), { message: 'must be an ISO date (YYYY-MM-DD) or date-time (YYYY-MM-DDThh:mm:ssZ)' });

const text = z.string().trim().min(1, { message: 'must not be empty' });
const note = text.max(2000).optional();
const libraryCode = z.string().trim().min(1, { message: 'must be a library code' }).max(64);

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
  title: text.max(1000),
  author: text.max(500).optional(),
  isbn: text.max(32).optional(),
  issn: text.max(32).optional(),
  oclcNumber: text.max(32).optional(),
  edition: text.max(200).optional(),
  volume: text.max(200).optional(),
  publicationYear: z.number().int().min(0).max(9999).optional(),
  flags: z.array(z.enum(MATERIAL_FLAGS)).optional(),
});
export type Material = z.infer<typeof MaterialSchema>;

/** Optional on every lender command: the rota position the lender answers for; refused unless it is the current one. */
const rotaPosition = z.number().int().positive().optional();

// ---------------------------------------------------------------------------------------------
// Command data schemas

export const SubmitSchema = z.strictObject({
  serviceType: z.enum(SERVICE_TYPES),
  serviceLevel: z.enum(SERVICE_LEVELS).default('Normal'),
  material: MaterialSchema,
  maximumCost: MoneySchema,
  needBefore: isoDate.optional(),
  patronRef: text.max(200).optional(),
  note,
  /** Set on re-requests: the request this one replaces. */
  relatedRequestId: text.max(200).optional(),
});
export const ApproveSchema = z.strictObject({ note });
export const RejectSchema = z.strictObject({ reason: text.max(2000) });
export const FillLocallySchema = z.strictObject({ note });
export const NotAvailableLocallySchema = z.strictObject({ preferredLenders: z.array(libraryCode).optional(), note });

export const ExpectToSupplySchema = z.strictObject({ note, rotaPosition });
export const WillSupplySchema = z.strictObject({ note, rotaPosition });
export const AnswerConditionalSchema = z.strictObject({ condition: z.enum(LOAN_CONDITIONS), note, offeredCost: MoneySchema.optional(), rotaPosition });
export const AcceptConditionsSchema = z.strictObject({ consentToCost: z.boolean().optional(), note });
export const RejectConditionsSchema = z.strictObject({ note });
export const RetryPossibleSchema = z.strictObject({ reason: z.enum(RETRY_REASONS), note, rotaPosition });
export const CannotSupplySchema = z.strictObject({ reason: z.enum(UNFILLED_REASONS), note, rotaPosition });
export const ShipSchema = z.strictObject({
  itemIds: z.array(text.max(200)).min(1, { message: 'must list at least one item id' }),
  dueDate: isoDateOrDateTime,
  cost: MoneySchema,
  trackingId: text.max(200).optional(),
  sentVia: text.max(200).optional(),
  conditions: z.array(text.max(200)).optional(),
  note,
  rotaPosition,
});

export const CancelSchema = z.strictObject({ reason: text.max(2000), continueWithNextLender: z.boolean().optional() });
export const AcceptCancelSchema = z.strictObject({ note, rotaPosition });
export const RefuseCancelSchema = z.strictObject({ note, rotaPosition });

export const ReceiveSchema = z.strictObject({ itemIds: z.array(text.max(200)).min(1).optional(), note });
export const ReportMisdeliveredSchema = z.strictObject({ receivedBy: libraryCode, note });
export const RerouteSchema = z.strictObject({ trackingId: text.max(200).optional(), note });
export const ReturnMisdeliveredSchema = z.strictObject({ trackingId: text.max(200).optional(), note });
export const ReportWrongItemSchema = z.strictObject({ note: text.max(2000) });

export const CheckOutToPatronSchema = z.strictObject({ note });
export const RequestRenewalSchema = z.strictObject({ note });
export const GrantRenewalSchema = z.strictObject({ dueDate: isoDateOrDateTime, note, rotaPosition });
export const DenyRenewalSchema = z.strictObject({ note, rotaPosition });
export const RecallSchema = z.strictObject({ note, rotaPosition });
export const ShipReturnSchema = z.strictObject({ trackingId: text.max(200).optional(), note });
export const CheckInSchema = z.strictObject({ note, rotaPosition });

export const CloseSchema = z.strictObject({ reason: text.max(2000) });
export const ReportLostSchema = z.strictObject({ kind: z.enum(LOSS_KINDS), note });
export const ReRequestSchema = z.strictObject({ note });
/** The engine's DeadlineCommandData, sent by the timer worker. */
export const DeadlineReachedSchema = z.strictObject({ name: text, key: z.string(), at: z.string().refine(isIsoDateTime, { message: 'must be an ISO date-time' }) });

/** Schema of `data` for each command type, as the WorkflowDefinition wants it. */
export const commandSchemas = {
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
  cancel: CancelSchema,
  acceptCancel: AcceptCancelSchema,
  refuseCancel: RefuseCancelSchema,
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
} as const;

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

/** Who may send a command (checked by `authorize`; hub staff may send every command but the deadline). */
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
  cancel: 'borrower',
  acceptCancel: 'lender',
  refuseCancel: 'lender',
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
};
