import { ValidationError, type EventStore, type ReadModelStore } from '@interlend/engine';
import { describeStore, type StoreLocation } from './storeUrl';

/** Where a deployment's log and read models live: one URL each (the read models default to the log's store). */
export interface StoreSettings {
  readonly events: StoreLocation;
  /** Default: the same store as the events (SQLite, PostgreSQL); a KurrentDB log needs one. */
  readonly readModels?: StoreLocation;
}

export interface OpenStoresOptions {
  /**
   * SQLite only: open read-only (a file that cannot be written can be read; nothing is written,
   * not even a schema upgrade). The network stores are opened as usual: reading never writes there.
   */
  readonly readonly?: boolean;
  /** SQLite only: the durability of commits (default full). */
  readonly synchronous?: 'full' | 'normal';
}

export interface OpenedStores {
  readonly events: EventStore;
  readonly readModels: ReadModelStore;
  /** What is open, for messages and logs (no password). */
  readonly description: string;
  readonly settings: StoreSettings;
  /** Closes every store opened here (each once). */
  close(): Promise<void>;
}

type Handle = { readonly events?: EventStore; readonly readModels?: ReadModelStore; close(): Promise<void> };

/**
 * Opens the event log and the read models named by the settings: the one place where a
 * deployment's stores are chosen (every service comes through here). The adapters are loaded only
 * when used, so the embedded default never loads a network driver.
 */
export async function openStores(settings: StoreSettings, options: OpenStoresOptions = {}): Promise<OpenedStores> {
  const eventsAt = settings.events;
  const readModelsAt = settings.readModels ?? eventsAt;
  if (readModelsAt.kind === 'kurrentdb') {
    const message = `read models cannot live in KurrentDB: give them a PostgreSQL or SQLite store (--read-models postgres://… or sqlite:PATH)`;
    throw new ValidationError(message, { issues: [{ path: 'read-models', message }] });
  }
  const same = sameLocation(eventsAt, readModelsAt);
  const opened: Handle[] = [];
  try {
    const log = await open(eventsAt, options);
    opened.push(log);
    const models = same ? log : await open(readModelsAt, options);
    if (!same) opened.push(models);
    const description = same ? describeStore(eventsAt) : `events ${describeStore(eventsAt)}, read models ${describeStore(readModelsAt)}`;
    let closed: Promise<void> | undefined;
    return {
      events: log.events!,
      readModels: models.readModels!,
      description,
      settings: { events: eventsAt, readModels: readModelsAt },
      close: () => (closed ??= closeAll(opened)),
    };
  } catch (error) {
    await closeAll(opened);
    throw error;
  }
}

async function open(location: StoreLocation, options: OpenStoresOptions): Promise<Handle> {
  switch (location.kind) {
    case 'sqlite': {
      const { openSqlite } = await import('@interlend/store-sqlite');
      return openSqlite(location.path, { readonly: options.readonly, synchronous: options.synchronous });
    }
    case 'postgres': {
      const { openPostgres } = await import('@interlend/store-postgres');
      return openPostgres(location.url);
    }
    case 'kurrentdb': {
      const { openKurrentDb } = await import('@interlend/store-kurrentdb');
      return openKurrentDb(location.url);
    }
  }
}

function sameLocation(a: StoreLocation, b: StoreLocation): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind === 'sqlite' ? a.path === (b as typeof a).path : a.url === (b as { url: string }).url;
}

async function closeAll(handles: readonly Handle[]): Promise<void> {
  for (const handle of [...handles].reverse()) await handle.close().catch(() => undefined);
}
