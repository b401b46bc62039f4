import { execute, fold, validateCommand, type Actor, type EventMetadata, type StoredEvent, type WorkflowState } from '@interlend/engine';
import { workflowSpec } from '@interlend/engine/testing';
import type { IllCommandInput, IllCommandType } from '../commands';
import { parseDirectory, type Directory, type DirectoryInput } from '../directory';
import type { IllMachine } from '../machine';
import type { DeadlineName } from '../events';
import { illRequestWorkflow } from '../workflow';

/**
 * Fixtures for tests of the ILL workflow and of what is built on it (projections, CLI):
 * a sample directory, a sample request, actors, and `illHistory`, which runs commands through the
 * real pure command path and returns the events they wrote.
 */

export const SAMPLE_BORROWER = 'LIB1';
export const SAMPLE_REQUEST_ID = 'REQ-1';
/** Monday 5 January 2026, 09:00 UTC. */
export const SAMPLE_TIME = '2026-01-05T09:00:00.000Z';

/**
 * Eight libraries: LIB1 (the sample borrower), LIB2..LIB4 in the delivery network (LIB3 answers
 * loans in 2 days and is closed 7-8 January for training), LIB5 outside the network, LIB6 closed
 * 5-16 January (and over the holidays), LIB7 does not lend, LIB8 lender of last resort. Amounts
 * in USD: each library's maximum cost is 25 (shipping 15 + fees 10); LIB4 charges a lending fee of
 * 5, LIB5 one of 12; the borrower owes 8 return shipping to LIB5 and 6 to LIB8 (outside the network).
 */
export function sampleDirectoryJson(): DirectoryInput {
  const lib = (code: string, more: Partial<DirectoryInput['libraries'][number]> = {}): DirectoryInput['libraries'][number] => ({
    code,
    name: `Library ${code.slice(3)}`,
    illCode: `ILL-${code}`,
    inDeliveryNetwork: true,
    lendingPolicy: 'lends',
    daysToRespond: { loan: 4, copy: 2 },
    maxShipping: 15,
    maxFees: 10,
    closures: [],
    ...more,
  });
  return {
    libraries: [
      lib('LIB1', { name: 'Borrowing Branch' }),
      lib('LIB2'),
      lib('LIB3', { daysToRespond: { loan: 2, copy: 1 }, closures: [{ from: '2026-01-07', to: '2026-01-08', reason: 'staff training' }] }),
      lib('LIB4', { lendingFee: 5 }),
      lib('LIB5', { inDeliveryNetwork: false, name: 'Out-of-state University', lendingFee: 12, returnShippingCost: 8 }),
      lib('LIB6', {
        closures: [
          { from: '2026-01-05', to: '2026-01-16', reason: 'inventory' },
          { from: '2026-12-24', to: '2027-01-02', reason: 'holidays' },
        ],
      }),
      lib('LIB7', { lendingPolicy: 'doesNotLend', name: 'Special Collections' }),
      lib('LIB8', { lendingPolicy: 'lastResort', inDeliveryNetwork: false, name: 'National Lending Library', daysToRespond: { loan: 8, copy: 4 }, returnShippingCost: 6 }),
    ],
  };
}

export function sampleDirectory(): Directory {
  return parseDirectory(sampleDirectoryJson());
}

/** `submit` data for a returnable book on loan, maximum cost 25 USD; override any field. */
export function sampleRequest(overrides: Partial<IllCommandInput['submit']> = {}): IllCommandInput['submit'] {
  return {
    serviceType: 'Loan',
    serviceLevel: 'Normal',
    material: { format: 'book', title: 'Field Guide to Mosses', author: 'Lindqvist, A.', isbn: '9780000000001', publicationYear: 1998 },
    maximumCost: { amount: 25, currency: 'USD' },
    patronRef: 'P12345',
    ...overrides,
  };
}

export const borrowerActor = (id: string = SAMPLE_BORROWER): Actor => ({ id, role: 'borrowing' });
export const lenderActor = (id: string): Actor => ({ id, role: 'lending' });
export const hubActor: Actor = { id: 'HUB', role: 'hub' };
export const systemActor: Actor = { id: 'system', role: 'system' };

/** One command of a history: type, data, actor, time (default: one minute after the previous step). */
export interface HistoryStep<K extends IllCommandType = IllCommandType> {
  readonly type: K;
  readonly data?: IllCommandInput[K];
  readonly actor: Actor;
  readonly time?: string;
}

export interface IllHistory {
  /** The events written, as `given` takes them. */
  readonly events: { type: string; data: StoredEvent['data']; actor: Actor; time: string }[];
  /** The same events as stored (revisions from 0, metadata with state names and effects). */
  readonly stored: StoredEvent[];
  readonly state: WorkflowState<IllMachine>;
}

/**
 * Runs commands through the real pure path (validate, authorize, decide, fold) and returns the
 * events they wrote: realistic histories without hand-written events. Throws on a refused step.
 * `deadline(name)` steps read the pending deadline from the state, as the timer worker would.
 */
export function illHistory(
  steps: readonly (HistoryStep | { readonly deadline: DeadlineName; readonly time?: string })[],
  options: { directory?: Directory; requestId?: string; start?: string } = {},
): IllHistory {
  const directory = options.directory ?? sampleDirectory();
  const streamId = options.requestId ?? SAMPLE_REQUEST_ID;
  let time = Date.parse(options.start ?? SAMPLE_TIME);
  let state: WorkflowState<IllMachine> | undefined;
  const stored: StoredEvent[] = [];
  let n = 0;
  steps.forEach((step, i) => {
    const command =
      'deadline' in step
        ? (() => {
            const pending = state?.snapshot.context.deadlines[step.deadline];
            if (!pending) throw new Error(`illHistory step ${i}: no '${step.deadline}' deadline is pending in state '${state?.stateName}'`);
            return { type: 'deadlineReached', data: { name: step.deadline, key: pending.key, at: pending.at }, actor: systemActor, time: step.time ?? pending.at };
          })()
        : step;
    time = command.time ? Date.parse(command.time) : time + 60_000;
    const validated = validateCommand(illRequestWorkflow, { commandId: `history-${i}`, streamId, type: command.type, data: command.data, actor: command.actor }, new Date(time).toISOString());
    const result = execute(illRequestWorkflow, state, validated, { directory }, { next: () => `event-${++n}` });
    const newStored = result.events.map((e, j) => ({ ...e, streamId, revision: stored.length + j, position: stored.length + j + 1 }));
    state = fold(illRequestWorkflow, streamId, newStored, state);
    stored.push(...newStored);
  });
  if (!state) throw new Error('illHistory needs at least one step');
  const events = stored.map((e) => {
    const meta = e.metadata as unknown as EventMetadata;
    return { type: e.type, data: e.data, actor: { id: meta.actor.id, role: meta.actor.role }, time: meta.time };
  });
  return { events, stored, state };
}

/** Steps that bring the sample request to the first lender (preferred LIB2, then LIB3, LIB4). */
export function toFirstLender(overrides: Partial<IllCommandInput['submit']> = {}): HistoryStep[] {
  return [
    { type: 'submit', data: sampleRequest(overrides), actor: borrowerActor() },
    { type: 'notAvailableLocally', data: { preferredLenders: ['LIB2', 'LIB3', 'LIB4'] }, actor: borrowerActor() },
  ];
}

/** A shipment from `lender` (due 2026-02-05, 10 USD). */
export function sampleShipment(overrides: Partial<IllCommandInput['ship']> = {}): IllCommandInput['ship'] {
  return { itemIds: ['ITEM-1'], dueDate: '2026-02-05', cost: { amount: 10, currency: 'USD' }, trackingId: 'TRK1', sentVia: 'courier', ...overrides };
}

/**
 * A given/when/then specification of the ILL workflow with the sample directory, given the events
 * the steps write (none: a new request). `when` commands default to one minute after the last event.
 */
export function illSpec(steps: Parameters<typeof illHistory>[0] = [], options: { directory?: Directory; requestId?: string } = {}) {
  const directory = options.directory ?? sampleDirectory();
  const history = steps.length ? illHistory(steps, { directory, requestId: options.requestId }) : undefined;
  const last = history?.events.at(-1)?.time;
  const time = last ? new Date(Date.parse(last) + 60_000).toISOString() : SAMPLE_TIME;
  const spec = workflowSpec(illRequestWorkflow, { services: { directory }, streamId: options.requestId ?? SAMPLE_REQUEST_ID, time });
  return { ...spec.given(...(history?.events ?? [])), history, time };
}
