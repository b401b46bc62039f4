import type { ScreeningResult } from './policies/screening';
import type {
  LoanCondition,
  LossKind,
  Material,
  MaterialFormat,
  Money,
  RetryReason,
  ServiceLevel,
  ServiceType,
  UnfilledReason,
} from './commands';

/**
 * The event catalog of an ILL request (stream id = request id, workflow 'ill-request').
 * Events are facts in the past tense; their `data` is JSON. Who sent the command and when is in
 * the event metadata (`actor`, `time`), not repeated here. Lender events carry the rota `position`
 * and `lender` they are about, so projections can compute per-lender response times.
 *
 * Names are stable: projections depend on them. Add fields, never rename.
 */

/** A directory closure: dates inclusive, YYYY-MM-DD (UTC days). */
export interface Closure {
  from: string;
  to: string;
  reason: string;
}

/** The request as submitted (RequestSubmitted data minus the ids). */
export interface RequestDetails {
  serviceType: ServiceType;
  serviceLevel: ServiceLevel;
  material: Material;
  maximumCost: Money;
  needBefore?: string;
  patronRef?: string;
  note?: string;
  relatedRequestId?: string;
}

export type RotaEntryStatus = 'candidate' | 'skipped';
/** Why a library is in the rota where it is, or why it was skipped. */
export type RotaReason =
  | 'preferred by borrower'
  | 'in delivery network'
  | 'outside delivery network'
  | 'lender of last resort'
  | 'is the borrower'
  | 'does not lend'
  | `closed ${string}`
  | `over the maximum of ${number} lenders`
  /** Its lending fee is above the request's maximum cost, e.g. `lending fee 25.00 USD above the maximum 20.00 USD`. */
  | `lending fee ${string} above the maximum ${string}`;

/** One library in the rota (lender string), as built by the rota policy. */
export interface RotaEntry {
  /** 1-based; candidates come first (1..n), skipped entries after them. */
  position: number;
  library: string;
  status: RotaEntryStatus;
  /**
   * Why it is skipped; for a candidate, its group. In a request's context (RotaBuilt version 2) a
   * candidate has one only when the borrower preferred it or it is a lender of last resort: the
   * delivery-network groups are the directory's.
   */
  reason?: RotaReason;
  /** The library's days to respond for this request's service type (before any rush shortening). Candidates only. */
  daysToRespond?: number;
  /** Business days the library has to ship after answering expects/will supply (lender clocks). Candidates only; absent: DEFAULT_DAYS_TO_SHIP. */
  daysToShip?: number;
  /** Business days the library has to answer a cancel request. Candidates only; absent: DEFAULT_DAYS_TO_ANSWER_CANCEL. */
  daysToAnswerCancel?: number;
  /** The library's closures: on candidates (business days for its deadline) and on the borrower's own entry (business days for its answers). */
  closures?: Closure[];
  /** Candidates only. */
  lastResort?: boolean;
  /** Candidates only: true when the library is outside the delivery network (the borrower owes the return shipping). */
  outsideNetwork?: boolean;
}

export interface LenderRef {
  /** Library code of the lender the event is about. */
  lender: string;
  /** Its rota position. */
  position: number;
}

// ---------------------------------------------------------------------------------------------
// Event data, one type per event

export interface RequestSubmittedData extends RequestDetails {
  requestId: string;
  /** Library code of the borrowing library (the submitting actor). */
  borrower: string;
  /** The screening policy's verdict, decided when the request was submitted. */
  screening: ScreeningResult;
}
export interface StaffApprovedData {
  note?: string;
}
export interface StaffRejectedData {
  reason: string;
}
export interface FilledLocallyData {
  note?: string;
}
export interface NotAvailableLocallyData {
  preferredLenders: string[];
  note?: string;
}
/** A lender the rota will ask, with the terms the deadlines are computed from (as the directory had them then). */
export interface RotaCandidate {
  library: string;
  /** Its days to respond for this request's service type (before any rush shortening). */
  daysToRespond: number;
  /** Business days to ship after an expects/will-supply answer; omitted when it is DEFAULT_DAYS_TO_SHIP (and in RotaBuilt written before lender clocks). */
  daysToShip?: number;
  /** Business days to answer a cancel request; omitted when it is DEFAULT_DAYS_TO_ANSWER_CANCEL (and in RotaBuilt written before lender clocks). */
  daysToAnswerCancel?: number;
  /** Its closures (business days for its deadline); omitted when none. */
  closures?: Closure[];
  /** Present (true) for a lender of last resort. */
  lastResort?: true;
  /**
   * Present (true) for a library outside the delivery network when the rota was built: shipping
   * from it records the return shipping the borrower owes. Absent (older events too): inside.
   */
  outsideNetwork?: true;
}
/** A library the borrower preferred that the rota skipped, and why. */
export interface RotaSkip {
  library: string;
  reason: RotaReason;
}
/**
 * RotaBuilt, schema version 2: the candidates in the order they will be asked (position = index
 * + 1), and the skipped libraries only where the borrower preferred them. Everything else (why a
 * candidate is where it is, who else was skipped and why, the directory's maximum) is the
 * directory's, which is in the log. Its size grows with the candidates (capped by `maxLenders`),
 * not with the directory.
 */
export interface RotaBuiltData {
  candidates: RotaCandidate[];
  /** Preferred libraries that were skipped; omitted when none. */
  skipped?: RotaSkip[];
  /** The borrower's closures (its answer deadlines skip them); omitted when none. */
  borrowerClosures?: Closure[];
}
/** RotaBuilt, schema version 1 (stored before 2026-12): every library of the directory, with its terms. */
export interface RotaBuiltDataV1 {
  entries: RotaEntry[];
  maxLenders: number;
  /** Number of candidate entries (the others are skipped). */
  candidates: number;
}
export interface ExpectToSupplyAnsweredData extends LenderRef {
  note?: string;
}
export interface WillSupplyAnsweredData extends LenderRef {
  note?: string;
}
export interface ConditionalAnsweredData extends LenderRef {
  condition: LoanCondition;
  note?: string;
  offeredCost?: Money;
  /** When the borrower's answer is due (4 business days; restarts on each conditional answer). */
  respondBy: string;
}
export interface ConditionsAcceptedData extends LenderRef {
  /** True when the borrower consented to a cost above the maximum. */
  consentToCost: boolean;
  /** The cost consented to (the offered cost) when consentToCost; null otherwise. */
  consentedCost: Money | null;
  offeredCost: Money | null;
  note?: string;
}
export interface ConditionsRejectedData extends LenderRef {
  note?: string;
}
export interface RetryPossibleAnsweredData extends LenderRef {
  reason: RetryReason;
  note?: string;
}
export interface LenderUnfilledData extends LenderRef {
  reason: UnfilledReason;
  note?: string;
}
export interface LenderTimedOutData extends LenderRef {
  /** When the deadline was due. */
  deadlineAt: string;
}
export interface ConditionalAnswerExpiredData extends LenderRef {
  deadlineAt: string;
}
export interface ShippedData extends LenderRef {
  itemIds: string[];
  dueDate: string;
  cost: Money;
  maximumCost: Money;
  /** The cost the lender offered in a conditional answer, if any. */
  offeredCost: Money | null;
  /** True when an offer was made and the shipped cost differs from it. */
  costDiffersFromOffer: boolean;
  /** The cost the borrower consented to above the maximum, if any. */
  consentedCost: Money | null;
  trackingId?: string;
  sentVia?: string;
  conditions?: string[];
  /** True when shipped while a conditional answer was open: its conditions are presumed accepted. */
  conditionsPresumedAccepted: boolean;
  /** True when shipped while a cancel was pending: the cancel is thereby refused. */
  cancelRefused: boolean;
  /**
   * The return shipping the borrower owes for sending the item back: present when the lender is
   * outside the delivery network (the ship command's, or the lender's directory default).
   */
  returnShippingCost?: Money;
  note?: string;
}
export interface CancelledData {
  reason: string;
}
export interface CancelRequestedData extends LenderRef {
  reason: string;
  continueWithNextLender: boolean;
}
export interface CancelAcceptedData extends LenderRef {
  continueWithNextLender: boolean;
  note?: string;
}
export interface CancelRefusedData extends LenderRef {
  /** The withLender substate the request returns to, e.g. 'willSupply'. */
  restoredState: string;
  note?: string;
}
export interface ReceivedData extends LenderRef {
  itemIds: string[];
  /** Shipped items not (yet) received. */
  missingItemIds: string[];
  note?: string;
}
export interface MisdeliveredData extends LenderRef {
  /** Library code of the library that received the item instead of the borrower. */
  receivedBy: string;
  note?: string;
}
export interface ReroutedData extends LenderRef {
  from: string;
  to: string;
  trackingId?: string;
  note?: string;
}
export interface MisdeliveredReturnedData extends LenderRef {
  from: string;
  newRequestId: string;
  trackingId?: string;
  note?: string;
}
export interface WrongItemReportedData extends LenderRef {
  note: string;
  newRequestId: string;
}
export interface CheckedOutToPatronData {
  note?: string;
}
export interface RenewalRequestedData extends LenderRef {
  dueDate: string;
  note?: string;
}
export interface RenewalGrantedData extends LenderRef {
  dueDate: string;
  previousDueDate: string;
  note?: string;
}
export interface RenewalDeniedData extends LenderRef {
  /** The due date, unchanged. */
  dueDate: string;
  note?: string;
}
export interface LoanOverdueData extends LenderRef {
  dueDate: string;
  deadlineAt: string;
}
/** The lender clock that fell due: 'supply' (answered expects/will supply, never shipped), 'cancelAnswer' (a cancel request never answered). */
export type LenderClock = 'supply' | 'cancelAnswer';
/** The lender answered expects/will supply and did not ship by its `supply` deadline: the request stays with it, aging. */
export interface SupplyOverdueData extends LenderRef {
  deadlineAt: string;
}
/** The lender did not answer a cancel request by its `cancelAnswer` deadline: the request stays with it, aging. */
export interface CancelUnansweredData extends LenderRef {
  deadlineAt: string;
}
/**
 * Staff ended an aging lender's turn (after a lender clock fell due): the rota moves to the next
 * candidate when `continueWithNextLender` (unfilled when none is left), else the request is cancelled.
 */
export interface WithdrawnFromLenderData extends LenderRef {
  reason: string;
  continueWithNextLender: boolean;
  /** The clock that had fallen due. */
  clock: LenderClock;
}
/** The request's need-before date passed before anything shipped: the request is cancelled. */
export interface NeedBeforePassedData {
  /** The patron's "not needed after" date (YYYY-MM-DD). */
  needBefore: string;
  /** The lender the request was with, if any. */
  lender: string | null;
  position: number | null;
  deadlineAt: string;
}
/**
 * A clock the request is in (the fold knows it) had no pending deadline: the request was in that
 * state before the clock existed, so no `scheduleDeadline` was recorded for it. Written once per
 * request and clock by `interlend timers schedule-missing` (docs/workflow/lender-clocks.md,
 * "Upgrading"); its effect schedules the deadline the fold tracks, due as the terms say.
 */
export interface MissingDeadlineScheduledData {
  name: RepairableClock;
  /** When the deadline is due, as the fold computed it (the terms the rota recorded, else the defaults). */
  at: string;
  key: string;
}
/** The clocks a request under way may lack a deadline for: the ones added after requests were under way. */
export type RepairableClock = 'supply' | 'cancelAnswer' | 'needBefore';
export interface RecalledData extends LenderRef {
  note?: string;
}
export interface ReturnShippedData extends LenderRef {
  trackingId?: string;
  note?: string;
}
export interface CheckedInData extends LenderRef {
  note?: string;
}
export interface ManuallyClosedData {
  reason: string;
}
export interface ItemLostData {
  kind: LossKind;
  /** The lender of the item, when one was supplying. */
  lender: string | null;
  position: number | null;
  note?: string;
}
export interface ReRequestedData {
  newRequestId: string;
  note?: string;
}
/** A change an amendment made: the value before (null where the field was not set) and after. */
export interface AmendedValue<T> {
  from: T | null;
  to: T;
}
/** The citation fields an amendment may correct (the format and flags decided screening: not these). */
export const AMENDABLE_MATERIAL_FIELDS = ['title', 'author', 'isbn', 'issn', 'oclcNumber', 'edition', 'volume', 'publicationYear'] as const;
export type AmendableMaterialField = (typeof AMENDABLE_MATERIAL_FIELDS)[number];
/**
 * RequestAmended: the borrower (or hub staff) raised the maximum cost or corrected the citation
 * before anything shipped. Only what changed is recorded, with its old and new value. The state and
 * the rota position stay; `reaskLenders` are the lenders whose turn ended 'retry:
 * CostExceedsMaxCost' and that the rota asks again at the new maximum, before any lender not yet
 * asked (decided here, so the fold stays a pure read of the event).
 */
export interface RequestAmendedData {
  maximumCost?: AmendedValue<Money>;
  material?: { [K in AmendableMaterialField]?: AmendedValue<NonNullable<Material[K]>> };
  /** Lenders to ask again, in rota order; empty when the maximum was not raised or none answered cost. */
  reaskLenders: LenderRef[];
  note?: string;
}

/** Data of every event type. */
export interface IllEventDataMap {
  RequestSubmitted: RequestSubmittedData;
  StaffApproved: StaffApprovedData;
  StaffRejected: StaffRejectedData;
  FilledLocally: FilledLocallyData;
  NotAvailableLocally: NotAvailableLocallyData;
  RotaBuilt: RotaBuiltData;
  ExpectToSupplyAnswered: ExpectToSupplyAnsweredData;
  WillSupplyAnswered: WillSupplyAnsweredData;
  ConditionalAnswered: ConditionalAnsweredData;
  ConditionsAccepted: ConditionsAcceptedData;
  ConditionsRejected: ConditionsRejectedData;
  RetryPossibleAnswered: RetryPossibleAnsweredData;
  LenderUnfilled: LenderUnfilledData;
  LenderTimedOut: LenderTimedOutData;
  ConditionalAnswerExpired: ConditionalAnswerExpiredData;
  Shipped: ShippedData;
  Cancelled: CancelledData;
  CancelRequested: CancelRequestedData;
  CancelAccepted: CancelAcceptedData;
  CancelRefused: CancelRefusedData;
  Received: ReceivedData;
  Misdelivered: MisdeliveredData;
  Rerouted: ReroutedData;
  MisdeliveredReturned: MisdeliveredReturnedData;
  WrongItemReported: WrongItemReportedData;
  CheckedOutToPatron: CheckedOutToPatronData;
  RenewalRequested: RenewalRequestedData;
  RenewalGranted: RenewalGrantedData;
  RenewalDenied: RenewalDeniedData;
  LoanOverdue: LoanOverdueData;
  SupplyOverdue: SupplyOverdueData;
  CancelUnanswered: CancelUnansweredData;
  WithdrawnFromLender: WithdrawnFromLenderData;
  NeedBeforePassed: NeedBeforePassedData;
  MissingDeadlineScheduled: MissingDeadlineScheduledData;
  Recalled: RecalledData;
  ReturnShipped: ReturnShippedData;
  CheckedIn: CheckedInData;
  ManuallyClosed: ManuallyClosedData;
  ItemLost: ItemLostData;
  ReRequested: ReRequestedData;
  RequestAmended: RequestAmendedData;
}

export type IllEventType = keyof IllEventDataMap;

/** Every event type, in lifecycle order. */
export const ILL_EVENT_TYPES = [
  'RequestSubmitted',
  'StaffApproved',
  'StaffRejected',
  'FilledLocally',
  'NotAvailableLocally',
  'RotaBuilt',
  'ExpectToSupplyAnswered',
  'WillSupplyAnswered',
  'ConditionalAnswered',
  'ConditionsAccepted',
  'ConditionsRejected',
  'RetryPossibleAnswered',
  'LenderUnfilled',
  'LenderTimedOut',
  'ConditionalAnswerExpired',
  'Shipped',
  'Cancelled',
  'CancelRequested',
  'CancelAccepted',
  'CancelRefused',
  'Received',
  'Misdelivered',
  'Rerouted',
  'MisdeliveredReturned',
  'WrongItemReported',
  'CheckedOutToPatron',
  'RenewalRequested',
  'RenewalGranted',
  'RenewalDenied',
  'LoanOverdue',
  'SupplyOverdue',
  'CancelUnanswered',
  'WithdrawnFromLender',
  'NeedBeforePassed',
  'MissingDeadlineScheduled',
  'Recalled',
  'ReturnShipped',
  'CheckedIn',
  'ManuallyClosed',
  'ItemLost',
  'ReRequested',
  'RequestAmended',
] as const satisfies readonly IllEventType[];

/** An event as a discriminated union on `type`. */
export type IllEvent = { [K in IllEventType]: { type: K; data: IllEventDataMap[K] } }[IllEventType];

/** The event type each command produces (first event; `notAvailableLocally` also produces RotaBuilt). */
export const COMMAND_EVENTS = {
  submit: ['RequestSubmitted'],
  approve: ['StaffApproved'],
  reject: ['StaffRejected'],
  fillLocally: ['FilledLocally'],
  notAvailableLocally: ['NotAvailableLocally', 'RotaBuilt'],
  expectToSupply: ['ExpectToSupplyAnswered'],
  willSupply: ['WillSupplyAnswered'],
  answerConditional: ['ConditionalAnswered'],
  acceptConditions: ['ConditionsAccepted'],
  rejectConditions: ['ConditionsRejected'],
  retryPossible: ['RetryPossibleAnswered'],
  cannotSupply: ['LenderUnfilled'],
  ship: ['Shipped'],
  amend: ['RequestAmended'],
  cancel: ['Cancelled', 'CancelRequested'],
  acceptCancel: ['CancelAccepted'],
  refuseCancel: ['CancelRefused'],
  withdrawFromLender: ['WithdrawnFromLender'],
  receive: ['Received'],
  reportMisdelivered: ['Misdelivered'],
  reroute: ['Rerouted'],
  returnMisdelivered: ['MisdeliveredReturned'],
  reportWrongItem: ['WrongItemReported'],
  checkOutToPatron: ['CheckedOutToPatron'],
  requestRenewal: ['RenewalRequested'],
  grantRenewal: ['RenewalGranted'],
  denyRenewal: ['RenewalDenied'],
  recall: ['Recalled'],
  shipReturn: ['ReturnShipped'],
  checkIn: ['CheckedIn'],
  close: ['ManuallyClosed'],
  reportLost: ['ItemLost'],
  reRequest: ['ReRequested'],
  deadlineReached: ['LenderTimedOut', 'ConditionalAnswerExpired', 'LoanOverdue', 'SupplyOverdue', 'CancelUnanswered', 'NeedBeforePassed'],
  scheduleMissingDeadline: ['MissingDeadlineScheduled'],
} as const satisfies Record<string, readonly IllEventType[]>;

/** The command that produces each event type. */
export const EVENT_COMMAND: Readonly<Record<IllEventType, keyof typeof COMMAND_EVENTS>> = Object.fromEntries(
  Object.entries(COMMAND_EVENTS).flatMap(([command, events]) => events.map((event) => [event, command])),
) as Record<IllEventType, keyof typeof COMMAND_EVENTS>;

// ---------------------------------------------------------------------------------------------
// States

/** Every state name a request can be in (flattened, as `describeState` and `stateAfter` show them). */
export const STATE_NAMES = [
  'needsReview',
  'networkCheck',
  'withLender.requested',
  'withLender.expectsToSupply',
  'withLender.willSupply',
  'withLender.conditional',
  'withLender.cancelPending',
  'shipped',
  'misdelivered',
  'onLoan.received',
  'onLoan.inUse',
  'onLoan.renewalPending',
  'onLoan.overdue',
  'onLoan.recalled',
  'onLoan.awaitingReturn',
  'returnShipped',
  'rejected',
  'documentDelivery',
  'filledLocally',
  'unfilled',
  'reRequested',
  'cancelled',
  'completed',
  'wrongItemReturned',
  'lost',
  'closed',
] as const;
export type IllStateName = (typeof STATE_NAMES)[number];

/**
 * States a request ends in. `unfilled` is terminal for reporting, yet staff may still re-request
 * or close it. `wrongItemReturned`: the item received was the wrong one; it went back and the
 * lender checked it in (a re-request was started): not a fill.
 */
export const TERMINAL_STATES = ['rejected', 'documentDelivery', 'filledLocally', 'unfilled', 'reRequested', 'cancelled', 'completed', 'wrongItemReturned', 'lost', 'closed'] as const;
export type TerminalState = (typeof TERMINAL_STATES)[number];

export function isTerminal(stateName: string): stateName is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(stateName);
}

/** Names of the deadlines the workflow schedules (scheduleDeadline params.name). */
export const DEADLINE_NAMES = ['lenderResponse', 'conditionalAnswer', 'due', 'supply', 'cancelAnswer', 'needBefore'] as const;
export type DeadlineName = (typeof DEADLINE_NAMES)[number];
/** The clocks `scheduleMissingDeadline` may schedule (RepairableClock). */
export const REPAIRABLE_CLOCKS = ['supply', 'cancelAnswer', 'needBefore'] as const satisfies readonly RepairableClock[];

/** Names of the effects (XState actions) the workflow asks for, besides the engine's deadlines. */
export const EFFECT_NAMES = ['notifyLender', 'notifyBorrower', 'notifyLenderOf', 'handToDocumentDelivery', 'startReRequest', 'scheduleDeadline', 'cancelDeadline'] as const;
export type EffectName = (typeof EFFECT_NAMES)[number];

export type { MaterialFormat };

/** Compile-time check that ILL_EVENT_TYPES lists every event type. */
const _everyEventTypeListed: [Exclude<IllEventType, (typeof ILL_EVENT_TYPES)[number]>] extends [never] ? true : never = true;
void _everyEventTypeListed;
