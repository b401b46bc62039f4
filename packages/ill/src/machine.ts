import { assign, setup } from 'xstate';
import type { CancelDeadlineParams, JsonObject, ScheduleDeadlineParams } from '@interlend/engine';
import type { ServiceLevel, ServiceType } from './commands';
import type { CancellableSubstate, IllContext, IllInput } from './context';
import { currentEntry, initialContext, nextCandidate } from './context';
import type { DeadlineName, RequestDetails } from './events';
import { evolve, type IllMachineEvent } from './evolve';
import { addBusinessDays, dueInstant, isPastDue, responseDays } from './policies/businessDays';
import { offerAcceptable, shipmentCostAllowed } from './policies/costs';
import type { ScreeningOutcome } from './policies/screening';

/**
 * The ILL request statechart. Pure: guards and assignments read only the context and the event
 * (data, actor, time, commandId). Effects are no-op actions with JSON params that the engine
 * records; every state that schedules a deadline cancels it on exit.
 */

// ---------------------------------------------------------------------------------------------
// Effect params

export interface NotifyLenderParams extends JsonObject {
  requestId: string;
  library: string;
  position: number;
  serviceType: ServiceType;
  serviceLevel: ServiceLevel;
  /** When the lender's answer is due. */
  respondBy: string;
}
export type BorrowerNotice =
  | 'rejected'
  | 'conditionalAnswer'
  | 'shipped'
  | 'cancelAccepted'
  | 'cancelRefused'
  | 'unfilled'
  | 'renewalGranted'
  | 'renewalDenied'
  | 'recalled'
  | 'overdue';
export interface NotifyBorrowerParams extends JsonObject {
  requestId: string;
  borrower: string;
  about: BorrowerNotice;
  lender: string | null;
  position: number | null;
}
export interface HandToDocumentDeliveryParams extends JsonObject {
  requestId: string;
  borrower: string;
  request: JsonObject;
  reasons: string[];
}
export type ReRequestReason = 'unfilled' | 'wrongItem' | 'misdeliveredReturned';
export interface StartReRequestParams extends JsonObject {
  requestId: string;
  newRequestId: string;
  reason: ReRequestReason;
  borrower: string;
  /** The `submit` data for the new request (relatedRequestId set to this request). */
  request: JsonObject;
  /** Lenders this request already asked, in rota order. */
  triedLenders: string[];
}

/** The business days a borrower has to answer a conditional answer (the clock restarts on each). */
export const CONDITIONAL_ANSWER_DAYS = 4;

/** When the borrower's answer to a conditional answer given at `time` is due (borrower's closures skipped). */
export function conditionalRespondBy(context: IllContext, time: string): string {
  return addBusinessDays(time, CONDITIONAL_ANSWER_DAYS, context.borrowerClosures);
}

/** The pending deadline of each name, from the context. */
export function deadlineFor(name: DeadlineName, context: IllContext): ScheduleDeadlineParams {
  switch (name) {
    case 'lenderResponse':
      return { name, at: context.lenderRespondBy ?? '', key: String(context.current) };
    case 'conditionalAnswer':
      return { name, at: context.conditionalRespondBy ?? '', key: String(context.current) };
    case 'due':
      return { name, at: context.dueDate ? dueInstant(context.dueDate) : '', key: context.dueDate ?? '' };
  }
}

const asJson = (value: unknown): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

function borrowerNotice(context: IllContext, about: BorrowerNotice): NotifyBorrowerParams {
  return { requestId: context.requestId, borrower: context.borrower ?? '', about, lender: context.lender, position: context.current };
}

function reRequest(context: IllContext, reason: ReRequestReason): StartReRequestParams {
  const request: RequestDetails | Record<string, never> = context.request ?? {};
  return {
    requestId: context.requestId,
    newRequestId: context.newRequestId ?? '',
    reason,
    borrower: context.borrower ?? '',
    request: asJson({ ...request, relatedRequestId: context.requestId }),
    triedLenders: context.rota.filter((e) => e.requestedAt !== null).map((e) => e.library),
  };
}

// ---------------------------------------------------------------------------------------------
// Action lists

const schedule = (name: DeadlineName) =>
  [
    { type: 'trackDeadline', params: ({ context }: { context: IllContext }) => deadlineFor(name, context) },
    { type: 'scheduleDeadline', params: ({ context }: { context: IllContext }) => deadlineFor(name, context) },
  ] as const;
const unschedule = (name: DeadlineName) =>
  [
    { type: 'untrackDeadline', params: { name } },
    { type: 'cancelDeadline', params: { name } },
  ] as const;
const notifyBorrower = (about: BorrowerNotice) => ({ type: 'notifyBorrower', params: ({ context }: { context: IllContext }) => borrowerNotice(context, about) }) as const;
const startReRequest = (reason: ReRequestReason) => ({ type: 'startReRequest', params: ({ context }: { context: IllContext }) => reRequest(context, reason) }) as const;
const rememberCancel = (from: CancellableSubstate) => ['record', { type: 'rememberCancel', params: { from } }] as const;
const restoreAfterRefusal = (substate: CancellableSubstate) => ({ guard: { type: 'cancelFrom', params: { substate } }, target: substate, actions: ['record', notifyBorrower('cancelRefused')] }) as const;

const LEAVE = { target: '#ill.nextLender', actions: 'record' } as const;
const CLOSE = { ManuallyClosed: { target: '#ill.closed', actions: 'record' } } as const;
const LOST = { ItemLost: { target: '#ill.lost', actions: 'record' } } as const;

// ---------------------------------------------------------------------------------------------

export const illMachine = setup({
  types: {} as { context: IllContext; events: IllMachineEvent; input: IllInput },
  actions: {
    // Effects: recorded by the engine, carried out by workers after the append commits.
    notifyLender: (_, _params: NotifyLenderParams) => {},
    notifyBorrower: (_, _params: NotifyBorrowerParams) => {},
    handToDocumentDelivery: (_, _params: HandToDocumentDeliveryParams) => {},
    startReRequest: (_, _params: StartReRequestParams) => {},
    scheduleDeadline: (_, _params: ScheduleDeadlineParams) => {},
    cancelDeadline: (_, _params: CancelDeadlineParams) => {},
    // Context.
    record: assign(({ context, event }) => evolve(context, event)),
    trackDeadline: assign(({ context }, params: ScheduleDeadlineParams) => ({
      deadlines: { ...context.deadlines, [params.name]: { at: params.at, key: params.key } },
    })),
    untrackDeadline: assign(({ context }, params: { name: DeadlineName }) => {
      const { [params.name]: _gone, ...rest } = context.deadlines;
      return { deadlines: rest };
    }),
    rememberCancel: assign(({ event }, params: { from: CancellableSubstate }) =>
      event.type === 'CancelRequested'
        ? { cancel: { reason: event.data.reason, continueWithNextLender: event.data.continueWithNextLender, requestedAt: event.time, from: params.from } }
        : {},
    ),
    selectNextLender: assign(({ context, event }) => {
      const next = nextCandidate(context);
      if (!next) return {};
      // Candidates always carry daysToRespond (the rota policy sets it); 4 is the directory's default.
      const days = responseDays(next.daysToRespond ?? 4, context.request?.serviceLevel ?? 'Normal');
      return {
        current: next.position,
        lender: next.library,
        lenderRespondBy: addBusinessDays(event.time, days, next.closures),
        rota: context.rota.map((e) => (e.position === next.position ? { ...e, requestedAt: event.time } : e)),
        costs: { ...context.costs, offered: null, actual: null, consented: null, differsFromOffer: false },
        conditions: [],
        conditionsStatus: 'none' as const,
        conditionalRespondBy: null,
        cancel: null,
      };
    }),
    endRota: assign(() => ({ current: null, lender: null, lenderRespondBy: null, cancel: null })),
    markOverdue: assign({ overdue: true }),
  },
  guards: {
    screenedAs: ({ context }, params: { outcome: ScreeningOutcome }) => context.screening?.outcome === params.outcome,
    hasNextCandidate: ({ context }) => nextCandidate(context) !== undefined,
    cancelFrom: ({ context }, params: { substate: CancellableSubstate }) => context.cancel?.from === params.substate,
    continueWithNextLender: ({ context, event }) => event.type === 'CancelAccepted' && event.data.continueWithNextLender && nextCandidate(context) !== undefined,
    consentCoversOffer: ({ context, event }) =>
      event.type === 'ConditionsAccepted' &&
      context.costs.maximum !== null &&
      offerAcceptable(context.costs.offered, context.costs.maximum, event.data.consentedCost ?? context.costs.consented),
    shipmentCostAllowed: ({ context, event }) =>
      event.type === 'Shipped' && context.costs.maximum !== null && shipmentCostAllowed(event.data.cost, context.costs.maximum, context.costs.consented),
    grantedDueDatePassed: ({ event }) => event.type === 'RenewalGranted' && isPastDue(event.data.dueDate, event.time),
    pastDue: ({ context, event }) => context.dueDate !== null && isPastDue(context.dueDate, event.time),
  },
}).createMachine({
  id: 'ill',
  context: ({ input }) => initialContext(input?.requestId ?? ''),
  initial: 'new',
  states: {
    new: {
      on: { RequestSubmitted: { target: 'screening', actions: 'record' } },
    },
    /** Transient: the screening policy's outcome (assigned on submit) picks the way. */
    screening: {
      always: [
        { guard: { type: 'screenedAs', params: { outcome: 'rejected' } }, target: 'rejected' },
        { guard: { type: 'screenedAs', params: { outcome: 'documentDelivery' } }, target: 'documentDelivery' },
        { guard: { type: 'screenedAs', params: { outcome: 'needsReview' } }, target: 'needsReview' },
        { target: 'networkCheck' },
      ],
    },
    needsReview: {
      on: {
        StaffApproved: { target: 'networkCheck', actions: 'record' },
        StaffRejected: { target: 'rejected', actions: 'record' },
        Cancelled: { target: 'cancelled', actions: 'record' },
        ...CLOSE,
      },
    },
    networkCheck: {
      on: {
        FilledLocally: { target: 'filledLocally', actions: 'record' },
        NotAvailableLocally: { target: 'sourcing', actions: 'record' },
        Cancelled: { target: 'cancelled', actions: 'record' },
        ...CLOSE,
      },
    },
    /** Between NotAvailableLocally and RotaBuilt (both written by one command). */
    sourcing: {
      on: { RotaBuilt: { target: 'nextLender', actions: 'record' }, ...CLOSE },
    },
    /** Transient: ask the next candidate, or end the rota. */
    nextLender: {
      always: [
        { guard: 'hasNextCandidate', target: 'withLender', actions: 'selectNextLender' },
        { target: 'unfilled', actions: 'endRota' },
      ],
    },
    withLender: {
      initial: 'requested',
      entry: {
        type: 'notifyLender',
        params: ({ context }) => ({
          requestId: context.requestId,
          library: context.lender ?? '',
          position: context.current ?? 0,
          serviceType: context.request?.serviceType ?? 'Loan',
          serviceLevel: context.request?.serviceLevel ?? 'Normal',
          respondBy: context.lenderRespondBy ?? '',
        }),
      },
      on: {
        Shipped: { guard: 'shipmentCostAllowed', target: 'shipped', actions: ['record', notifyBorrower('shipped')] },
        ...CLOSE,
      },
      states: {
        requested: {
          entry: [...schedule('lenderResponse')],
          exit: [...unschedule('lenderResponse')],
          on: {
            ExpectToSupplyAnswered: { target: 'expectsToSupply', actions: 'record' },
            WillSupplyAnswered: { target: 'willSupply', actions: 'record' },
            ConditionalAnswered: { target: 'conditional', actions: ['record', notifyBorrower('conditionalAnswer')] },
            RetryPossibleAnswered: LEAVE,
            LenderUnfilled: LEAVE,
            LenderTimedOut: LEAVE,
            CancelRequested: { target: 'cancelPending', actions: rememberCancel('requested') },
          },
        },
        expectsToSupply: {
          on: {
            WillSupplyAnswered: { target: 'willSupply', actions: 'record' },
            ConditionalAnswered: { target: 'conditional', actions: ['record', notifyBorrower('conditionalAnswer')] },
            RetryPossibleAnswered: LEAVE,
            LenderUnfilled: LEAVE,
            CancelRequested: { target: 'cancelPending', actions: rememberCancel('expectsToSupply') },
          },
        },
        willSupply: {
          on: {
            ConditionalAnswered: { target: 'conditional', actions: ['record', notifyBorrower('conditionalAnswer')] },
            RetryPossibleAnswered: LEAVE,
            LenderUnfilled: LEAVE,
            CancelRequested: { target: 'cancelPending', actions: rememberCancel('willSupply') },
          },
        },
        conditional: {
          entry: [...schedule('conditionalAnswer')],
          exit: [...unschedule('conditionalAnswer')],
          on: {
            // A new conditional answer restarts the borrower's clock (exit + entry).
            ConditionalAnswered: { target: 'conditional', reenter: true, actions: ['record', notifyBorrower('conditionalAnswer')] },
            ConditionsAccepted: { guard: 'consentCoversOffer', target: 'willSupply', actions: 'record' },
            ConditionsRejected: LEAVE,
            ConditionalAnswerExpired: LEAVE,
            RetryPossibleAnswered: LEAVE,
            LenderUnfilled: LEAVE,
            CancelRequested: { target: 'cancelPending', actions: rememberCancel('conditional') },
          },
        },
        cancelPending: {
          on: {
            CancelAccepted: [
              { guard: 'continueWithNextLender', target: '#ill.nextLender', actions: ['record', notifyBorrower('cancelAccepted')] },
              { target: '#ill.cancelled', actions: ['record', notifyBorrower('cancelAccepted')] },
            ],
            CancelRefused: [
              restoreAfterRefusal('requested'),
              restoreAfterRefusal('expectsToSupply'),
              restoreAfterRefusal('willSupply'),
              restoreAfterRefusal('conditional'),
            ],
          },
        },
      },
    },
    shipped: {
      on: {
        Received: { target: 'onLoan', actions: 'record' },
        Misdelivered: { target: 'misdelivered', actions: 'record' },
        ...LOST,
        ...CLOSE,
      },
    },
    misdelivered: {
      on: {
        Rerouted: { target: 'shipped', actions: 'record' },
        MisdeliveredReturned: { target: 'returnShipped', actions: ['record', startReRequest('misdeliveredReturned')] },
        ...CLOSE,
      },
    },
    onLoan: {
      initial: 'received',
      entry: [...schedule('due')],
      exit: [...unschedule('due')],
      on: {
        ReturnShipped: { target: 'returnShipped', actions: 'record' },
        CheckedIn: { target: 'completed', actions: 'record' },
        ...LOST,
        ...CLOSE,
      },
      states: {
        received: {
          on: {
            CheckedOutToPatron: { target: 'inUse', actions: 'record' },
            WrongItemReported: { target: 'awaitingReturn', actions: ['record', startReRequest('wrongItem')] },
            RenewalRequested: { target: 'renewalPending', actions: 'record' },
            LoanOverdue: { target: 'overdue', actions: 'record' },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        inUse: {
          on: {
            RenewalRequested: { target: 'renewalPending', actions: 'record' },
            LoanOverdue: { target: 'overdue', actions: 'record' },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        renewalPending: {
          on: {
            RenewalGranted: [
              { guard: 'grantedDueDatePassed', target: 'overdue', actions: ['record', notifyBorrower('renewalGranted')] },
              { target: 'inUse', actions: ['record', ...schedule('due'), notifyBorrower('renewalGranted')] },
            ],
            RenewalDenied: [
              { guard: 'pastDue', target: 'overdue', actions: ['record', notifyBorrower('renewalDenied')] },
              { target: 'inUse', actions: ['record', notifyBorrower('renewalDenied')] },
            ],
            // The due date passes while the lender decides: noted; the answer then decides the state.
            LoanOverdue: { actions: 'record' },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        overdue: {
          // Overdue has no pending 'due' deadline (it fired, or the date passed before it could).
          entry: ['markOverdue', ...unschedule('due'), notifyBorrower('overdue')],
          on: {
            RenewalRequested: { target: 'renewalPending', actions: 'record' },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        recalled: {
          on: { LoanOverdue: { target: 'overdue', actions: 'record' } },
        },
        /** The wrong item was received: it must go back; a re-request was started. */
        awaitingReturn: {
          on: { LoanOverdue: { actions: 'record' } },
        },
      },
    },
    returnShipped: {
      on: {
        CheckedIn: { target: 'completed', actions: 'record' },
        ...LOST,
        ...CLOSE,
      },
    },
    unfilled: {
      // Terminal for reporting; staff may still re-request or close.
      entry: notifyBorrower('unfilled'),
      on: {
        ReRequested: { target: 'reRequested', actions: ['record', startReRequest('unfilled')] },
        ...CLOSE,
      },
    },
    rejected: { type: 'final', entry: notifyBorrower('rejected') },
    documentDelivery: {
      type: 'final',
      entry: {
        type: 'handToDocumentDelivery',
        params: ({ context }) => ({
          requestId: context.requestId,
          borrower: context.borrower ?? '',
          request: asJson(context.request ?? {}),
          reasons: [...(context.screening?.reasons ?? [])],
        }),
      },
    },
    filledLocally: { type: 'final' },
    reRequested: { type: 'final' },
    cancelled: { type: 'final' },
    completed: { type: 'final' },
    lost: { type: 'final' },
    closed: { type: 'final' },
  },
});

export type IllMachine = typeof illMachine;

/** The current lender's rota entry (re-exported for callers holding a snapshot's context). */
export { currentEntry };
