import { screen } from './policies/screening';
import { allowedNowText, IllegalStateError, ValidationError, type Decision, type JsonObject, type ValidatedCommand } from '@interlend/engine';
import { commandsFor } from './authorize';
import { SCHEDULE_MISSING_COMMAND, type IllCommandData, type IllCommandType, type Money } from './commands';
import type { IllContext } from './context';
import { currentEntry, reRequestId } from './context';
import type { Directory } from './directory';
import type { DeadlineName, IllEventDataMap, IllEventType, LenderRef } from './events';
import { AMENDABLE_MATERIAL_FIELDS, DEADLINE_NAMES, REPAIRABLE_CLOCKS } from './events';
import { conditionalRespondBy } from './machine';
import { costDiffersFromOffer, costLimit, exceeds, formatMoney, libraryMaximumCost, offerAcceptable, shipmentCostAllowed } from './policies/costs';
import { dueInstant } from './policies/businessDays';
import { buildRota, rotaBuiltData } from './policies/rota';
import { LIMITS } from './limits';

/** Read-only services `decide` consults. */
export interface IllServices {
  readonly directory: Directory;
}

/** The states a lender clock runs in (supply, cancelAnswer): withdrawFromLender once it fell due. */
const LENDER_CLOCK_STATES: readonly string[] = ['withLender.expectsToSupply', 'withLender.willSupply', 'withLender.cancelPending'];

/** What decide needs to know of the current state. */
export interface DecideState {
  readonly stateName: string;
  readonly context: IllContext;
  /** Command types the state accepts (guards ignored). */
  readonly allowed: readonly string[];
}

/** Drops undefined members, so event data is plain JSON. */
function json<T>(value: T): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

function event<K extends IllEventType>(type: K, data: IllEventDataMap[K]): Decision {
  return { type, data: json(data) };
}

function invalid(path: string, message: string, type: string): never {
  throw new ValidationError(`invalid command '${type}': ${path}: ${message}`, { issues: [{ path, message }] });
}

/** Refuses the command: the state, why, and what this actor could send instead (never the refused command, never the timer's). */
function notAllowed(command: ValidatedCommand, state: DecideState, why?: string): never {
  const allowed = commandsFor(command.actor, state.context, state.allowed).filter((type) => type !== command.type && !refusedNow(type, state.stateName, state.context));
  const prefix = why ?? `'${command.type}' is not allowed in state '${state.stateName}' of ill-request '${command.streamId}'`;
  throw new IllegalStateError(`${prefix}; ${allowedNowText(allowed, command.actor)}`, { state: state.stateName, allowed, command: command.type });
}

/**
 * True for a command the state takes that this request refuses now all the same (the refusals at
 * the top of `decideCommand`): not offered in "allowed now" lists.
 */
export function refusedNow(type: string, stateName: string, context: IllContext): boolean {
  if (type === 'requestRenewal') return stateName.startsWith('onLoan.') && (context.recalled || context.renewals >= 1);
  if (type === 'withdrawFromLender') return !context.aging && LENDER_CLOCK_STATES.includes(stateName);
  if (type === SCHEDULE_MISSING_COMMAND) return !REPAIRABLE_CLOCKS.some((name) => context.deadlines[name]);
  return false;
}

/** Every library code in command data names a library of the directory. */
function knownLibrary(directory: Directory, code: string, path: string, type: string): void {
  if (directory.has(code)) return;
  invalid(path, `unknown library '${code}'${directory.list().length ? '' : ' (no library directory is loaded)'}`, type);
}

/**
 * A new request's id has at most LIMITS.requestId characters, leaving room for the re-request ids
 * derived from it (`R-r1`); a re-request's (it names the request it replaces) is bounded by the
 * engine's stream-id limit, which also refuses control characters in every id.
 */
function checkRequestId(command: ValidatedCommand, data: IllCommandData['submit']): void {
  const id = command.streamId;
  if (!data.relatedRequestId && id.length > LIMITS.requestId) invalid('streamId', `a request id may have at most ${LIMITS.requestId} characters, not ${id.length}`, command.type);
}

function lenderRef(context: IllContext): LenderRef {
  return { lender: context.lender ?? '', position: context.current ?? 0 };
}

function sameCurrency(money: Money, maximum: Money | null, path: string, type: string): void {
  if (maximum && money.currency !== maximum.currency) invalid(path, `must be ${maximum.currency}, the currency of the request's maximum cost`, type);
}

/**
 * The return shipping the borrower owes for a shipment (docs/workflow/costs.md): from a lender
 * outside the delivery network (as its rota entry recorded; older rotas: inside), the command's
 * `returnShippingCost` or else the lender's directory default, in the request's currency; none
 * from a lender inside it. It is recorded, not counted against the request's maximum cost.
 */
function returnShippingOwed(context: IllContext, given: Money | undefined, directory: Directory, type: string): Money | undefined {
  const lender = context.lender ?? 'the lender';
  if (currentEntry(context)?.outsideNetwork !== true) {
    if (given) invalid('data.returnShippingCost', `${lender} is inside the delivery network: returns travel by the network at no cost to the borrower; leave returnShippingCost out`, type);
    return undefined;
  }
  const profileAmount = directory.get(context.lender ?? '')?.returnShippingCost;
  const owed = given ?? (profileAmount !== undefined ? directory.money(profileAmount) : undefined);
  if (!owed) {
    invalid('data.returnShippingCost', `is required: ${lender} is outside the delivery network, so the borrower owes the return shipping (send it, or set returnShippingCost in ${lender}'s directory profile)`, type);
  }
  const maximum = context.costs.maximum;
  if (maximum && owed.currency !== maximum.currency) {
    invalid(
      'data.returnShippingCost',
      given
        ? `currency must be ${maximum.currency}, the currency of the request's maximum cost`
        : `${lender}'s directory default is ${formatMoney(owed)}, not in ${maximum.currency}, the currency of the request's maximum cost: send returnShippingCost in ${maximum.currency}`,
      type,
    );
  }
  return owed;
}

/**
 * The events a command produces. Edge logic: validation that needs the state (costs, item ids,
 * due dates, stale deadlines), the rota (from the directory), and derived ids. The machine then
 * checks the events fit the state.
 */
export function decideCommand(command: ValidatedCommand, state: DecideState | undefined, services: IllServices): Decision[] {
  const type = command.type as IllCommandType;
  if (type === 'submit') {
    const data = command.data as unknown as IllCommandData['submit'];
    checkRequestId(command, data);
    const { onBehalfOf, ...details } = data;
    if (onBehalfOf !== undefined) knownLibrary(services.directory, onBehalfOf, 'data.onBehalfOf', type);
    const borrower = onBehalfOf ?? command.actor.id;
    // The borrowing library's maximum cost (its profile as the directory has it now), recorded in
    // the screening result: a request above it needs hub approval, unless hub staff submit it.
    const profile = services.directory.get(borrower);
    const cost = profile ? { library: borrower, libraryMaximum: libraryMaximumCost(profile, services.directory.currency), byHub: command.actor.role === 'hub' } : undefined;
    // Screening is decided here, at the edge, and recorded: a later change of the policy never
    // changes how an old request folds.
    return [event('RequestSubmitted', { requestId: command.streamId, borrower, ...details, screening: screen(details, cost) })];
  }
  if (!state) return []; // the engine refuses a command on a request that does not exist
  const { context } = state;

  // Refusals that deserve their own words, before the generic "not allowed in state" one.
  if (type === 'requestRenewal' && state.stateName.startsWith('onLoan.')) {
    if (context.recalled) notAllowed(command, state, `no renewal after a recall (state '${state.stateName}'): ${context.lender ?? 'the lender'} recalled the item on ${context.recalledAt ?? '?'}; it must be returned`);
    if (context.renewals >= 1) notAllowed(command, state, `only one renewal may be requested (state '${state.stateName}'), and one was already requested on ${context.renewalRequestedAt ?? '?'}`);
  }
  if (type === 'cancel' && state.stateName === 'withLender.cancelPending') {
    notAllowed(command, state, `a cancel is already pending (state '${state.stateName}') with ${context.lender ?? 'the lender'} since ${context.cancel?.requestedAt ?? '?'}`);
  }
  if (type === 'cancel' && (['shipped', 'misdelivered', 'returnShipped'].includes(state.stateName) || state.stateName.startsWith('onLoan.'))) {
    notAllowed(command, state, `'cancel' is not allowed once the item has shipped (state '${state.stateName}')`);
  }
  if (type === 'amend' && !state.allowed.includes(type) && context.shippedAt !== null) {
    notAllowed(command, state, `'amend' is not allowed once the item has shipped (state '${state.stateName}'): ${context.lender ?? 'the lender'} shipped it on ${context.shippedAt}`);
  }
  if (type === 'withdrawFromLender' && !context.aging && LENDER_CLOCK_STATES.includes(state.stateName)) {
    // The state takes it, but only once a lender clock fell due (docs/workflow/lender-clocks.md).
    const clock = state.stateName === 'withLender.cancelPending' ? ['cancelAnswer', context.cancelAnswerBy] : ['supply', context.supplyBy];
    notAllowed(
      command,
      state,
      `'withdrawFromLender' is allowed only once a lender clock has fallen due; in state '${state.stateName}' ${context.lender ?? 'the lender'}'s '${clock[0]}' deadline is ${clock[1] ? `due at ${clock[1]}` : 'not running'}: wait for it, or cancel`,
    );
  }
  if (type === SCHEDULE_MISSING_COMMAND) {
    // The repair schedules only a clock the fold tracks (the request is in its state, and it has not fallen due).
    const { name } = command.data as IllCommandData['scheduleMissingDeadline'];
    const tracked = context.deadlines[name];
    if (!tracked || !state.allowed.includes(type)) {
      notAllowed(command, state, `no '${name}' clock runs for ill-request '${command.streamId}' in state '${state.stateName}': there is no deadline to schedule`);
    }
    return [event('MissingDeadlineScheduled', { name, at: tracked.at, key: tracked.key })];
  }
  if (!state.allowed.includes(type)) notAllowed(command, state);

  const time = command.time;
  switch (type) {
    case 'approve':
      return [event('StaffApproved', command.data as IllCommandData['approve'])];
    case 'reject':
      return [event('StaffRejected', command.data as IllCommandData['reject'])];
    case 'fillLocally':
      return [event('FilledLocally', command.data as IllCommandData['fillLocally'])];
    case 'notAvailableLocally': {
      const data = command.data as IllCommandData['notAvailableLocally'];
      if (services.directory.list().length === 0) {
        // A configuration problem, not the end of the rota: nothing is written, the request waits.
        notAllowed(command, state, `no library directory is loaded, so no rota can be built for request ${command.streamId} (state '${state.stateName}'): import one first`);
      }
      const preferred = data.preferredLenders ?? [];
      preferred.forEach((code, i) => knownLibrary(services.directory, code, `data.preferredLenders[${i}]`, type));
      const entries = buildRota(services.directory, {
        requestId: command.streamId,
        borrower: context.borrower ?? '',
        serviceType: context.request?.serviceType ?? 'Loan',
        time,
        preferredLenders: preferred,
        // A lender whose lending fee is above the request's maximum cost is skipped, with that reason.
        ...(context.costs.maximum ? { maximumCost: context.costs.maximum } : {}),
      });
      return [
        event('NotAvailableLocally', { preferredLenders: [...new Set(preferred)], ...(data.note ? { note: data.note } : {}) }),
        event('RotaBuilt', rotaBuiltData(entries, preferred)),
      ];
    }
    case 'expectToSupply': {
      const { note } = command.data as IllCommandData['expectToSupply'];
      return [event('ExpectToSupplyAnswered', { ...lenderRef(context), note })];
    }
    case 'willSupply': {
      const { note } = command.data as IllCommandData['willSupply'];
      return [event('WillSupplyAnswered', { ...lenderRef(context), note })];
    }
    case 'answerConditional': {
      const { condition, note, offeredCost } = command.data as IllCommandData['answerConditional'];
      if (offeredCost) sameCurrency(offeredCost, context.costs.maximum, 'data.offeredCost.currency', type);
      return [event('ConditionalAnswered', { ...lenderRef(context), condition, note, offeredCost, respondBy: conditionalRespondBy(context, time) })];
    }
    case 'acceptConditions': {
      const { consentToCost = false, note } = command.data as IllCommandData['acceptConditions'];
      const offered = context.costs.offered;
      const maximum = context.costs.maximum;
      const consentedCost = consentToCost && offered && maximum && exceeds(offered, maximum) ? offered : null;
      if (maximum && !offerAcceptable(offered, maximum, consentedCost ?? context.costs.consented)) {
        invalid(
          'data.consentToCost',
          `${context.lender ?? 'the lender'} offers ${formatMoney(offered!)}, above the maximum cost ${formatMoney(maximum)}: send consentToCost: true to accept that cost`,
          type,
        );
      }
      return [event('ConditionsAccepted', { ...lenderRef(context), consentToCost, consentedCost, offeredCost: offered, note })];
    }
    case 'rejectConditions': {
      const { note } = command.data as IllCommandData['rejectConditions'];
      return [event('ConditionsRejected', { ...lenderRef(context), note })];
    }
    case 'retryPossible': {
      const { reason, note } = command.data as IllCommandData['retryPossible'];
      return [event('RetryPossibleAnswered', { ...lenderRef(context), reason, note })];
    }
    case 'cannotSupply': {
      const { reason, note } = command.data as IllCommandData['cannotSupply'];
      return [event('LenderUnfilled', { ...lenderRef(context), reason, note })];
    }
    case 'ship': {
      const data = command.data as IllCommandData['ship'];
      const seen = new Set<string>();
      data.itemIds.forEach((id, i) => {
        if (seen.has(id)) invalid(`data.itemIds[${i}]`, `duplicate item id '${id}'`, type);
        seen.add(id);
      });
      if (Date.parse(dueInstant(data.dueDate)) <= Date.parse(time)) invalid('data.dueDate', `must be after the shipment (${time})`, type);
      const maximum = context.costs.maximum;
      if (maximum) {
        sameCurrency(data.cost, maximum, 'data.cost.currency', type);
        if (!shipmentCostAllowed(data.cost, maximum, context.costs.consented)) {
          const limit = costLimit(maximum, context.costs.consented);
          invalid(
            'data.cost',
            `${formatMoney(data.cost)} exceeds the ${limit === maximum ? `maximum cost ${formatMoney(maximum)}` : `cost ${formatMoney(limit)} the borrower consented to`}; answer retryPossible (CostExceedsMaxCost) or answerConditional with an offeredCost instead`,
            type,
          );
        }
      }
      const returnShippingCost = returnShippingOwed(context, data.returnShippingCost, services.directory, type);
      const offered = context.costs.offered;
      return [
        event('Shipped', {
          ...lenderRef(context),
          itemIds: data.itemIds,
          dueDate: data.dueDate,
          cost: data.cost,
          maximumCost: maximum ?? data.cost,
          offeredCost: offered,
          costDiffersFromOffer: costDiffersFromOffer(offered, data.cost),
          consentedCost: context.costs.consented,
          trackingId: data.trackingId,
          sentVia: data.sentVia,
          conditions: data.conditions,
          conditionsPresumedAccepted: state.stateName === 'withLender.conditional',
          cancelRefused: state.stateName === 'withLender.cancelPending',
          ...(returnShippingCost ? { returnShippingCost } : {}),
          note: data.note,
        }),
      ];
    }
    case 'amend':
      return [decideAmend(command, context, services.directory)];
    case 'cancel': {
      const { reason, continueWithNextLender = false } = command.data as IllCommandData['cancel'];
      if (state.stateName.startsWith('withLender.')) return [event('CancelRequested', { ...lenderRef(context), reason, continueWithNextLender })];
      return [event('Cancelled', { reason })];
    }
    case 'acceptCancel': {
      const { note } = command.data as IllCommandData['acceptCancel'];
      return [event('CancelAccepted', { ...lenderRef(context), continueWithNextLender: context.cancel?.continueWithNextLender ?? false, note })];
    }
    case 'refuseCancel': {
      const { note } = command.data as IllCommandData['refuseCancel'];
      return [event('CancelRefused', { ...lenderRef(context), restoredState: `withLender.${context.cancel?.from ?? 'requested'}`, note })];
    }
    case 'withdrawFromLender': {
      const data = command.data as IllCommandData['withdrawFromLender'];
      // Moving on is the point; where a cancel was pending, its own choice is the default.
      const continueWithNextLender = data.continueWithNextLender ?? context.cancel?.continueWithNextLender ?? true;
      return [event('WithdrawnFromLender', { ...lenderRef(context), reason: data.reason, continueWithNextLender, clock: context.aging!.clock })];
    }
    case 'receive': {
      const { itemIds, note } = command.data as IllCommandData['receive'];
      const shipped = context.itemIds;
      (itemIds ?? []).forEach((id, i) => {
        if (!shipped.includes(id)) invalid(`data.itemIds[${i}]`, `'${id}' was not shipped; shipped: ${shipped.join(', ')}`, type);
      });
      const received = itemIds ? [...new Set(itemIds)] : [...shipped];
      return [event('Received', { ...lenderRef(context), itemIds: received, missingItemIds: shipped.filter((id) => !received.includes(id)), note })];
    }
    case 'reportMisdelivered': {
      const { receivedBy, note } = command.data as IllCommandData['reportMisdelivered'];
      knownLibrary(services.directory, receivedBy, 'data.receivedBy', type);
      // The borrower is where the item should be: it is received (receive), or the wrong item
      // (reportWrongItem). The lender is a possible address: a parcel returned to its sender.
      if (receivedBy === context.borrower) invalid('data.receivedBy', `is the borrower ${receivedBy}: an item at the borrower is received (receive), or the wrong item (reportWrongItem)`, type);
      return [event('Misdelivered', { ...lenderRef(context), receivedBy, note })];
    }
    case 'reroute': {
      const { trackingId, note } = command.data as IllCommandData['reroute'];
      return [event('Rerouted', { ...lenderRef(context), from: context.misdeliveredTo ?? '', to: context.borrower ?? '', trackingId, note })];
    }
    case 'returnMisdelivered': {
      const { trackingId, note } = command.data as IllCommandData['returnMisdelivered'];
      return [event('MisdeliveredReturned', { ...lenderRef(context), from: context.misdeliveredTo ?? '', newRequestId: reRequestId(command.streamId), trackingId, note })];
    }
    case 'reportWrongItem': {
      const { note } = command.data as IllCommandData['reportWrongItem'];
      return [event('WrongItemReported', { ...lenderRef(context), note, newRequestId: reRequestId(command.streamId) })];
    }
    case 'checkOutToPatron':
      return [event('CheckedOutToPatron', command.data as IllCommandData['checkOutToPatron'])];
    case 'requestRenewal': {
      const { note } = command.data as IllCommandData['requestRenewal'];
      return [event('RenewalRequested', { ...lenderRef(context), dueDate: context.dueDate ?? '', note })];
    }
    case 'grantRenewal': {
      const { dueDate, note } = command.data as IllCommandData['grantRenewal'];
      const previous = context.dueDate ?? '';
      if (previous && Date.parse(dueInstant(dueDate)) <= Date.parse(dueInstant(previous))) invalid('data.dueDate', `must be after the current due date ${previous}`, type);
      return [event('RenewalGranted', { ...lenderRef(context), dueDate, previousDueDate: previous, note })];
    }
    case 'denyRenewal': {
      const { note } = command.data as IllCommandData['denyRenewal'];
      return [event('RenewalDenied', { ...lenderRef(context), dueDate: context.dueDate ?? '', note })];
    }
    case 'recall': {
      const { note } = command.data as IllCommandData['recall'];
      return [event('Recalled', { ...lenderRef(context), note })];
    }
    case 'shipReturn': {
      const { trackingId, note } = command.data as IllCommandData['shipReturn'];
      return [event('ReturnShipped', { ...lenderRef(context), trackingId, note })];
    }
    case 'checkIn': {
      const { note } = command.data as IllCommandData['checkIn'];
      return [event('CheckedIn', { ...lenderRef(context), note })];
    }
    case 'close':
      return [event('ManuallyClosed', command.data as IllCommandData['close'])];
    case 'reportLost': {
      const { kind, note } = command.data as IllCommandData['reportLost'];
      return [event('ItemLost', { kind, lender: context.lender, position: context.current, note })];
    }
    case 'reRequest': {
      const { note } = command.data as IllCommandData['reRequest'];
      return [event('ReRequested', { newRequestId: reRequestId(command.streamId), note })];
    }
    case 'deadlineReached':
      return [decideDeadline(command, state)];
    default:
      return [];
  }
}

/**
 * An amendment: what changes (old and new), refused with the field named when the maximum is
 * lowered, its currency changes, goes above the borrowing library's own maximum (only hub staff
 * may raise it beyond, as they may submit above it: docs/workflow/costs.md), or nothing changes. A
 * raised maximum makes the lenders whose turn ended 'retry: CostExceedsMaxCost' askable again.
 */
function decideAmend(command: ValidatedCommand, context: IllContext, directory: Directory): Decision {
  const type = command.type;
  const data = command.data as IllCommandData['amend'];
  if (data.maximumCost === undefined && data.material === undefined) invalid('data', 'must raise maximumCost or correct material (or both)', type);
  const changes: IllEventDataMap['RequestAmended'] = { reaskLenders: [] };
  const current = context.costs.maximum ?? context.request?.maximumCost ?? null;
  if (data.maximumCost && current) {
    if (data.maximumCost.currency !== current.currency) invalid('data.maximumCost.currency', `must be ${current.currency}, the currency of the request's maximum cost ${formatMoney(current)}`, type);
    if (data.maximumCost.amount < current.amount) invalid('data.maximumCost.amount', `must not be lower than the maximum cost ${formatMoney(current)}: an amendment only raises it`, type);
    const profile = directory.get(context.borrower ?? '');
    const libraryMaximum = profile ? libraryMaximumCost(profile, directory.currency) : null;
    if (data.maximumCost.amount > current.amount && libraryMaximum && command.actor.role !== 'hub' && exceeds(data.maximumCost, libraryMaximum)) {
      invalid(
        'data.maximumCost.amount',
        `${formatMoney(data.maximumCost)} is above ${context.borrower}'s maximum cost ${formatMoney(libraryMaximum)}: only hub staff (role hub) may raise it beyond that`,
        type,
      );
    }
    if (data.maximumCost.amount > current.amount) {
      changes.maximumCost = { from: current, to: data.maximumCost };
      changes.reaskLenders = context.rota
        .filter((e) => e.status === 'candidate' && e.position !== context.current && e.requestedAt !== null && e.outcome === COST_RETRY && e.askAgain !== true)
        .map((e) => ({ lender: e.library, position: e.position }));
    }
  }
  const material = context.request?.material;
  const corrected: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of AMENDABLE_MATERIAL_FIELDS) {
    const to = data.material?.[field];
    const from = material?.[field];
    if (to !== undefined && to !== from) corrected[field] = { from: from ?? null, to };
  }
  if (Object.keys(corrected).length) changes.material = corrected as IllEventDataMap['RequestAmended']['material'];
  if (!changes.maximumCost && !changes.material) {
    invalid('data', `changes nothing: the maximum cost is ${current ? formatMoney(current) : 'unset'} and the citation already says so`, type);
  }
  if (data.note) changes.note = data.note;
  return event('RequestAmended', changes);
}

/** A lender's turn that ended because the cost exceeded the maximum (evolve.ts `lenderOutcome`). */
const COST_RETRY = 'retry: CostExceedsMaxCost';

const DEADLINE_EVENTS = {
  lenderResponse: 'LenderTimedOut',
  conditionalAnswer: 'ConditionalAnswerExpired',
  due: 'LoanOverdue',
  supply: 'SupplyOverdue',
  cancelAnswer: 'CancelUnanswered',
  needBefore: 'NeedBeforePassed',
} as const satisfies Record<DeadlineName, IllEventType>;

/** Maps a due deadline to its event; refuses one that no longer matches what is pending. */
function decideDeadline(command: ValidatedCommand, state: DecideState): Decision {
  const { name, key, at } = command.data as IllCommandData['deadlineReached'];
  const { context } = state;
  if (!(DEADLINE_NAMES as readonly string[]).includes(name)) invalid('data.name', `unknown deadline '${name}'; known: ${DEADLINE_NAMES.join(', ')}`, command.type);
  const deadline = name as DeadlineName;
  const pending = context.deadlines[deadline];
  if (!pending || pending.key !== key || Date.parse(pending.at) !== Date.parse(at)) {
    const now = pending
      ? `the pending '${deadline}' deadline is key ${pending.key} at ${pending.at}`
      : `no '${deadline}' deadline is pending`;
    const where = currentEntry(context);
    notAllowed(
      command,
      state,
      `stale deadline '${deadline}' (key ${key}, at ${at}) for ill-request '${command.streamId}': ${now}${where ? `; the request is with position ${where.position} (${where.library})` : ''} in state '${state.stateName}'`,
    );
  }
  const ref = lenderRef(context);
  switch (DEADLINE_EVENTS[deadline]) {
    case 'LenderTimedOut':
      return event('LenderTimedOut', { ...ref, deadlineAt: pending.at });
    case 'ConditionalAnswerExpired':
      return event('ConditionalAnswerExpired', { ...ref, deadlineAt: pending.at });
    case 'LoanOverdue':
      return event('LoanOverdue', { ...ref, dueDate: context.dueDate ?? '', deadlineAt: pending.at });
    case 'SupplyOverdue':
      return event('SupplyOverdue', { ...ref, deadlineAt: pending.at });
    case 'CancelUnanswered':
      return event('CancelUnanswered', { ...ref, deadlineAt: pending.at });
    case 'NeedBeforePassed':
      return event('NeedBeforePassed', { needBefore: context.request?.needBefore ?? pending.key, lender: context.lender, position: context.current, deadlineAt: pending.at });
  }
}
