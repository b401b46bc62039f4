import { existsSync, statSync } from 'node:fs';
import { isStoreError, OverlayReadModelStore, WorkflowRuntime, systemClock, uuidV7Ids, type BackgroundProblem, type Clock, type EventStore, type IdGenerator, type IndexOf, type Projection, type ReadModelStore } from '@interlend/engine';
import { COMMAND_PARTY, Directory, illProjections, illRequestWorkflow, loadDirectory, reRequestEffect, type IllCommandType, type IllServices } from '@interlend/ill';
import { openSqlite, type SqliteHandle } from '@interlend/store-sqlite';

export type IllRuntime = WorkflowRuntime<typeof illRequestWorkflow.machine, IllServices>;

export interface App {
  readonly dbPath: string;
  readonly sqlite: SqliteHandle;
  readonly runtime: IllRuntime;
  /** The event log. */
  readonly events: EventStore;
  /**
   * The read models to answer from: in 'read' mode an overlay that shows them caught up to the
   * head of the log without writing anything; otherwise the database's own.
   */
  readonly readModels: ReadModelStore;
  readonly directory: Directory | undefined;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  close(): Promise<void>;
}

/**
 * What the process is about to do with the store:
 * - 'command' (default): change something. Due deadlines fire first (the single-process default
 *   has no other timer service), so the command acts on a current state.
 * - 'read': answer a question. Nothing is written, not even read models: the database is opened
 *   read-only (a read-only file can be read), and read models that are behind the log are caught
 *   up in memory for this answer. Deadlines that are due are shown as due, not fired.
 * - 'maintain': open read-write and do nothing on opening (the worker, `timers run`, rebuild and
 *   directory import do their own work).
 */
export type AppMode = 'command' | 'read' | 'maintain';

export interface OpenAppOptions {
  /** Refuse when the database does not exist yet ('read' mode always does). */
  readonly mustExist?: boolean;
  readonly mode?: AppMode;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly projections?: readonly Projection[];
  /**
   * Told of work after a command that did not complete (a conflict with another process carrying
   * the log forward, a busy store). It never fails the command; default: nothing.
   */
  readonly onBackgroundError?: (problem: BackgroundProblem) => void;
}

/** The store named is not there (or is not a database file): the caller says what to do. */
export class MissingStoreError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'MissingStoreError';
  }
}

/**
 * Opens the embedded store and wires the ILL workflow over it: the single-process default, used
 * by every service (the CLI, the worker, the API).
 */
export async function openEmbedded(dbPath: string, options: OpenAppOptions = {}): Promise<App> {
  const mode: AppMode = options.mode ?? 'command';
  if (options.mustExist || mode === 'read') {
    if (!existsSync(dbPath)) throw new MissingStoreError(`no database at ${dbPath}`, dbPath);
    if (statSync(dbPath).isDirectory()) throw new MissingStoreError(`${dbPath} is a directory, not a database file`, dbPath);
  }
  const sqlite = mode === 'read' ? await openForReading(dbPath) : openSqlite(dbPath);
  try {
    const clock = options.clock ?? systemClock;
    const ids = options.ids ?? uuidV7Ids;
    const projections = options.projections ?? illProjections;
    const directory = await loadDirectory(sqlite.events);
    const services: IllServices = { directory: directory ?? new Directory({ libraries: [] }) };
    const readModels = mode === 'read' ? new OverlayReadModelStore(sqlite.readModels, indexOfProjections(projections)) : sqlite.readModels;
    const onBackgroundError = options.onBackgroundError;
    const runtime: IllRuntime = new WorkflowRuntime({
      workflow: illRequestWorkflow,
      services,
      store: sqlite.events,
      readModels,
      clock,
      ids,
      projections,
      effectHandlers: { startReRequest: reRequestEffect(() => runtime.handler) },
      onBackgroundError,
    });
    if (mode === 'command') await runtime.runDueTimersQuietly();
    if (mode === 'read') await catchUpInMemory(runtime, onBackgroundError);
    return { dbPath, sqlite, runtime, events: sqlite.events, readModels, directory, clock, ids, close: () => sqlite.close() };
  } catch (error) {
    await sqlite.close();
    throw error;
  }
}

/**
 * Opens the database read-only. A database written by an older version of this program is
 * upgraded first when the file can be written (the upgrade is a schema change, not a write to the
 * log); a read-only file of an older version is refused with what to do.
 */
async function openForReading(dbPath: string): Promise<SqliteHandle> {
  try {
    return openSqlite(dbPath, { readonly: true });
  } catch (error) {
    if (!isOutdatedSchema(error)) throw error;
  }
  await openSqlite(dbPath).close();
  return openSqlite(dbPath, { readonly: true });
}

const isOutdatedSchema = (error: unknown): boolean =>
  isStoreError(error) && typeof error.details.version === 'number' && typeof error.details.expected === 'number' && error.details.version < error.details.expected;

/** Brings the projections up to the head of the log in the overlay: nothing is written. */
async function catchUpInMemory(runtime: IllRuntime, report: ((problem: BackgroundProblem) => void) | undefined): Promise<void> {
  try {
    await runtime.runner.catchUp(runtime.projections);
  } catch (error) {
    report?.({ stage: 'projections', error });
  }
}

/** Each projection's `index`, for the overlay's range queries over stored documents. */
function indexOfProjections(projections: readonly Projection[]): IndexOf {
  const byName = new Map(projections.map((p) => [p.name, p]));
  return (projection, doc, key) => byName.get(projection)?.index?.(doc, key) ?? [];
}

/** One line about work after a command that did not complete. */
export function describeProblem(problem: BackgroundProblem): string {
  const why = (problem.error as Error)?.message ?? String(problem.error);
  switch (problem.stage) {
    case 'effect-refused':
      return `effect ${problem.effect?.type} (${problem.effect?.effectId}) of request ${problem.effect?.streamId} was refused and skipped: ${why}`;
    case 'timers':
      return `due deadlines were not fired this time (${why}); the worker or the next command fires them`;
    default:
      return `the command is done, but bringing the ${problem.stage === 'effects' ? 'effects' : 'read models'} up to date stopped (${why}); the worker or the next command finishes it`;
  }
}

/** The commands a person may send now: what the state accepts, less the ones only the timer service sends. */
export function allowedForPeople(runtime: IllRuntime, state: Parameters<IllRuntime['handler']['workflow']['allowedCommands']>[0]): string[] {
  return runtime.handler.workflow.allowedCommands(state).filter((type) => COMMAND_PARTY[type as IllCommandType] !== 'system');
}
