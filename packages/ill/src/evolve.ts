import type { WorkflowEvent } from '@interlend/engine';
import type { IllContext, RotaEntryState } from './context';
import { nextCandidate } from './context';
import type { IllEventDataMap, IllEventType, RequestAmendedData, RequestDetails, RotaBuiltData, RotaReason } from './events';
import { costDiffersFromOffer } from './policies/costs';
import { addBusinessDays, isPastDue } from './policies/businessDays';
import { DEFAULT_DAYS_TO_ANSWER_CANCEL, DEFAULT_DAYS_TO_SHIP } from './directory';

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
    case 'WithdrawnFromLender':
      return `withdrawn: ${event.data.clock === 'supply' ? 'supply overdue' : 'cancel unanswered'}`;
    case 'NeedBeforePassed':
      return 'cancelled: need-before date passed';
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

/** When a lender clock started at `time` falls due: the current lender's days (from its rota entry, else the default), its closures skipped. */
function lenderClockDue(context: IllContext, time: string, clock: 'supply' | 'cancelAnswer'): string {
  const entry = context.rota.find((e) => e.position === context.current);
  const days = clock === 'supply' ? (entry?.daysToShip ?? DEFAULT_DAYS_TO_SHIP) : (entry?.daysToAnswerCancel ?? DEFAULT_DAYS_TO_ANSWER_CANCEL);
  return addBusinessDays(time, days, entry?.closures ?? []);
}

/** No lender clock running or fallen due (the lender's turn or its promise ended). */
const NO_LENDER_CLOCKS = { supplyBy: null, cancelAnswerBy: null, aging: null } as const;

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
        screening: {
          outcome: screening.outcome,
          reasons: [...screening.reasons],
          ...(screening.overLibraryMaximum ? { overLibraryMaximum: { libraryMaximum: { ...screening.overLibraryMaximum.libraryMaximum }, approval: screening.overLibraryMaximum.approval } } : {}),
        },
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
        // A conditional answer replaces any promise to supply: its clock ends (accepting restarts it).
        supplyBy: null,
        aging: null,
      };
    }
    case 'ConditionsAccepted':
      return {
        ...next,
        conditionsStatus: 'accepted',
        conditionalRespondBy: null,
        costs: { ...next.costs, consented: event.data.consentedCost ?? next.costs.consented },
        supplyBy: lenderClockDue(next, event.time, 'supply'),
        aging: null,
      };
    case 'ExpectToSupplyAnswered':
    case 'WillSupplyAnswered':
      // The supply clock (re)starts with each promise to supply.
      return { ...next, supplyBy: lenderClockDue(next, event.time, 'supply'), aging: null };
    case 'CancelRequested':
      return { ...next, cancelAnswerBy: lenderClockDue(next, event.time, 'cancelAnswer') };
    case 'SupplyOverdue':
      return { ...next, aging: { clock: 'supply', deadlineAt: event.data.deadlineAt, since: event.time }, deadlines: withoutDeadline(next, 'supply') };
    case 'CancelUnanswered':
      return { ...next, aging: { clock: 'cancelAnswer', deadlineAt: event.data.deadlineAt, since: event.time }, deadlines: withoutDeadline(next, 'cancelAnswer') };
    case 'WithdrawnFromLender':
      return { ...next, ...NO_LENDER_CLOCKS, cancel: null, endReason: event.data.continueWithNextLender ? next.endReason : event.data.reason };
    case 'NeedBeforePassed':
      return {
        ...next,
        ...NO_LENDER_CLOCKS,
        cancel: null,
        endReason: `not needed after ${event.data.needBefore}: the need-before date passed before anything shipped`,
        deadlines: withoutDeadline(next, 'needBefore'),
      };
    case 'ConditionalAnswerExpired':
      return { ...next, deadlines: withoutDeadline(next, 'conditionalAnswer') };
    case 'LenderTimedOut':
      return { ...next, deadlines: withoutDeadline(next, 'lenderResponse') };
    case 'CancelAccepted': {
      // Continuing only when a lender is left; otherwise the cancel ends the request.
      const continues = event.data.continueWithNextLender && nextCandidate(next) !== undefined;
      return { ...next, ...NO_LENDER_CLOCKS, endReason: continues ? next.endReason : (next.cancel?.reason ?? null), cancel: null };
    }
    case 'CancelRefused':
      // The refused cancel's clock ends; a supply clock that had fallen due stays fallen due.
      return { ...next, cancel: null, cancelAnswerBy: null, aging: next.aging?.clock === 'cancelAnswer' ? null : (next.aging ?? null) };
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
        ...NO_LENDER_CLOCKS,
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
      return { ...next, newRequestId: event.data.newRequestId, wrongItemReportedAt: event.time };
    case 'RequestAmended':
      return amended(next, event.data);
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

/** The request after an amendment: the new maximum and citation; the lenders to ask again flagged on the rota. */
function amended(context: IllContext, data: RequestAmendedData): IllContext {
  const corrections = Object.fromEntries(Object.entries(data.material ?? {}).map(([field, change]) => [field, change.to]));
  const maximum = data.maximumCost?.to;
  const request = context.request ? { ...context.request, ...(maximum ? { maximumCost: maximum } : {}), material: { ...context.request.material, ...corrections } } : null;
  const again = new Set((data.reaskLenders ?? []).map((r) => r.position));
  return {
    ...context,
    request,
    costs: maximum ? { ...context.costs, maximum } : context.costs,
    rota: again.size ? context.rota.map((e) => (again.has(e.position) ? { ...e, askAgain: true } : e)) : context.rota,
  };
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
      // Lender clocks: present only where the rota recorded terms other than the defaults.
      ...(c.daysToShip !== undefined ? { daysToShip: c.daysToShip } : {}),
      ...(c.daysToAnswerCancel !== undefined ? { daysToAnswerCancel: c.daysToAnswerCancel } : {}),
      ...(c.outsideNetwork ? { outsideNetwork: true } : {}),
      ...fresh,
    };
  });
  // Version 1 events recorded every skipped library; the request keeps the ones its borrower preferred.
  const skipped = (data.skipped ?? []).filter((e) => preferred.includes(e.library));
  return [...candidates, ...skipped.map((e, i): RotaEntryState => ({ position: candidates.length + i + 1, library: e.library, status: 'skipped', reason: e.reason, ...fresh }))];
}
