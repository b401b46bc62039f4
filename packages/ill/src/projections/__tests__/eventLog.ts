import { currentVersion, type Actor, type Effect, type EventMetadata, type JsonObject, type StoredEvent } from '@interlend/engine';
import { illEventSchemas } from '../../upcasters';

/**
 * Stored ILL events written by hand for projection tests: the metadata (state names, effects) is
 * what the machine records (machine.ts): `notifyLender` + `scheduleDeadline lenderResponse` when
 * the rota asks a lender, `cancelDeadline` on leaving `withLender.requested`, `scheduleDeadline due`
 * on receipt, and so on. Each request script keeps its rota and current lender like the machine.
 */

export const HOUR = 3_600_000;
/** `base` plus `hours` as an ISO time. */
export const plusHours = (base: string, hours: number): string => new Date(Date.parse(base) + hours * HOUR).toISOString();

const borrowing = (id: string): Actor => ({ id, role: 'borrowing' });
const lending = (id: string): Actor => ({ id, role: 'lending' });
const SYSTEM: Actor = { id: 'system', role: 'system' };

export class EventLog {
  readonly events: StoredEvent[] = [];
  private readonly revisions = new Map<string, number>();

  append(streamId: string, type: string, data: JsonObject, options: { time: string; stateAfter: string; actor?: Actor; effects?: Effect[]; workflow?: string; commandType?: string }): StoredEvent {
    const revision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, revision);
    const position = this.events.length + 1;
    const metadata: EventMetadata = {
      workflow: options.workflow ?? 'ill-request',
      commandId: `cmd-${position}`,
      commandType: options.commandType ?? type,
      actor: { ...(options.actor ?? SYSTEM) },
      time: options.time,
      stateAfter: options.stateAfter,
      effects: options.effects ?? [],
      v: currentVersion(illEventSchemas, type),
    };
    const event: StoredEvent = { id: `event-${position}`, streamId, revision, position, type, data, metadata };
    this.events.push(event);
    return event;
  }

  /** A directory import: not an ILL request event. */
  directoryImported(time: string): StoredEvent {
    return this.append('directory', 'DirectoryImported', { libraries: [{ code: 'LIB1' }] }, { time, stateAfter: 'imported', workflow: 'directory', actor: { id: 'HUB', role: 'hub' } });
  }

  request(requestId: string, borrower = 'LIB1'): RequestScript {
    return new RequestScript(this, requestId, borrower);
  }
}

export interface SubmitOptions {
  title?: string;
  format?: string;
  serviceType?: string;
  serviceLevel?: string;
  /** Where screening sends it: 'networkCheck' (default), 'needsReview', 'rejected', 'documentDelivery'. */
  stateAfter?: string;
  maximumCost?: { amount: number; currency: string };
}

const schedule = (name: string, at: string, key: string): Effect => ({ type: 'scheduleDeadline', params: { name, at, key } });
const unschedule = (name: string): Effect => ({ type: 'cancelDeadline', params: { name } });

/** One request's history, written the way the machine would record it. */
export class RequestScript {
  private rota: string[] = [];
  /** Index into `rota` of the current lender; -1 before the rota. */
  private current = -1;
  private state = 'new';
  private cancelFrom = 'requested';
  private dueDate = '';
  /** The current lender's response deadline. */
  private respondBy = '';
  /** Days each lender gets to answer (calendar days here; the machine counts business days). */
  respondDays = 4;

  constructor(
    private readonly log: EventLog,
    readonly requestId: string,
    readonly borrower: string,
  ) {}

  get lender(): string {
    return this.rota[this.current] ?? '';
  }
  private get ref(): JsonObject {
    return { lender: this.lender, position: this.current + 1 };
  }

  private write(type: string, data: JsonObject, time: string, stateAfter: string, actor: Actor, effects: Effect[] = []): this {
    this.log.append(this.requestId, type, data, { time, stateAfter, actor, effects });
    this.state = stateAfter;
    return this;
  }

  /** Effects and state of asking the next candidate (or ending the rota unfilled). */
  private next(time: string): { stateAfter: string; effects: Effect[] } {
    this.current++;
    const library = this.rota[this.current];
    if (library === undefined) {
      return { stateAfter: 'unfilled', effects: [{ type: 'notifyBorrower', params: { requestId: this.requestId, borrower: this.borrower, about: 'unfilled', lender: null, position: null } }] };
    }
    const respondBy = plusHours(time, 24 * this.respondDays);
    this.respondBy = respondBy;
    const position = this.current + 1;
    return {
      stateAfter: 'withLender.requested',
      effects: [
        { type: 'notifyLender', params: { requestId: this.requestId, library, position, serviceType: 'Loan', serviceLevel: 'Normal', respondBy } },
        schedule('lenderResponse', respondBy, String(position)),
      ],
    };
  }

  /** Leaves the current lender (event `type` from `actor`) for the next candidate. */
  private leave(type: string, data: JsonObject, time: string, actor: Actor): this {
    const exit = this.state === 'withLender.requested' ? [unschedule('lenderResponse')] : this.state === 'withLender.conditional' ? [unschedule('conditionalAnswer')] : [];
    const ref = this.ref;
    const { stateAfter, effects } = this.next(time);
    return this.write(type, { ...ref, ...data }, time, stateAfter, actor, [...exit, ...effects]);
  }

  private exitRequested(): Effect[] {
    return this.state === 'withLender.requested' ? [unschedule('lenderResponse')] : [];
  }

  submit(time: string, options: SubmitOptions = {}): this {
    const data: JsonObject = {
      requestId: this.requestId,
      borrower: this.borrower,
      serviceType: options.serviceType ?? 'Loan',
      serviceLevel: options.serviceLevel ?? 'Normal',
      material: { format: options.format ?? 'book', title: options.title ?? `Title of ${this.requestId}` },
      maximumCost: options.maximumCost ?? { amount: 25, currency: 'USD' },
    };
    return this.write('RequestSubmitted', data, time, options.stateAfter ?? 'networkCheck', borrowing(this.borrower));
  }
  approve(time: string): this {
    return this.write('StaffApproved', {}, time, 'networkCheck', borrowing(this.borrower));
  }
  reject(time: string, reason: string): this {
    return this.write('StaffRejected', { reason }, time, 'rejected', borrowing(this.borrower));
  }
  fillLocally(time: string): this {
    return this.write('FilledLocally', {}, time, 'filledLocally', borrowing(this.borrower));
  }
  /** NotAvailableLocally + RotaBuilt (one command): the first candidate is asked. */
  toLenders(time: string, candidates: readonly string[]): this {
    this.rota = [...candidates];
    this.write('NotAvailableLocally', { preferredLenders: [] }, time, 'sourcing', borrowing(this.borrower));
    const entries = candidates.map((library, i) => ({ position: i + 1, library, status: 'candidate', reason: 'in delivery network', daysToRespond: this.respondDays, closures: [], lastResort: false }));
    const { stateAfter, effects } = this.next(time);
    return this.write('RotaBuilt', { entries, maxLenders: 5, candidates: candidates.length }, time, stateAfter, borrowing(this.borrower), effects);
  }
  expectToSupply(time: string): this {
    return this.write('ExpectToSupplyAnswered', this.ref, time, 'withLender.expectsToSupply', lending(this.lender), this.exitRequested());
  }
  willSupply(time: string): this {
    return this.write('WillSupplyAnswered', this.ref, time, 'withLender.willSupply', lending(this.lender), this.exitRequested());
  }
  conditional(time: string, offeredCost?: { amount: number; currency: string }): this {
    const respondBy = plusHours(time, 96);
    const exit = this.state === 'withLender.conditional' ? [unschedule('conditionalAnswer')] : this.exitRequested();
    const data: JsonObject = { ...this.ref, condition: 'LibraryUseOnly', respondBy, ...(offeredCost ? { offeredCost } : {}) };
    return this.write('ConditionalAnswered', data, time, 'withLender.conditional', lending(this.lender), [...exit, schedule('conditionalAnswer', respondBy, String(this.current + 1))]);
  }
  acceptConditions(time: string, consentedCost: { amount: number; currency: string } | null = null): this {
    const data: JsonObject = { ...this.ref, consentToCost: consentedCost !== null, consentedCost, offeredCost: consentedCost };
    return this.write('ConditionsAccepted', data, time, 'withLender.willSupply', borrowing(this.borrower), [unschedule('conditionalAnswer')]);
  }
  rejectConditions(time: string): this {
    return this.leave('ConditionsRejected', {}, time, borrowing(this.borrower));
  }
  conditionalExpired(time: string): this {
    return this.leave('ConditionalAnswerExpired', { deadlineAt: time }, time, SYSTEM);
  }
  cannotSupply(time: string, reason = 'NotHeld'): this {
    return this.leave('LenderUnfilled', { reason }, time, lending(this.lender));
  }
  retryPossible(time: string, reason = 'CostExceedsMaxCost'): this {
    return this.leave('RetryPossibleAnswered', { reason }, time, lending(this.lender));
  }
  timeout(time: string): this {
    return this.leave('LenderTimedOut', { deadlineAt: time }, time, SYSTEM);
  }
  /** Cancelled before a lender, or CancelRequested while with one. */
  cancel(time: string, reason: string, continueWithNextLender = false): this {
    if (!this.state.startsWith('withLender.')) return this.write('Cancelled', { reason }, time, 'cancelled', borrowing(this.borrower));
    this.cancelFrom = this.state.slice('withLender.'.length);
    return this.write('CancelRequested', { ...this.ref, reason, continueWithNextLender }, time, 'withLender.cancelPending', borrowing(this.borrower), this.exitRequested());
  }
  acceptCancel(time: string, continueWithNextLender = false): this {
    if (continueWithNextLender) return this.leave('CancelAccepted', { continueWithNextLender }, time, lending(this.lender));
    return this.write('CancelAccepted', { ...this.ref, continueWithNextLender }, time, 'cancelled', lending(this.lender));
  }
  refuseCancel(time: string): this {
    const restored = `withLender.${this.cancelFrom}`;
    const ref = this.ref;
    const effects = restored === 'withLender.requested' ? [schedule('lenderResponse', this.respondBy, String(this.current + 1))] : [];
    return this.write('CancelRefused', { ...ref, restoredState: restored }, time, restored, lending(this.lender), effects);
  }
  ship(time: string, options: { dueDate?: string; cost?: number; offered?: number | null } = {}): this {
    this.dueDate = options.dueDate ?? '2026-02-05';
    const cost = { amount: options.cost ?? 10, currency: 'USD' };
    const offered = options.offered == null ? null : { amount: options.offered, currency: 'USD' };
    const data: JsonObject = {
      ...this.ref,
      itemIds: ['ITEM-1'],
      dueDate: this.dueDate,
      cost,
      maximumCost: { amount: 25, currency: 'USD' },
      offeredCost: offered,
      costDiffersFromOffer: offered !== null && offered.amount !== cost.amount,
      consentedCost: null,
      conditionsPresumedAccepted: this.state === 'withLender.conditional',
      cancelRefused: this.state === 'withLender.cancelPending',
    };
    const exit = this.state === 'withLender.conditional' ? [unschedule('conditionalAnswer')] : this.exitRequested();
    const notify: Effect = { type: 'notifyBorrower', params: { requestId: this.requestId, borrower: this.borrower, about: 'shipped', lender: this.lender, position: this.current + 1 } };
    return this.write('Shipped', data, time, 'shipped', lending(this.lender), [...exit, notify]);
  }
  misdelivered(time: string, receivedBy: string): this {
    return this.write('Misdelivered', { ...this.ref, receivedBy }, time, 'misdelivered', lending(receivedBy));
  }
  rerouted(time: string, from: string): this {
    return this.write('Rerouted', { ...this.ref, from, to: this.borrower }, time, 'shipped', { id: 'HUB', role: 'hub' });
  }
  receive(time: string): this {
    const at = dueAt(this.dueDate);
    return this.write('Received', { ...this.ref, itemIds: ['ITEM-1'], missingItemIds: [] }, time, 'onLoan.received', borrowing(this.borrower), [schedule('due', at, this.dueDate)]);
  }
  checkOut(time: string): this {
    return this.write('CheckedOutToPatron', {}, time, 'onLoan.inUse', borrowing(this.borrower));
  }
  wrongItem(time: string): this {
    return this.write('WrongItemReported', { ...this.ref, note: 'other edition', newRequestId: `${this.requestId}-r1` }, time, 'onLoan.awaitingReturn', borrowing(this.borrower));
  }
  requestRenewal(time: string): this {
    return this.write('RenewalRequested', { ...this.ref, dueDate: this.dueDate }, time, 'onLoan.renewalPending', borrowing(this.borrower));
  }
  grantRenewal(time: string, dueDate: string): this {
    const previousDueDate = this.dueDate;
    this.dueDate = dueDate;
    return this.write('RenewalGranted', { ...this.ref, dueDate, previousDueDate }, time, 'onLoan.inUse', lending(this.lender), [schedule('due', dueAt(dueDate), dueDate)]);
  }
  denyRenewal(time: string): this {
    return this.write('RenewalDenied', { ...this.ref, dueDate: this.dueDate }, time, 'onLoan.inUse', lending(this.lender));
  }
  overdue(time: string): this {
    return this.write('LoanOverdue', { ...this.ref, dueDate: this.dueDate, deadlineAt: dueAt(this.dueDate) }, time, 'onLoan.overdue', SYSTEM, [unschedule('due')]);
  }
  recall(time: string): this {
    return this.write('Recalled', this.ref, time, 'onLoan.recalled', lending(this.lender));
  }
  shipReturn(time: string): this {
    return this.write('ReturnShipped', this.ref, time, 'returnShipped', borrowing(this.borrower), this.state.startsWith('onLoan.') && this.state !== 'onLoan.overdue' ? [unschedule('due')] : []);
  }
  checkIn(time: string): this {
    return this.write('CheckedIn', this.ref, time, 'completed', lending(this.lender));
  }
  close(time: string, reason: string): this {
    return this.write('ManuallyClosed', { reason }, time, 'closed', { id: 'HUB', role: 'hub' });
  }
  lost(time: string, kind = 'lost'): this {
    return this.write('ItemLost', { kind, lender: this.lender || null, position: this.lender ? this.current + 1 : null }, time, 'lost', borrowing(this.borrower));
  }
  reRequest(time: string): this {
    return this.write('ReRequested', { newRequestId: `${this.requestId}-r1` }, time, 'reRequested', borrowing(this.borrower));
  }
}

/** A date-only due date is due through the end of that UTC day (businessDays.dueInstant). */
function dueAt(dueDate: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(dueDate) ? new Date(Date.parse(`${dueDate}T00:00:00.000Z`) + 24 * HOUR).toISOString() : new Date(dueDate).toISOString();
}

