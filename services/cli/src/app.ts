import { existsSync, statSync } from 'node:fs';
import { ManualClock, WorkflowRuntime, systemClock, uuidV7Ids, type Clock, type IdGenerator, type Projection } from '@interlend/engine';
import { COMMAND_PARTY, Directory, illProjections, illRequestWorkflow, loadDirectory, reRequestEffect, type IllCommandType, type IllServices } from '@interlend/ill';
import { openSqlite, type SqliteHandle } from '@interlend/store-sqlite';
import { UsageError } from './io';

export type IllRuntime = WorkflowRuntime<typeof illRequestWorkflow.machine, IllServices>;

export interface App {
  readonly dbPath: string;
  readonly sqlite: SqliteHandle;
  readonly runtime: IllRuntime;
  readonly directory: Directory | undefined;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

export interface OpenAppOptions {
  /** Refuse when the database does not exist yet (read-only commands). */
  readonly mustExist?: boolean;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly projections?: readonly Projection[];
  /**
   * Fire the deadlines that are due (default true: "a due deadline fires when the store is next
   * used"). Firing settles the runtime, so the read models are current when openApp returns.
   */
  readonly runDueTimers?: boolean;
}

/** Opens the embedded store and wires the ILL workflow over it: the single-process default. */
export async function openApp(dbPath: string, options: OpenAppOptions = {}): Promise<App> {
  if (options.mustExist) {
    if (!existsSync(dbPath)) throw new UsageError(`no database at ${dbPath}: run 'interlend simulate' or 'interlend submit' first, or pass --db PATH`);
    if (statSync(dbPath).isDirectory()) throw new UsageError(`${dbPath} is a directory, not a database file`);
  }
  const sqlite = openSqlite(dbPath);
  try {
    const clock = options.clock ?? systemClock;
    const ids = options.ids ?? uuidV7Ids;
    const directory = await loadDirectory(sqlite.events);
    const services: IllServices = { directory: directory ?? new Directory({ libraries: [] }) };
    const runtime: IllRuntime = new WorkflowRuntime({
      workflow: illRequestWorkflow,
      services,
      store: sqlite.events,
      readModels: sqlite.readModels,
      clock,
      ids,
      projections: options.projections ?? illProjections,
      effectHandlers: { startReRequest: reRequestEffect(() => runtime.handler) },
    });
    if (options.runDueTimers !== false) await runtime.runDueTimers();
    return { dbPath, sqlite, runtime, directory, clock, ids, close: () => sqlite.close() };
  } catch (error) {
    await sqlite.close();
    throw error;
  }
}

/** A clock fixed at `--now` (for `timers run --now`), else the system clock. */
export function clockAt(now: string | undefined): Clock {
  if (now === undefined) return systemClock;
  const t = Date.parse(now);
  if (Number.isNaN(t)) throw new UsageError(`--now: '${now}' is not a date-time (use ISO 8601, e.g. 2026-03-01T12:00:00Z)`);
  return new ManualClock(t);
}


/** The commands a person may send now: what the state accepts, less the ones only the timer service sends. */
export function allowedForPeople(runtime: IllRuntime, state: Parameters<IllRuntime['handler']['workflow']['allowedCommands']>[0]): string[] {
  return runtime.handler.workflow.allowedCommands(state).filter((type) => COMMAND_PARTY[type as IllCommandType] !== 'system');
}
