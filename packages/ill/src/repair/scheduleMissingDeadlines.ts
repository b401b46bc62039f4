import { isInterlendError, timerKey, timersProjection, TIMERS_PROJECTION, type ReadModelStore, type TimerDoc, type WorkflowRuntime } from '@interlend/engine';
import { SCHEDULE_MISSING_COMMAND } from '../commands';
import type { IllContext } from '../context';
import { REPAIRABLE_CLOCKS, STATE_NAMES, isTerminal, type RepairableClock } from '../events';
import type { IllMachine } from '../machine';
import { requestsProjection } from '../projections/requests';
import { requestsPage } from '../projections/readQueries';
import type { IllServices } from '../workflow';

/**
 * The one-off repair behind `interlend timers schedule-missing` (docs/workflow/lender-clocks.md,
 * "Upgrading"): a request that was in a supply, cancel-answer or need-before clock's state before
 * that clock existed has no pending deadline for it. The fold knows the deadline (it replays the
 * machine of this release, with the terms the rota recorded or the defaults); the timer service,
 * which follows the recorded `scheduleDeadline` effects, does not.
 */

/** A clock the fold of an open request tracks and the timer service does not hold. */
export interface MissingDeadline {
  readonly requestId: string;
  readonly state: string;
  readonly name: RepairableClock;
  /** When it is due, as the fold computed it. */
  readonly at: string;
  readonly key: string;
}

export interface ScheduleMissingResult {
  /** Open requests looked at. */
  readonly checked: number;
  /** What was (or, on a dry run, would be) scheduled, in request-id order. */
  readonly missing: readonly MissingDeadline[];
  /** Deadlines scheduled by this run (0 on a dry run). */
  readonly scheduled: number;
  /** Repairs a run before this one already wrote (the same command id): nothing written again. */
  readonly duplicates: number;
  /** Repairs the workflow refused (the request moved on between the look and the command). */
  readonly refused: readonly { readonly requestId: string; readonly name: RepairableClock; readonly error: string }[];
}

export interface ScheduleMissingOptions {
  /** Only report what would be scheduled: nothing is written. */
  readonly dryRun?: boolean;
  /** Requests read per page of the requests read model (default 500). */
  readonly pageSize?: number;
}

/** The command id of the repair of one request's clock: the same on every run, so a second run writes nothing. */
export const scheduleMissingCommandId = (requestId: string, name: RepairableClock): string => `schedule-missing:${requestId}:${name}`;

/** The open states, in lifecycle order: where a request may be waiting on a clock. */
const OPEN_STATES = STATE_NAMES.filter((s) => !isTerminal(s));

/**
 * Finds the open requests whose fold tracks a supply, cancel-answer or need-before deadline that
 * the timers read model does not hold (or holds with another due time or key), and schedules each
 * through the engine: `scheduleMissingDeadline {name}` from the system actor, with the command id
 * `schedule-missing:<request>:<clock>`. The deadline is the event's `scheduleDeadline` effect, a
 * persisted fact like every other; its time is the handler's clock, its due time the fold's.
 */
export async function scheduleMissingDeadlines(
  runtime: WorkflowRuntime<IllMachine, IllServices>,
  readModels: ReadModelStore,
  options: ScheduleMissingOptions = {},
): Promise<ScheduleMissingResult> {
  const pageSize = options.pageSize ?? 500;
  // The requests (to find the open ones) and the timers (what is pending) as far as the log goes.
  await runtime.runner.catchUp([requestsProjection, timersProjection]);
  const missing: MissingDeadline[] = [];
  let checked = 0;
  for (const state of OPEN_STATES) {
    let after: string | undefined;
    do {
      const page = await requestsPage(readModels, { state }, { limit: pageSize, ...(after === undefined ? {} : { after }) });
      after = page.next ?? undefined;
      const ids = page.docs.map((d) => d.requestId);
      const timers = await readModels.getMany(TIMERS_PROJECTION, ids.flatMap((id) => REPAIRABLE_CLOCKS.map((name) => timerKey(id, name))));
      for (const requestId of ids) {
        const loaded = await runtime.handler.load(requestId);
        if (!loaded || isTerminal(loaded.stateName)) continue;
        checked++;
        const context = loaded.snapshot.context as IllContext;
        for (const name of REPAIRABLE_CLOCKS) {
          const tracked = context.deadlines[name];
          if (!tracked) continue;
          const pending = timers.get(timerKey(requestId, name)) as TimerDoc | undefined;
          if (pending && pending.key === tracked.key && Date.parse(pending.at) === Date.parse(tracked.at)) continue;
          missing.push({ requestId, state: loaded.stateName, name, at: tracked.at, key: tracked.key });
        }
      }
    } while (after !== undefined);
  }
  missing.sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : REPAIRABLE_CLOCKS.indexOf(a.name) - REPAIRABLE_CLOCKS.indexOf(b.name)));
  if (options.dryRun) return { checked, missing, scheduled: 0, duplicates: 0, refused: [] };

  let scheduled = 0;
  let duplicates = 0;
  const refused: { requestId: string; name: RepairableClock; error: string }[] = [];
  for (const m of missing) {
    try {
      const result = await runtime.handler.handle({
        commandId: scheduleMissingCommandId(m.requestId, m.name),
        streamId: m.requestId,
        type: SCHEDULE_MISSING_COMMAND,
        data: { name: m.name },
        actor: { id: 'system', role: 'system' },
      });
      if (result.duplicate) duplicates++;
      else scheduled++;
    } catch (error) {
      if (!isInterlendError(error) || error.code === 'STORE') throw error;
      refused.push({ requestId: m.requestId, name: m.name, error: error.message });
    }
  }
  // The timers read model takes the new deadlines (and the other read models the new events).
  await runtime.settle();
  return { checked, missing, scheduled, duplicates, refused };
}
