import {
  ManualClock,
  SeededIds,
  SeededRandom,
  isInterlendError,
  sha256Hex,
  type Actor,
  type CommandInput,
  type EventStore,
  type Projection,
  type ReadModelStore,
} from '@interlend/engine';
import { parseDirectory, type Directory } from '../directory';
import { isTerminal } from '../events';
import { Agenda } from './agenda';
import { generateDirectory } from './generateDirectory';
import { inProcessSimulationEngine } from './inProcessEngine';

/** How the libraries behave for one simulated request. */
export const SCENARIOS = {
  yes: 30,
  no: 6,
  conditional: 7,
  timeout: 7,
  retry: 3,
  overdue: 6,
  recall: 4,
  renewal: 7,
  lost: 2,
  misdelivery: 3,
  wrongItem: 2,
  cancel: 6,
  review: 4,
  local: 4,
  article: 4,
  ebook: 2,
  rush: 3,
  /** The first lender asked promises (expects to / will supply) and never ships: its supply clock falls due, staff withdraw, the next lender is asked. */
  neverShips: 2,
} as const;
export type Scenario = keyof typeof SCENARIOS;

export interface SimulationOptions {
  readonly requests: number;
  readonly libraries: number;
  readonly seed: number;
  /** Simulated start (a Monday morning by default). */
  readonly start?: string;
  readonly projections?: readonly Projection[];
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SimulationSummary {
  readonly seed: number;
  readonly requests: number;
  readonly reRequests: number;
  readonly libraries: number;
  readonly scenarios: Record<string, number>;
  readonly finalStates: Record<string, number>;
  /**
   * SHA-256 over every request's id and final state (sorted lines `<id> <state>`): two runs that
   * end every request in the same state have the same digest.
   */
  readonly finalStatesDigest: string;
  /** Requests that did not reach a terminal state (should be none). */
  readonly notTerminal: string[];
  readonly commands: number;
  readonly deadlinesFired: number;
  readonly events: number;
  /** Commands the simulation sent knowing they must be refused (a late answer from a lender the rota had left, a renewal after a recall), by kind. */
  readonly expectedRefusals: Record<string, number>;
  /** Commands refused that the simulation did not expect (should be none). */
  readonly unexpectedRefusals: { requestId: string; command: string; error: string }[];
  readonly simulatedFrom: string;
  readonly simulatedTo: string;
}

interface SimRequest {
  readonly id: string;
  readonly borrower: string;
  readonly scenario: Scenario;
  lender?: string;
  position?: number;
  dueDate?: string;
  maximum: number;
  /** The lender that let its deadline pass (timeout scenario): it answers late once the rota has moved on. */
  timedOut?: { lender: string; position: number };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * What a simulation drives: the engine in this process (`inProcessSimulationEngine`), or workers
 * behind a message bus. The simulation is one client sending one command at a time; everything
 * it learns comes back through this port, so any engine that keeps to it gives the same run.
 */
export interface SimulationEngine {
  /**
   * Applies a command at the simulated time `now` and resolves to the request's state after it.
   * A refusal throws the engine's typed error (VALIDATION, FORBIDDEN, NOT_FOUND, ILLEGAL_STATE);
   * a STORE error ends the simulation.
   */
  send(command: CommandInput, now: Date): Promise<{ readonly stateName: string }>;
  /** The request's state name now (undefined: no such request). */
  stateOf(requestId: string): Promise<string | undefined>;
  /** When the earliest pending deadline falls due (ISO time), if any. */
  nextDueAt(): Promise<string | undefined>;
  /** Fires every deadline due at `now` (including ones that fall due by firing others). */
  runDue(now: Date): Promise<{ readonly fired: number; readonly refusals: readonly { readonly requestId: string; readonly deadline: string; readonly error: string }[] }>;
  /**
   * Waits until the effects of every event appended so far were carried out, and returns those
   * the simulated libraries react to, in log order, each once.
   */
  settle(): Promise<readonly SimulationNotice[]>;
  /** Events in the log. */
  headPosition(): Promise<number>;
  /** The end of the run: everything after the last command (effects, read models) done. */
  finish(): Promise<void>;
}

/**
 * What a simulated library learns from the engine: a lender was asked; a re-request was submitted;
 * the borrower was told its lender did not ship by its supply deadline (`notifyBorrower` about
 * `supplyOverdue`).
 */
export type SimulationNotice =
  | { readonly type: 'notifyLender'; readonly requestId: string; readonly library: string; readonly position: number }
  | { readonly type: 'reRequested'; readonly requestId: string; readonly relatedRequestId: string }
  | { readonly type: 'supplyOverdue'; readonly requestId: string; readonly lender: string; readonly position: number };

/** What a simulation engine is opened with: the seeded directory and the event that records it. */
export interface SimulationSetup {
  readonly seed: number;
  readonly directoryJson: { readonly libraries: readonly unknown[] };
  readonly directory: Directory;
  /** The metadata the directory's event is stored with (its id and time come from the seeded run). */
  readonly directoryEvent: { readonly actor: Actor; readonly time: string; readonly eventId: string };
  /** The simulated clock: the engine stamps commands with it (or carries `now` to whoever does). */
  readonly clock: ManualClock;
  readonly projections?: readonly Projection[];
}

/**
 * Drives N requests to an end through the real engine on a simulated clock: a seeded directory,
 * seeded arrivals, and libraries that answer, time out, set conditions, ship, renew, recall, lose
 * and misdeliver, reacting to the effects the workflow records (a lender acts when it is notified)
 * and to deadlines fired by the timer worker. The same options give the same events, ids and
 * times.
 */
export async function simulate(store: EventStore, readModels: ReadModelStore, options: SimulationOptions): Promise<SimulationSummary> {
  return runSimulation(options, (setup) => inProcessSimulationEngine(store, readModels, setup));
}

/**
 * The simulation over any engine: `open` receives the seeded setup (it stores the directory and
 * starts the engine). The simulation's own ids (command and request ids) come from a seeded
 * generator of their own, so they are the same whichever engine stamps the events.
 */
export async function runSimulation(options: SimulationOptions, open: (setup: SimulationSetup) => Promise<SimulationEngine>): Promise<SimulationSummary> {
  const start = new Date(options.start ?? '2026-01-05T09:00:00.000Z');
  const random = new SeededRandom(options.seed);
  const clock = new ManualClock(start);
  const ids = new SeededIds(options.seed, clock);
  const directoryJson = generateDirectory(options.libraries, random, start);
  const directory: Directory = parseDirectory(directoryJson);
  const engine = await open({
    seed: options.seed,
    directoryJson,
    directory,
    directoryEvent: { actor: { id: 'hub', role: 'hub' }, time: clock.now().toISOString(), eventId: ids.next() },
    clock,
    projections: options.projections,
  });

  const agenda = new Agenda<() => Promise<void>>();
  const requests = new Map<string, SimRequest>();
  const scenarios: Record<string, number> = {};
  const unexpectedRefusals: SimulationSummary['unexpectedRefusals'] = [];
  let commands = 0;
  const expectedRefusals: Record<string, number> = {};
  let deadlinesFired = 0;
  let reRequests = 0;
  let done = 0;
  const finished = new Set<string>();

  const at = (delayMs: number, action: () => Promise<void>) => agenda.push(clock.now().getTime() + Math.round(delayMs), action);
  const hours = (min: number, max: number) => (min + random.next() * (max - min)) * HOUR;
  const lenders = directory.list().filter((l) => l.lendingPolicy !== 'doesNotLend').map((l) => l.code);

  /** The libraries react to what the engine tells them, in the order it happened. */
  function react(notices: readonly SimulationNotice[]): void {
    for (const notice of notices) {
      if (notice.type === 'notifyLender') {
        const r = requests.get(notice.requestId);
        if (!r) continue;
        r.lender = notice.library;
        r.position = notice.position;
        lenderAnswers(r, r.position, r.lender);
      } else if (notice.type === 'supplyOverdue') {
        const r = requests.get(notice.requestId);
        if (r) withdrawFromSilentLender(r);
      } else {
        const old = requests.get(notice.relatedRequestId);
        reRequests++;
        const r: SimRequest = { id: notice.requestId, borrower: old?.borrower ?? 'hub', scenario: 'yes', maximum: old?.maximum ?? 50 };
        requests.set(r.id, r);
        at(hours(1, 8), async () => {
          // Screened again: one over its library's maximum waits for hub staff, who approved the first.
          if ((await stateOf(r)) === 'needsReview' && (await act(r, 'hub', 'approve', {})) !== 'networkCheck') return;
          await act(r, 'borrowing', 'notAvailableLocally', {});
        });
      }
    }
  }

  /** Sends a command as the borrower, the current lender or hub staff; returns the new state name or undefined when refused. */
  async function act(r: SimRequest, as: 'borrowing' | 'lending' | 'hub', type: string, data: unknown, expectRefusal?: string): Promise<string | undefined> {
    const actor: Actor = as === 'borrowing' ? { id: r.borrower, role: 'borrowing' } : as === 'lending' ? { id: r.lender ?? '?', role: 'lending' } : { id: 'hub', role: 'hub' };
    commands++;
    try {
      const result = await engine.send({ commandId: ids.next(), streamId: r.id, type, data, actor }, clock.now());
      react(await engine.settle());
      const state = result.stateName;
      if (isTerminal(state) && !finished.has(r.id)) {
        finished.add(r.id);
        done++;
      }
      return state;
    } catch (error) {
      if (!isInterlendError(error) || error.code === 'STORE') throw error;
      if (expectRefusal) expectedRefusals[expectRefusal] = (expectedRefusals[expectRefusal] ?? 0) + 1;
      else unexpectedRefusals.push({ requestId: r.id, command: type, error: error.message });
      return undefined;
    }
  }

  const stateOf = async (r: SimRequest) => (await engine.stateOf(r.id)) ?? 'none';
  const isIn = async (r: SimRequest, ...states: string[]) => states.includes(await stateOf(r));

  function dueDateFromNow(days: number): string {
    return new Date(clock.now().getTime() + days * DAY).toISOString().slice(0, 10);
  }

  function ship(r: SimRequest): Promise<void> {
    return (async () => {
      if (!(await isIn(r, 'withLender.requested', 'withLender.expectsToSupply', 'withLender.willSupply', 'withLender.cancelPending'))) return;
      const multi = random.chance(0.1);
      r.dueDate = dueDateFromNow(28);
      const state = await act(r, 'lending', 'ship', {
        itemIds: multi ? [`${r.lender}-${r.id.slice(-6)}-v1`, `${r.lender}-${r.id.slice(-6)}-v2`] : [`${r.lender}-${r.id.slice(-6)}`],
        dueDate: r.dueDate,
        cost: { amount: Math.min(r.maximum, random.pick([0, 0, 5, 10])), currency: 'USD' },
        trackingId: `TRK${random.int(100000, 999999)}`,
        sentVia: random.pick(['courier', 'USPS', 'UPS']),
      });
      if (state === 'shipped') afterShipped(r);
    })();
  }

  function supply(r: SimRequest): void {
    at(hours(1, 20), async () => {
      if (random.chance(0.3) && (await isIn(r, 'withLender.requested'))) {
        await act(r, 'lending', 'expectToSupply', {});
        at(hours(2, 12), async () => {
          if (await isIn(r, 'withLender.expectsToSupply')) await act(r, 'lending', 'willSupply', {});
          at(hours(4, 24), () => ship(r));
        });
        return;
      }
      if (await isIn(r, 'withLender.requested')) await act(r, 'lending', 'willSupply', {});
      at(hours(4, 24), () => ship(r));
    });
  }

  function lenderAnswers(r: SimRequest, position: number, lender: string): void {
    const first = position === r.position && isFirstAsked(r, position);
    switch (r.scenario) {
      case 'no':
        at(hours(1, 30), async () => {
          if (!(await isIn(r, 'withLender.requested'))) return;
          const state = await act(r, 'lending', 'cannotSupply', { reason: random.pick(['NotHeld', 'NotOnShelf', 'NonCirculating', 'PoorCondition', 'NotAvailableForILL']) });
          if (state === 'unfilled') staffReviewUnfilled(r);
        });
        return;
      case 'timeout':
        if (first) {
          // this lender lets its deadline pass; it answers late once the rota has moved on
          r.timedOut = { lender, position };
          return;
        }
        if (r.timedOut) {
          const late = r.timedOut;
          r.timedOut = undefined;
          at(hours(1, 6), () => lateAnswer(r, late.lender, late.position));
        }
        return supply(r);
      case 'retry':
        if (first) {
          at(hours(2, 20), async () => {
            if (await isIn(r, 'withLender.requested')) await act(r, 'lending', 'retryPossible', { reason: 'CostExceedsMaxCost', note: 'our fee is above your maximum' });
          });
          return;
        }
        return supply(r);
      case 'conditional':
        if (first) return conditional(r);
        return supply(r);
      case 'cancel':
        if (first) return cancelWhileWithLender(r);
        return supply(r);
      case 'neverShips':
        if (first) return promiseAndNeverShip(r);
        return supply(r);
      default:
        return supply(r);
    }
  }

  const asked = new Map<string, number>();
  function isFirstAsked(r: SimRequest, position: number): boolean {
    const firstPosition = asked.get(r.id);
    if (firstPosition === undefined) {
      asked.set(r.id, position);
      return true;
    }
    return firstPosition === position;
  }

  function lateAnswer(r: SimRequest, lender: string, position: number): Promise<void> {
    const late: SimRequest = { ...r, lender, position };
    return act(late, 'lending', 'willSupply', { rotaPosition: position }, 'late answer from a lender the rota left').then(() => undefined);
  }

  function conditional(r: SimRequest): void {
    at(hours(2, 20), async () => {
      if (!(await isIn(r, 'withLender.requested'))) return;
      const aboveMax = random.chance(0.3);
      const offered = aboveMax ? r.maximum + random.pick([5, 10, 20]) : Math.min(r.maximum, 5);
      const state = await act(r, 'lending', 'answerConditional', {
        condition: random.pick(['LibraryUseOnly', 'NoReproduction', 'SignatureRequired', 'WatchLibraryUseOnly']),
        offeredCost: { amount: offered, currency: 'USD' },
      });
      if (state !== 'withLender.conditional') return;
      const choice = random.weighted({ accept: 6, reject: 2, ignore: 2 });
      if (choice === 'ignore') return; // the conditional-answer clock expires and the rota moves on
      at(hours(2, 30), async () => {
        if (!(await isIn(r, 'withLender.conditional'))) return;
        if (choice === 'reject') {
          await act(r, 'borrowing', 'rejectConditions', { note: 'patron cannot accept the condition' });
          return;
        }
        const s = await act(r, 'borrowing', 'acceptConditions', aboveMax ? { consentToCost: true } : {});
        if (s !== 'withLender.willSupply') return;
        at(hours(4, 24), async () => {
          if (!(await isIn(r, 'withLender.willSupply'))) return;
          r.dueDate = dueDateFromNow(21);
          const shipped = await act(r, 'lending', 'ship', {
            itemIds: [`${r.lender}-${r.id.slice(-6)}`],
            dueDate: r.dueDate,
            cost: { amount: offered, currency: 'USD' },
            conditions: ['LibraryUseOnly'],
          });
          if (shipped === 'shipped') afterShipped(r);
        });
      });
    });
  }

  function cancelWhileWithLender(r: SimRequest): void {
    at(hours(0.5, 3), async () => {
      if (!(await isIn(r, 'withLender.requested'))) return;
      const state = await act(r, 'borrowing', 'cancel', { reason: 'patron no longer needs it', continueWithNextLender: random.chance(0.2) });
      if (state !== 'withLender.cancelPending') return;
      const answer = random.weighted({ accept: 5, refuse: 2, shipAnyway: 2 });
      at(hours(1, 20), async () => {
        if (!(await isIn(r, 'withLender.cancelPending'))) return;
        if (answer === 'accept') await act(r, 'lending', 'acceptCancel', {});
        else if (answer === 'refuse') {
          const s = await act(r, 'lending', 'refuseCancel', { note: 'already pulled' });
          if (s) at(hours(4, 24), () => ship(r));
        } else await ship(r);
      });
    });
  }

  /** The lender promises and then never ships: its supply clock falls due (SupplyOverdue) and the borrower is told. */
  function promiseAndNeverShip(r: SimRequest): void {
    at(hours(1, 20), async () => {
      if (await isIn(r, 'withLender.requested')) await act(r, 'lending', random.chance(0.5) ? 'expectToSupply' : 'willSupply', {});
    });
  }

  /**
   * Borrowing staff (or hub staff), told the lender is overdue, end its turn: mostly the next
   * lender is asked; sometimes the request is given up (cancelled).
   */
  function withdrawFromSilentLender(r: SimRequest): void {
    const continueWithNextLender = !random.chance(0.15);
    const asHub = random.chance(0.2);
    at(hours(2, 30), async () => {
      if (!(await isIn(r, 'withLender.expectsToSupply', 'withLender.willSupply'))) return;
      const state = await act(r, asHub ? 'hub' : 'borrowing', 'withdrawFromLender', { reason: `${r.lender ?? 'the lender'} promised and did not ship`, continueWithNextLender });
      if (state === 'unfilled') staffReviewUnfilled(r);
    });
  }

  function staffReviewUnfilled(r: SimRequest): void {
    if (!random.chance(0.25)) return; // most unfilled requests stay closed as unfilled
    at(hours(4, 30), async () => {
      if (await isIn(r, 'unfilled')) await act(r, 'borrowing', 'reRequest', { note: 'try again with a wider rota' });
    });
  }

  function afterShipped(r: SimRequest): void {
    if (r.scenario === 'misdelivery') {
      at(hours(24, 60), async () => {
        if (!(await isIn(r, 'shipped'))) return;
        const other = random.pick(lenders.filter((l) => l !== r.borrower && l !== r.lender));
        const s = await act(r, 'hub', 'reportMisdelivered', { receivedBy: other, note: 'arrived at the wrong branch' });
        if (s !== 'misdelivered') return;
        at(hours(4, 24), async () => {
          if (random.chance(0.7)) {
            const t = await act(r, 'hub', 'reroute', { trackingId: `TRK${random.int(100000, 999999)}` });
            if (t === 'shipped') at(hours(24, 72), () => receive(r));
          } else if ((await act(r, 'hub', 'returnMisdelivered', {})) === 'returnShipped') {
            at(hours(30, 110), () => act(r, 'lending', 'checkIn', {}).then(() => undefined));
          }
        });
      });
      return;
    }
    at(hours(30, 120), () => receive(r));
  }

  async function receive(r: SimRequest): Promise<void> {
    if (!(await isIn(r, 'shipped'))) return;
    const state = await act(r, 'borrowing', 'receive', {});
    if (state !== 'onLoan.received') return;
    if (r.scenario === 'wrongItem') {
      at(hours(2, 24), async () => {
        const s = await act(r, 'borrowing', 'reportWrongItem', { note: 'received a different edition' });
        if (s) at(hours(24, 72), () => shipReturn(r));
      });
      return;
    }
    at(hours(1, 24), async () => {
      if (await isIn(r, 'onLoan.received')) await act(r, 'borrowing', 'checkOutToPatron', {});
      onLoan(r);
    });
  }

  function onLoan(r: SimRequest): void {
    const due = new Date(`${r.dueDate}T23:59:59.000Z`).getTime();
    switch (r.scenario) {
      case 'overdue':
        agenda.push(due + random.int(2, 9) * DAY, () => shipReturn(r));
        return;
      case 'recall':
        at(hours(72, 240), async () => {
          if (!(await isIn(r, 'onLoan.inUse', 'onLoan.received'))) return;
          const s = await act(r, 'lending', 'recall', { note: 'needed for a local patron' });
          if (s) {
            if (random.chance(0.3)) at(hours(1, 4), () => act(r, 'borrowing', 'requestRenewal', {}, 'renewal after a recall').then(() => undefined));
            at(hours(24, 72), () => shipReturn(r));
          }
        });
        return;
      case 'renewal':
        agenda.push(due - random.int(2, 5) * DAY, async () => {
          if (!(await isIn(r, 'onLoan.inUse', 'onLoan.received'))) return;
          const s = await act(r, 'borrowing', 'requestRenewal', { note: 'patron needs more time' });
          if (s !== 'onLoan.renewalPending') return;
          at(hours(4, 30), async () => {
            if (random.chance(0.7)) {
              r.dueDate = new Date(due + 21 * DAY).toISOString().slice(0, 10);
              await act(r, 'lending', 'grantRenewal', { dueDate: r.dueDate });
            } else await act(r, 'lending', 'denyRenewal', { note: 'on hold for another patron' });
            const newDue = new Date(`${r.dueDate}T00:00:00.000Z`).getTime();
            agenda.push(Math.max(clock.now().getTime() + DAY, newDue - random.int(1, 4) * DAY), () => shipReturn(r));
          });
        });
        return;
      case 'lost':
        at(hours(48, 400), async () => {
          await act(r, 'borrowing', 'reportLost', { kind: random.chance(0.7) ? 'lost' : 'damaged', note: 'patron reports it missing' });
        });
        return;
      default:
        agenda.push(Math.min(due - DAY, clock.now().getTime() + random.int(5, 20) * DAY), () => shipReturn(r));
    }
  }

  async function shipReturn(r: SimRequest): Promise<void> {
    if (!(await isIn(r, 'onLoan.received', 'onLoan.inUse', 'onLoan.overdue', 'onLoan.recalled', 'onLoan.awaitingReturn', 'onLoan.renewalPending'))) return;
    const s = await act(r, 'borrowing', 'shipReturn', { trackingId: `RET${random.int(100000, 999999)}` });
    if (s === 'returnShipped') at(hours(30, 110), () => act(r, 'lending', 'checkIn', {}).then(() => undefined));
  }

  // ---- arrivals
  const borrowers = directory.list().map((l) => l.code);
  let arrival = start.getTime();
  for (let i = 0; i < options.requests; i++) {
    arrival += Math.round(-Math.log(1 - random.next()) * 10 * 60_000); // about six an hour
    const scenario = random.weighted(SCENARIOS);
    scenarios[scenario] = (scenarios[scenario] ?? 0) + 1;
    const borrower = random.pick(borrowers);
    const maximum = random.pick([10, 25, 25, 50]);
    const requestAt = arrival;
    agenda.push(requestAt, async () => {
      const r: SimRequest = { id: ids.next(), borrower, scenario, maximum };
      requests.set(r.id, r);
      const state = await act(r, 'borrowing', 'submit', requestData(scenario, maximum, random, i));
      if (!state) return;
      if (state === 'needsReview') {
        at(hours(4, 30), async () => {
          const approve = random.chance(0.75);
          // A maximum above the borrower's own maximum cost (its profile) is approved by hub staff only.
          const profile = directory.get(r.borrower);
          const overMaximum = profile !== undefined && r.maximum > profile.maxShipping + profile.maxFees;
          const asHub = random.chance(0.5) || overMaximum;
          const s = await act(r, asHub ? 'hub' : 'borrowing', approve ? 'approve' : 'reject', approve ? {} : { reason: 'reference copy: not for loan' });
          if (s === 'networkCheck') at(hours(1, 8), () => act(r, 'borrowing', 'notAvailableLocally', {}).then(() => undefined));
        });
      } else if (state === 'networkCheck') {
        at(hours(1, 8), async () => {
          if (scenario === 'local') await act(r, 'borrowing', 'fillLocally', { note: 'found in a consortium branch' });
          else await act(r, 'borrowing', 'notAvailableLocally', {});
        });
      }
    });
  }

  // ---- the loop: the earliest of the next agenda item and the next deadline goes first
  const total = options.requests;
  for (;;) {
    const nextTimer = await engine.nextDueAt();
    const nextAction = agenda.peekTime();
    if (nextTimer === undefined && nextAction === undefined) break;
    const timerAt = nextTimer === undefined ? Infinity : new Date(nextTimer).getTime();
    if (nextAction === undefined || timerAt <= nextAction) {
      if (timerAt > clock.now().getTime()) clock.set(timerAt);
      const run = await engine.runDue(clock.now());
      deadlinesFired += run.fired;
      for (const refusal of run.refusals) unexpectedRefusals.push({ requestId: refusal.requestId, command: `deadline ${refusal.deadline}`, error: refusal.error });
      react(await engine.settle());
      continue;
    }
    const item = agenda.pop()!;
    if (item.at > clock.now().getTime()) clock.set(item.at);
    await item.item();
    options.onProgress?.(Math.min(done, total), total);
  }
  await engine.finish();

  const finalStates: Record<string, number> = {};
  const notTerminal: string[] = [];
  const lines: string[] = [];
  for (const id of requests.keys()) {
    const state = (await engine.stateOf(id)) ?? 'none';
    finalStates[state] = (finalStates[state] ?? 0) + 1;
    if (!isTerminal(state)) notTerminal.push(id);
    lines.push(`${id} ${state}`);
  }
  options.onProgress?.(total, total);
  return {
    seed: options.seed,
    requests: options.requests,
    reRequests,
    libraries: options.libraries,
    scenarios: sortKeys(scenarios),
    finalStates: sortKeys(finalStates),
    notTerminal,
    commands,
    deadlinesFired,
    finalStatesDigest: sha256Hex(lines.sort().join('\n')),
    events: await engine.headPosition(),
    expectedRefusals: sortKeys(expectedRefusals),
    unexpectedRefusals,
    simulatedFrom: start.toISOString(),
    simulatedTo: clock.now().toISOString(),
  };
}

function requestData(scenario: Scenario, maximum: number, random: SeededRandom, i: number): Record<string, unknown> {
  const titles = ['The Shipping News', 'A History of the County', 'Field Guide to Mosses', 'Collected Letters', 'Rivers of the North', 'Quantum Mechanics for Librarians', 'Atlas of Old Roads', 'The Glass Harmonica'];
  const base = {
    serviceType: 'Loan',
    serviceLevel: scenario === 'rush' ? 'Rush' : 'Normal',
    material: { format: 'book', title: `${random.pick(titles)} (${i + 1})`, author: random.pick(['Okafor, N.', 'Lindqvist, A.', 'Moreau, C.', 'Tanaka, H.']), publicationYear: random.int(1950, 2025) },
    maximumCost: { amount: maximum, currency: 'USD' },
    patronRef: `P${random.int(10000, 99999)}`,
  };
  switch (scenario) {
    case 'article':
      return { ...base, serviceType: 'Copy', material: { ...base.material, format: 'article', issn: '1234-5678' } };
    case 'ebook':
      return { ...base, material: { ...base.material, format: 'ebook' } };
    case 'review':
      return { ...base, material: { ...base.material, flags: [random.pick(['rare', 'reference', 'genealogy', 'newRelease', 'bestseller'] as const)] } };
    default:
      return base;
  }
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}
