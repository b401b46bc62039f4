import type { LoanCondition, LossKind, Money } from './commands';
import type { Closure, DeadlineName, LenderClock, RequestDetails, RotaEntry } from './events';
import type { ScreeningResult } from './policies/screening';

/**
 * The folded state of one request: what projections and the CLI read besides the state name.
 * JSON only (null, never undefined), so a snapshot can be persisted as is.
 */

/** A rota entry as it stands now. An entry was asked iff `requestedAt` is set. */
export interface RotaEntryState extends RotaEntry {
  /** When the request was sent to this lender; null while not (yet) asked. */
  requestedAt: string | null;
  /** When the lender first answered (any answer, including cannot supply); null if it never did. */
  answeredAt: string | null;
  /** The lender's latest answer: 'ExpectToSupply', 'WillSupply', 'Conditional', 'RetryPossible', 'Unfilled', 'Shipped'. */
  lastAnswer: string | null;
  /** How this lender's turn ended: 'unfilled: NotHeld', 'retry: CostExceedsMaxCost', 'timed out', 'conditions rejected', 'conditions expired', 'cancelled', 'closed', 'supplied'. Null while it is the current lender and has not shipped. */
  outcome: string | null;
  /** When the rota left this lender; null while current or never asked. */
  leftAt: string | null;
  /**
   * True when an amendment raised the maximum cost after this lender answered 'retry:
   * CostExceedsMaxCost': the rota asks it again (before any lender not yet asked). Absent otherwise.
   */
  askAgain?: boolean;
  /** The turns before the current one, oldest first, when the rota asked this lender again. Absent when asked once. */
  earlierTurns?: LenderTurn[];
}

/** One earlier turn of a lender the rota asked again. */
export interface LenderTurn {
  requestedAt: string;
  answeredAt: string | null;
  lastAnswer: string | null;
  outcome: string | null;
  leftAt: string | null;
}

export interface ConditionState {
  condition: LoanCondition;
  note: string | null;
  offeredCost: Money | null;
  answeredAt: string;
}

/** The withLender substates a cancel may return to. */
export type CancellableSubstate = 'requested' | 'expectsToSupply' | 'willSupply' | 'conditional';

export interface PendingCancel {
  reason: string;
  continueWithNextLender: boolean;
  requestedAt: string;
  /** The substate to restore when the lender refuses the cancel. */
  from: CancellableSubstate;
}

/** A lender clock that fell due while the request stays with the lender: it is aging, and staff may withdraw it (withdrawFromLender). */
export interface Aging {
  clock: LenderClock;
  /** When the clock was due. */
  deadlineAt: string;
  /** When it fell due (the timer's event). */
  since: string;
}

export interface PendingDeadline {
  at: string;
  key: string;
}

export interface Costs {
  maximum: Money | null;
  /** Offered by the current lender in a conditional answer. */
  offered: Money | null;
  /** Charged on shipment. */
  actual: Money | null;
  /** Consented to by the borrower above the maximum (acceptConditions consentToCost). */
  consented: Money | null;
  /** True when an offer was made and the shipped cost differs from it. */
  differsFromOffer: boolean;
}

export interface IllContext {
  requestId: string;
  borrower: string | null;
  request: RequestDetails | null;
  submittedAt: string | null;
  relatedRequestId: string | null;
  screening: ScreeningResult | null;
  review: { decision: 'approved' | 'rejected'; by: string; at: string; note: string | null } | null;
  preferredLenders: string[];
  rota: RotaEntryState[];
  /** The borrower's closures when the rota was built: its answer deadlines (conditional answers) skip them. */
  borrowerClosures: Closure[];
  /** Rota position of the current lender (the supplier once shipped); null before the rota and after it ended. */
  current: number | null;
  /** Library code of the current lender. */
  lender: string | null;
  /** When the current lender's answer is due (lenderResponse deadline). */
  lenderRespondBy: string | null;
  costs: Costs;
  /** Conditions of the current lender, in the order answered. */
  conditions: ConditionState[];
  conditionsStatus: 'none' | 'pending' | 'accepted' | 'presumed';
  /** When the borrower's answer to a conditional answer is due (conditionalAnswer deadline). */
  conditionalRespondBy: string | null;
  cancel: PendingCancel | null;
  /** When the current lender must ship by (supply clock, from its expects/will-supply answer); null otherwise. */
  supplyBy: string | null;
  /** When the current lender must answer the pending cancel by (cancelAnswer clock); null otherwise. */
  cancelAnswerBy: string | null;
  /** A lender clock that fell due while the request stays with the current lender; null otherwise. */
  aging: Aging | null;
  itemIds: string[];
  receivedItemIds: string[];
  dueDate: string | null;
  trackingId: string | null;
  sentVia: string | null;
  shippedConditions: string[];
  shippedAt: string | null;
  receivedAt: string | null;
  returnShippedAt: string | null;
  returnTrackingId: string | null;
  completedAt: string | null;
  misdeliveredTo: string | null;
  renewals: number;
  renewalRequestedAt: string | null;
  recalled: boolean;
  recalledAt: string | null;
  overdue: boolean;
  /** Deadlines scheduled and not yet fired or cancelled, by name: a deadline command must match one. */
  deadlines: Partial<Record<DeadlineName, PendingDeadline>>;
  newRequestId: string | null;
  /** When the borrower reported that the item received was the wrong one (it then ends `wrongItemReturned`, not `completed`). */
  wrongItemReportedAt: string | null;
  /** Why the request ended, where a reason was given (rejected, cancelled, closed). */
  endReason: string | null;
  lostKind: LossKind | null;
}

export interface IllInput {
  requestId: string;
}

export function initialContext(requestId: string): IllContext {
  return {
    requestId,
    borrower: null,
    request: null,
    submittedAt: null,
    relatedRequestId: null,
    screening: null,
    review: null,
    preferredLenders: [],
    rota: [],
    borrowerClosures: [],
    current: null,
    lender: null,
    lenderRespondBy: null,
    costs: { maximum: null, offered: null, actual: null, consented: null, differsFromOffer: false },
    conditions: [],
    conditionsStatus: 'none',
    conditionalRespondBy: null,
    cancel: null,
    supplyBy: null,
    cancelAnswerBy: null,
    aging: null,
    itemIds: [],
    receivedItemIds: [],
    dueDate: null,
    trackingId: null,
    sentVia: null,
    shippedConditions: [],
    shippedAt: null,
    receivedAt: null,
    returnShippedAt: null,
    returnTrackingId: null,
    completedAt: null,
    misdeliveredTo: null,
    renewals: 0,
    renewalRequestedAt: null,
    recalled: false,
    recalledAt: null,
    overdue: false,
    deadlines: {},
    newRequestId: null,
    wrongItemReportedAt: null,
    endReason: null,
    lostKind: null,
  };
}

/** The current lender's rota entry. */
export function currentEntry(context: IllContext): RotaEntryState | undefined {
  return context.current === null ? undefined : context.rota.find((e) => e.position === context.current);
}

/**
 * The next lender to ask, if any: first a lender to ask again after an amendment raised the
 * maximum cost (`askAgain`, in rota order), then the next candidate not yet asked after the
 * current position.
 */
export function nextCandidate(context: IllContext): RotaEntryState | undefined {
  const again = context.rota.find((e) => e.askAgain === true && e.status === 'candidate' && e.position !== context.current);
  if (again) return again;
  const after = context.current ?? 0;
  return context.rota.find((e) => e.status === 'candidate' && e.position > after && e.requestedAt === null);
}

/** A rota entry asked at `time`: a first ask sets `requestedAt`; asking again keeps the earlier turn in `earlierTurns`. */
export function askedNow(entry: RotaEntryState, time: string): RotaEntryState {
  if (entry.requestedAt === null) return { ...entry, requestedAt: time };
  const { askAgain: _again, earlierTurns = [], ...rest } = entry;
  const turn: LenderTurn = { requestedAt: entry.requestedAt, answeredAt: entry.answeredAt, lastAnswer: entry.lastAnswer, outcome: entry.outcome, leftAt: entry.leftAt };
  return { ...rest, earlierTurns: [...earlierTurns, turn], requestedAt: time, answeredAt: null, lastAnswer: null, outcome: null, leftAt: null };
}

/** Whether the borrower reported the wrong item (safe on a snapshot cached before the field existed). */
export const wrongItemReported = (context: IllContext): boolean => typeof context.wrongItemReportedAt === 'string';

/**
 * The id of the request that replaces this one (re-request, wrong item, misdelivery returned):
 * deterministic, `R` -> `R-r1`, `R-r1` -> `R-r2`.
 */
export function reRequestId(requestId: string): string {
  const m = /^(.*)-r(\d+)$/.exec(requestId);
  return m ? `${m[1]}-r${Number(m[2]) + 1}` : `${requestId}-r1`;
}
