import { assign, enqueueActions, setup } from 'xstate';
import type { CancelDeadlineParams, JsonObject, ScheduleDeadlineParams } from '@interlend/engine';
import type { ServiceLevel, ServiceType } from './commands';
import type { CancellableSubstate, IllContext, IllInput } from './context';
import { askedNow, currentEntry, initialContext, nextCandidate, wrongItemReported } from './context';
import type { DeadlineName, MissingDeadlineScheduledData, RequestDetails } from './events';
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
  | 'overdue'
  /** Lender clocks (docs/workflow/lender-clocks.md): the lender did not ship by its supply deadline. */
  | 'supplyOverdue'
  /** The lender did not answer the cancel request by its deadline. */
  | 'cancelUnanswered'
  /** The need-before date passed before anything shipped: the request is cancelled. */
  | 'needBeforePassed';
export interface NotifyBorrowerParams extends JsonObject {
  requestId: string;
  borrower: string;
  about: BorrowerNotice;
  lender: string | null;
  position: number | null;
}
/**
 * What a lender is told besides being asked (`notifyLender`): the borrower asks it to cancel, asks
 * for a renewal, shipped the item back; staff withdrew the request from it; the request's
 * need-before date passed while it had it; staff closed the request by hand while it had it (or
 * was asked); the borrower (or hub staff) amended the request while it had it.
 */
export type LenderNotice = 'cancelRequested' | 'renewalRequested' | 'returnShipped' | 'withdrawn' | 'needBeforePassed' | 'closed' | 'amended';
export interface NotifyLenderOfParams extends JsonObject {
  requestId: string;
  /** The lender told. */
  library: string;
  position: number | null;
  about: LenderNotice;
  borrower: string;
  /** Why, where the event gives a reason (cancel, withdrawal, close; an amendment's note). */
  reason: string | null;
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
    case 'supply':
      return { name, at: context.supplyBy ?? '', key: String(context.current) };
    case 'cancelAnswer':
      return { name, at: context.cancelAnswerBy ?? '', key: String(context.current) };
    case 'needBefore': {
      // "Not needed after" the date: the search ends when that day is over (UTC), like a due date.
      const needBefore = context.request?.needBefore;
      return { name, at: needBefore ? dueInstant(needBefore) : '', key: needBefore ?? '' };
    }
  }
}

const asJson = (value: unknown): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

function borrowerNotice(context: IllContext, about: BorrowerNotice): NotifyBorrowerParams {
  return { requestId: context.requestId, borrower: context.borrower ?? '', about, lender: context.lender, position: context.current };
}

function lenderNotice(context: IllContext, about: LenderNotice, event: IllMachineEvent): NotifyLenderOfParams {
  const data = event.data as { reason?: unknown; note?: unknown };
  const given = about === 'amended' ? data.note : data.reason;
  const reason = about === 'needBeforePassed' ? `not needed after ${context.request?.needBefore ?? '?'}` : typeof given === 'string' ? given : null;
  return { requestId: context.requestId, library: context.lender ?? '', position: context.current, about, borrower: context.borrower ?? '', reason };
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
/**
 * A named action of this machine with its params, for `enqueueActions` in `setup` (whose types
 * cannot name the machine's own actions yet); xstate resolves it by name like any other.
 */
const named = (type: 'trackDeadline' | 'scheduleDeadline' | 'untrackDeadline' | 'cancelDeadline', params: JsonObject) => ({ type, params }) as never;
const notifyLenderOf = (about: LenderNotice) =>
  ({ type: 'notifyLenderOf', params: ({ context, event }: { context: IllContext; event: IllMachineEvent }) => lenderNotice(context, about, event) }) as const;
const startReRequest = (reason: ReRequestReason) => ({ type: 'startReRequest', params: ({ context }: { context: IllContext }) => reRequest(context, reason) }) as const;
const rememberCancel = (from: CancellableSubstate) => ['record', { type: 'rememberCancel', params: { from } }, notifyLenderOf('cancelRequested')] as const;
const restoreAfterRefusal = (substate: CancellableSubstate) => ({ guard: { type: 'cancelFrom', params: { substate } }, target: substate, actions: ['record', notifyBorrower('cancelRefused')] }) as const;

const LEAVE = { target: '#ill.nextLender', actions: 'record' } as const;
const CLOSE = { ManuallyClosed: { target: '#ill.closed', actions: 'record' } } as const;
/** Closed by hand while a lender has the request (or was asked): that lender is told, with the reason. */
const CLOSE_WITH_LENDER = { ManuallyClosed: { target: '#ill.closed', actions: ['record', notifyLenderOf('closed')] } } as const;
const LOST = { ItemLost: { target: '#ill.lost', actions: 'record' } } as const;
/** Staff end an aging lender's turn (decide allows it only once a lender clock fell due): the next lender, or cancelled. */
const WITHDRAW = [
  { guard: 'withdrawContinues', target: '#ill.nextLender', actions: ['record', notifyLenderOf('withdrawn')] },
  { target: '#ill.cancelled', actions: ['record', notifyLenderOf('withdrawn')] },
] as const;
/**
 * A lender clock fell due: the request stays where it is (no exit, no entry), aging; the borrower
 * is told. The deadline that fired is cancelled: no state is exited to do it, and a fired deadline
 * left pending would be fired again (as a duplicate) by every run of the timer worker.
 */
const SUPPLY_OVERDUE = { SupplyOverdue: { actions: ['record', ...unschedule('supply'), notifyBorrower('supplyOverdue')] } } as const;
/** The need-before date passed before anything shipped: cancelled; the borrower (and the lender asked, if any) told. */
const NEED_BEFORE_PASSED = { NeedBeforePassed: { target: '#ill.cancelled', actions: ['record', notifyBorrower('needBeforePassed')] } } as const;
/**
 * An amendment (raised maximum, corrected citation) changes neither the state nor the rota
 * position: a targetless transition, so no state is exited or entered and no deadline restarts.
 */
const AMEND = { actions: 'record' } as const;
/** An amendment while a lender has the request (asked, promised, conditional, asked to cancel): the lender is told, with the note. */
const AMEND_WITH_LENDER = { actions: ['record', notifyLenderOf('amended')] } as const;
/**
 * The one-off repair of a request that was in a clock's state before the clock existed: the fold
 * tracks the deadline, the timer service never heard of it. Schedules exactly the tracked one
 * (decide refuses any other); no state is exited or entered.
 */
const SCHEDULE_MISSING = {
  MissingDeadlineScheduled: {
    guard: 'tracksMissingDeadline',
    actions: [
      'record',
      {
        type: 'scheduleDeadline',
        params: ({ event }: { event: IllMachineEvent }) => {
          const { name, at, key } = event.data as MissingDeadlineScheduledData;
          return { name, at, key };
        },
      },
    ],
  },
} as const;
/** The lender checked the item in: the loan is completed, unless the item was the wrong one. */
const CHECK_IN = [
  { guard: 'wrongItem', target: '#ill.wrongItemReturned', actions: 'record' },
  { target: '#ill.completed', actions: 'record' },
] as const;

// ---------------------------------------------------------------------------------------------

export const illMachine = setup({
  types: {} as { context: IllContext; events: IllMachineEvent; input: IllInput },
  actions: {
    // Effects: recorded by the engine, carried out by workers after the append commits.
    notifyLender: (_, _params: NotifyLenderParams) => {},
    notifyBorrower: (_, _params: NotifyBorrowerParams) => {},
    notifyLenderOf: (_, _params: NotifyLenderOfParams) => {},
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
        rota: context.rota.map((e) => (e.position === next.position ? askedNow(e, event.time) : e)),
        costs: { ...context.costs, offered: null, actual: null, consented: null, differsFromOffer: false },
        conditions: [],
        conditionsStatus: 'none' as const,
        conditionalRespondBy: null,
        cancel: null,
        supplyBy: null,
        cancelAnswerBy: null,
        aging: null,
      };
    }),
    endRota: assign(() => ({ current: null, lender: null, lenderRespondBy: null, cancel: null, supplyBy: null, cancelAnswerBy: null, aging: null })),
    /**
     * Schedules a lender clock on entering its state, unless it already fell due (the request is
     * aging: a refused cancel returns to willSupply without starting it again) or none is set.
     */
    startLenderClock: enqueueActions(({ context, enqueue }, params: { name: 'supply' | 'cancelAnswer' }) => {
      const at = params.name === 'supply' ? context.supplyBy : context.cancelAnswerBy;
      if (!at || context.aging?.clock === params.name) return;
      const deadline = deadlineFor(params.name, context);
      enqueue(named('trackDeadline', deadline));
      enqueue(named('scheduleDeadline', deadline));
    }),
    /** Cancels the need-before clock where one is pending (most requests have none: nothing is recorded then). */
    endNeedBefore: enqueueActions(({ context, enqueue }) => {
      if (!context.deadlines?.needBefore) return;
      enqueue(named('untrackDeadline', { name: 'needBefore' }));
      enqueue(named('cancelDeadline', { name: 'needBefore' }));
    }),
    markOverdue: assign({ overdue: true }),
  },
  guards: {
    screenedAs: ({ context }, params: { outcome: ScreeningOutcome }) => context.screening?.outcome === params.outcome,
    hasNextCandidate: ({ context }) => nextCandidate(context) !== undefined,
    cancelFrom: ({ context }, params: { substate: CancellableSubstate }) => context.cancel?.from === params.substate,
    continueWithNextLender: ({ context, event }) => event.type === 'CancelAccepted' && event.data.continueWithNextLender && nextCandidate(context) !== undefined,
    /** Withdrawn to move on: the next lender (or unfilled when none is left). */
    withdrawContinues: ({ event }) => event.type === 'WithdrawnFromLender' && event.data.continueWithNextLender,
    submittedWithNeedBefore: ({ event }) => event.type === 'RequestSubmitted' && typeof event.data.needBefore === 'string',
    consentCoversOffer: ({ context, event }) =>
      event.type === 'ConditionsAccepted' &&
      context.costs.maximum !== null &&
      offerAcceptable(context.costs.offered, context.costs.maximum, event.data.consentedCost ?? context.costs.consented),
    shipmentCostAllowed: ({ context, event }) =>
      event.type === 'Shipped' && context.costs.maximum !== null && shipmentCostAllowed(event.data.cost, context.costs.maximum, context.costs.consented),
    grantedDueDatePassed: ({ event }) => event.type === 'RenewalGranted' && isPastDue(event.data.dueDate, event.time),
    pastDue: ({ context, event }) => context.dueDate !== null && isPastDue(context.dueDate, event.time),
    wrongItem: ({ context }) => wrongItemReported(context),
    tracksMissingDeadline: ({ context, event }) => {
      if (event.type !== 'MissingDeadlineScheduled') return false;
      const tracked = context.deadlines[event.data.name];
      return tracked !== undefined && tracked.key === event.data.key && Date.parse(tracked.at) === Date.parse(event.data.at);
    },
  },
}).createMachine({
  id: 'ill',
  context: ({ input }) => initialContext(input?.requestId ?? ''),
  initial: 'new',
  states: {
    new: {
      on: {
        RequestSubmitted: [
          // The need-before clock runs from submission until something ships or the request ends.
          { guard: 'submittedWithNeedBefore', target: 'screening', actions: ['record', ...schedule('needBefore')] },
          { target: 'screening', actions: 'record' },
        ],
      },
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
        RequestAmended: AMEND,
        Cancelled: { target: 'cancelled', actions: 'record' },
        ...NEED_BEFORE_PASSED,
        ...SCHEDULE_MISSING,
        ...CLOSE,
      },
    },
    networkCheck: {
      on: {
        FilledLocally: { target: 'filledLocally', actions: 'record' },
        NotAvailableLocally: { target: 'sourcing', actions: 'record' },
        RequestAmended: AMEND,
        Cancelled: { target: 'cancelled', actions: 'record' },
        ...NEED_BEFORE_PASSED,
        ...SCHEDULE_MISSING,
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
        RequestAmended: AMEND_WITH_LENDER,
        NeedBeforePassed: { target: '#ill.cancelled', actions: ['record', notifyBorrower('needBeforePassed'), notifyLenderOf('needBeforePassed')] },
        ...SCHEDULE_MISSING,
        ...CLOSE_WITH_LENDER,
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
          entry: { type: 'startLenderClock', params: { name: 'supply' } },
          exit: [...unschedule('supply')],
          on: {
            ...SUPPLY_OVERDUE,
            WithdrawnFromLender: WITHDRAW,
            WillSupplyAnswered: { target: 'willSupply', actions: 'record' },
            ConditionalAnswered: { target: 'conditional', actions: ['record', notifyBorrower('conditionalAnswer')] },
            RetryPossibleAnswered: LEAVE,
            LenderUnfilled: LEAVE,
            CancelRequested: { target: 'cancelPending', actions: rememberCancel('expectsToSupply') },
          },
        },
        willSupply: {
          entry: { type: 'startLenderClock', params: { name: 'supply' } },
          exit: [...unschedule('supply')],
          on: {
            ...SUPPLY_OVERDUE,
            WithdrawnFromLender: WITHDRAW,
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
          entry: { type: 'startLenderClock', params: { name: 'cancelAnswer' } },
          exit: [...unschedule('cancelAnswer')],
          on: {
            CancelUnanswered: { actions: ['record', ...unschedule('cancelAnswer'), notifyBorrower('cancelUnanswered')] },
            WithdrawnFromLender: WITHDRAW,
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
      entry: 'endNeedBefore',
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
        MisdeliveredReturned: { target: 'returnShipped', actions: ['record', startReRequest('misdeliveredReturned'), notifyLenderOf('returnShipped')] },
        ...CLOSE,
      },
    },
    onLoan: {
      initial: 'received',
      entry: [...schedule('due')],
      exit: [...unschedule('due')],
      on: {
        ReturnShipped: { target: 'returnShipped', actions: ['record', notifyLenderOf('returnShipped')] },
        CheckedIn: CHECK_IN,
        ...LOST,
        ...CLOSE,
      },
      states: {
        received: {
          on: {
            CheckedOutToPatron: { target: 'inUse', actions: 'record' },
            WrongItemReported: { target: 'awaitingReturn', actions: ['record', startReRequest('wrongItem')] },
            RenewalRequested: { target: 'renewalPending', actions: ['record', notifyLenderOf('renewalRequested')] },
            LoanOverdue: { target: 'overdue', actions: 'record' },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        inUse: {
          on: {
            RenewalRequested: { target: 'renewalPending', actions: ['record', notifyLenderOf('renewalRequested')] },
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
            // The due date passes while the lender decides: noted, and the 'due' deadline is done (a grant schedules the new one); the answer then decides the state.
            LoanOverdue: { actions: 'record' },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        overdue: {
          // Overdue has no pending 'due' deadline (it fired, or the date passed before it could).
          entry: ['markOverdue', ...unschedule('due'), notifyBorrower('overdue')],
          on: {
            RenewalRequested: { target: 'renewalPending', actions: ['record', notifyLenderOf('renewalRequested')] },
            Recalled: { target: 'recalled', actions: ['record', notifyBorrower('recalled')] },
          },
        },
        recalled: {
          on: { LoanOverdue: { target: 'overdue', actions: 'record' } },
        },
        /** The wrong item was received: it must go back; a re-request was started. */
        awaitingReturn: {
          // The due date passes before the wrong item is back: noted, and the 'due' deadline is done.
          on: { LoanOverdue: { actions: 'record' } },
        },
      },
    },
    returnShipped: {
      on: {
        CheckedIn: CHECK_IN,
        ...LOST,
        ...CLOSE,
      },
    },
    unfilled: {
      // Terminal for reporting; staff may still re-request or close.
      entry: ['endNeedBefore', notifyBorrower('unfilled')],
      on: {
        ReRequested: { target: 'reRequested', actions: ['record', startReRequest('unfilled')] },
        ...CLOSE,
      },
    },
    rejected: { type: 'final', entry: ['endNeedBefore', notifyBorrower('rejected')] },
    documentDelivery: {
      type: 'final',
      entry: [
        'endNeedBefore',
        {
          type: 'handToDocumentDelivery',
          params: ({ context }) => ({
            requestId: context.requestId,
            borrower: context.borrower ?? '',
            request: asJson(context.request ?? {}),
            reasons: [...(context.screening?.reasons ?? [])],
          }),
        },
      ],
    },
    filledLocally: { type: 'final', entry: 'endNeedBefore' },
    reRequested: { type: 'final' },
    cancelled: { type: 'final', entry: 'endNeedBefore' },
    completed: { type: 'final' },
    /** The item received was the wrong one: it went back and the lender checked it in. Not a fill (a re-request was started). */
    wrongItemReturned: { type: 'final' },
    lost: { type: 'final' },
    closed: { type: 'final', entry: 'endNeedBefore' },
  },
});

export type IllMachine = typeof illMachine;

/** The current lender's rota entry (re-exported for callers holding a snapshot's context). */
export { currentEntry };
