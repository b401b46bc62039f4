import type { WorkflowEvent } from '@interlend/engine';
import type { IllContext, RotaEntryState } from './context';
import { nextCandidate } from './context';
import type { IllEventDataMap, IllEventType, RequestDetails, RotaBuiltData, RotaReason } from './events';
import { costDiffersFromOffer } from './policies/costs';
import { isPastDue } from './policies/businessDays';

/** The event the machine receives for each stored event type. */
export type IllMachineEvent = { [K in IllEventType]: WorkflowEvent<K, IllEventDataMap[K]> }[IllEventType];
export type IllMachineEventOf<K extends IllEventType> = WorkflowEvent<K, IllEventDataMap[K]>;

/** How a lender's turn ended, as recorded on its rota entry. */
export function lenderOutcome(event: IllMachineEvent): string | null {
  switch (event.type) {
    case 'LenderUnfilled':
      return `unfilled: ${event.data.reason}`;
    case 'RetryPossibleAnswered':
      return `retry: ${event.data.reason}`;
    case 'LenderTimedOut':
      return 'timed out';
    case 'ConditionalAnswerExpired':
      return 'conditions expired';
    case 'ConditionsRejected':
      return 'conditions rejected';
    case 'CancelAccepted':
      return 'cancelled';
    case 'ManuallyClosed':
      return 'closed';
    case 'Shipped':
      return 'supplied';
    default:
      return null;
  }
}

/** Event types that are a lender's answer, and the answer's name (a lender's first answer sets answeredAt). */
export const LENDER_ANSWERS: Readonly<Partial<Record<IllEventType, string>>> = {
  ExpectToSupplyAnswered: 'ExpectToSupply',
  WillSupplyAnswered: 'WillSupply',
  ConditionalAnswered: 'Conditional',
  RetryPossibleAnswered: 'RetryPossible',
  LenderUnfilled: 'Unfilled',
  Shipped: 'Shipped',
};

function updateCurrent(context: IllContext, update: (entry: RotaEntryState) => RotaEntryState): RotaEntryState[] {
  return context.rota.map((e) => (e.position === context.current ? update(e) : e));
}

function withoutDeadline(context: IllContext, name: keyof IllContext['deadlines']): IllContext['deadlines'] {
  const { [name]: _gone, ...rest } = context.deadlines;
  return rest;
}

/**
 * The context after an event: the pure `evolve` of the request's data. The machine decides the
 * state; this records the facts. Lender bookkeeping (outcome, answer times) is kept on the current
 * rota entry.
 */
export function evolve(context: IllContext, event: IllMachineEvent): IllContext {
  const answer = LENDER_ANSWERS[event.type];
  const outcome = lenderOutcome(event);
  let next: IllContext = context;
  if ((answer || outcome) && context.current !== null && event.type !== 'ManuallyClosed') {
    next = {
      ...next,
      rota: updateCurrent(next, (e) => ({
        ...e,
        answeredAt: answer ? (e.answeredAt ?? event.time) : e.answeredAt,
        lastAnswer: answer ?? e.lastAnswer,
        outcome: outcome ?? e.outcome,
        leftAt: outcome && outcome !== 'supplied' ? event.time : e.leftAt,
      })),
    };
  }

  switch (event.type) {
    case 'RequestSubmitted': {
      const { requestId: _id, borrower, screening, ...request } = event.data;
      const details: RequestDetails = request;
      return {
        ...next,
        borrower,
        request: details,
        submittedAt: event.time,
        relatedRequestId: details.relatedRequestId ?? null,
        screening: { outcome: screening.outcome, reasons: [...screening.reasons] },
        costs: { ...next.costs, maximum: details.maximumCost },
      };
    }
    case 'StaffApproved':
      return { ...next, review: { decision: 'approved', by: event.actor.id, at: event.time, note: event.data.note ?? null } };
    case 'StaffRejected':
      return { ...next, review: { decision: 'rejected', by: event.actor.id, at: event.time, note: event.data.reason }, endReason: event.data.reason };
    case 'NotAvailableLocally':
      return { ...next, preferredLenders: [...event.data.preferredLenders] };
    case 'RotaBuilt':
      return { ...next, rota: rotaEntries(event.data, next.preferredLenders), borrowerClosures: (event.data.borrowerClosures ?? []).map((c) => ({ ...c })) };
    case 'ConditionalAnswered': {
      const offered = event.data.offeredCost ?? next.costs.offered;
      return {
        ...next,
        conditions: [...next.conditions, { condition: event.data.condition, note: event.data.note ?? null, offeredCost: event.data.offeredCost ?? null, answeredAt: event.time }],
        conditionsStatus: 'pending',
        conditionalRespondBy: event.data.respondBy,
        costs: { ...next.costs, offered },
      };
    }
    case 'ConditionsAccepted':
      return { ...next, conditionsStatus: 'accepted', conditionalRespondBy: null, costs: { ...next.costs, consented: event.data.consentedCost ?? next.costs.consented } };
    case 'ConditionalAnswerExpired':
      return { ...next, deadlines: withoutDeadline(next, 'conditionalAnswer') };
    case 'LenderTimedOut':
      return { ...next, deadlines: withoutDeadline(next, 'lenderResponse') };
    case 'CancelAccepted': {
      // Continuing only when a lender is left; otherwise the cancel ends the request.
      const continues = event.data.continueWithNextLender && nextCandidate(next) !== undefined;
      return { ...next, endReason: continues ? next.endReason : (next.cancel?.reason ?? null), cancel: null };
    }
    case 'CancelRefused':
      return { ...next, cancel: null };
    case 'Cancelled':
      return { ...next, endReason: event.data.reason };
    case 'Shipped':
      return {
        ...next,
        costs: { ...next.costs, actual: event.data.cost, differsFromOffer: costDiffersFromOffer(next.costs.offered, event.data.cost) },
        itemIds: [...event.data.itemIds],
        dueDate: event.data.dueDate,
        trackingId: event.data.trackingId ?? null,
        sentVia: event.data.sentVia ?? null,
        shippedConditions: [...(event.data.conditions ?? [])],
        shippedAt: event.time,
        conditionsStatus: next.conditionsStatus === 'pending' ? 'presumed' : next.conditionsStatus,
        conditionalRespondBy: null,
        cancel: null,
      };
    case 'Received':
      return { ...next, receivedItemIds: [...event.data.itemIds], receivedAt: event.time };
    case 'Misdelivered':
      return { ...next, misdeliveredTo: event.data.receivedBy };
    case 'Rerouted':
      return { ...next, misdeliveredTo: null, trackingId: event.data.trackingId ?? next.trackingId };
    case 'MisdeliveredReturned':
      return { ...next, newRequestId: event.data.newRequestId, returnShippedAt: event.time, returnTrackingId: event.data.trackingId ?? null };
    case 'WrongItemReported':
      return { ...next, newRequestId: event.data.newRequestId };
    case 'RenewalRequested':
      return { ...next, renewals: next.renewals + 1, renewalRequestedAt: event.time };
    case 'RenewalGranted':
      return { ...next, dueDate: event.data.dueDate, overdue: isPastDue(event.data.dueDate, event.time) };
    case 'LoanOverdue':
      return { ...next, overdue: true, deadlines: withoutDeadline(next, 'due') };
    case 'Recalled':
      return { ...next, recalled: true, recalledAt: event.time };
    case 'ReturnShipped':
      return { ...next, returnShippedAt: event.time, returnTrackingId: event.data.trackingId ?? null };
    case 'CheckedIn':
      return { ...next, completedAt: event.time };
    case 'ManuallyClosed':
      return {
        ...next,
        endReason: event.data.reason,
        cancel: null,
        rota: next.rota.map((e) => (e.position === next.current && e.outcome === null ? { ...e, outcome: 'closed', leftAt: event.time } : e)),
      };
    case 'ItemLost':
      return { ...next, lostKind: event.data.kind };
    case 'ReRequested':
      return { ...next, newRequestId: event.data.newRequestId };
    default:
      return next;
  }
}

/**
 * The rota a request keeps from RotaBuilt (version 2): candidates at positions 1..n, then the
 * skipped libraries the borrower preferred. A candidate's reason is kept where the event says it
 * (preferred, last resort); the network groups are the directory's.
 */
function rotaEntries(data: RotaBuiltData, preferred: readonly string[]): RotaEntryState[] {
  const fresh = { requestedAt: null, answeredAt: null, lastAnswer: null, outcome: null, leftAt: null };
  const candidates: RotaEntryState[] = data.candidates.map((c, i) => {
    const reason: RotaReason | null = preferred.includes(c.library) ? 'preferred by borrower' : c.lastResort ? 'lender of last resort' : null;
    return {
      position: i + 1,
      library: c.library,
      status: 'candidate',
      ...(reason ? { reason } : {}),
      daysToRespond: c.daysToRespond,
      closures: (c.closures ?? []).map((x) => ({ ...x })),
      lastResort: c.lastResort === true,
      ...fresh,
    };
  });
  // Version 1 events recorded every skipped library; the request keeps the ones its borrower preferred.
  const skipped = (data.skipped ?? []).filter((e) => preferred.includes(e.library));
  return [...candidates, ...skipped.map((e, i): RotaEntryState => ({ position: candidates.length + i + 1, library: e.library, status: 'skipped', reason: e.reason, ...fresh }))];
}
