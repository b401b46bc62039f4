import * as path from 'node:path';
import { OverlayReadModelStore, WorkflowRuntime, systemClock, uuidV7Ids, type BackgroundProblem, type Clock, type EventStore, type IdGenerator, type IndexOf, type Projection, type ReadModelStore } from '@interlend/engine';
import { COMMAND_PARTY, Directory, illProjections, illRequestWorkflow, loadDirectory, reRequestEffect, type IllCommandType, type IllServices } from '@interlend/ill';
import { MissingStoreError } from './stores/missingStoreError';
import { openStores, type OpenedStores, type StoreSettings } from './stores/openStores';

export { MissingStoreError };

export type IllRuntime = WorkflowRuntime<typeof illRequestWorkflow.machine, IllServices>;

export interface App {
  /** The stores that are open, for messages and logs (a file path, or a URL without its password). */
  readonly description: string;
  /** Where the stores are (with any password: not for messages). */
  readonly settings: StoreSettings;
  readonly stores: OpenedStores;
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
 * - 'read': answer a question. Nothing is written, not even read models: a SQLite file is opened
 *   read-only (a read-only file can be read), PostgreSQL without creating the schema, and read
 *   models that are behind the log are caught up in memory for this answer. Deadlines that are
 *   due are shown as due, not fired.
 * - 'maintain': open read-write and do nothing on opening (the worker, `timers run`, rebuild and
 *   directory import do their own work).
 */
export type AppMode = 'command' | 'read' | 'maintain';

export interface OpenAppOptions {
  /**
   * Refuse when the store does not exist yet ('read' mode always does): a SQLite file must be
   * there; a network store must answer (a StoreError naming it otherwise, as always).
   */
  readonly mustExist?: boolean;
  /** SQLite only: the durability of commits (default full; see docs/storage-sqlite.md). */
  readonly synchronous?: 'full' | 'normal';
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

/**
 * Opens the stores named by the settings and wires the ILL workflow over them: the one place
 * where every service (the CLI, the workers, the API) gets its deployment.
 */
export async function openDeployment(settings: StoreSettings, options: OpenAppOptions = {}): Promise<App> {
  const mode: AppMode = options.mode ?? 'command';
  const stores = await openStores(settings, { readonly: mode === 'read', mustExist: options.mustExist, synchronous: options.synchronous });
  try {
    const clock = options.clock ?? systemClock;
    const ids = options.ids ?? uuidV7Ids;
    const projections = options.projections ?? illProjections;
    const directory = await loadDirectory(stores.events);
    const services: IllServices = { directory: directory ?? new Directory({ libraries: [] }) };
    const readModels = mode === 'read' ? new OverlayReadModelStore(stores.readModels, indexOfProjections(projections)) : stores.readModels;
    const onBackgroundError = options.onBackgroundError;
    const runtime: IllRuntime = new WorkflowRuntime({
      workflow: illRequestWorkflow,
      services,
      store: stores.events,
      readModels,
      clock,
      ids,
      projections,
      effectHandlers: { startReRequest: reRequestEffect(() => runtime.handler) },
      onBackgroundError,
    });
    if (mode === 'command') await runtime.runDueTimersQuietly();
    if (mode === 'read') await catchUpInMemory(runtime, onBackgroundError);
    return { description: stores.description, settings: stores.settings, stores, runtime, events: stores.events, readModels, directory, clock, ids, close: () => stores.close() };
  } catch (error) {
    await stores.close();
    throw error;
  }
}

/** `openDeployment` on one SQLite file: the embedded default. */
export function openEmbedded(dbPath: string, options: OpenAppOptions = {}): Promise<App> {
  return openDeployment({ events: { kind: 'sqlite', path: path.resolve(dbPath) } }, options);
}

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
