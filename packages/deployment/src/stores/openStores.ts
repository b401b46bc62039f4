import { existsSync, statSync } from 'node:fs';
import { isStoreError, ValidationError, type EventStore, type ReadModelStore } from '@interlend/engine';
import { MissingStoreError } from './missingStoreError';
import { describeStore, type StoreLocation } from './storeUrl';

/** Where a deployment's log and read models live: one URL each (the read models default to the log's store). */
export interface StoreSettings {
  readonly events: StoreLocation;
  /** Default: the same store as the events (SQLite, PostgreSQL); a KurrentDB log needs one. */
  readonly readModels?: StoreLocation;
}

export interface OpenStoresOptions {
  /**
   * Open for reading only. SQLite: the file is opened read-only (a file that cannot be written can
   * be read); a file of an older schema is upgraded first when it can be written. PostgreSQL: the
   * schema is not created (a database without interlend's tables is a MissingStoreError); one of
   * an older version is upgraded first. Nothing else is written.
   */
  readonly readonly?: boolean;
  /** Refuse a SQLite file that does not exist yet (MissingStoreError) instead of creating it ('readonly' always does). */
  readonly mustExist?: boolean;
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
  if (eventsAt.kind === 'kurrentdb' && !settings.readModels) {
    const message = `a KurrentDB log needs a store for its read models: give one with --read-models postgres://… or sqlite:PATH (INTERLEND_READ_MODELS)`;
    throw new ValidationError(message, { issues: [{ path: 'read-models', message }] });
  }
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
    const description = same ? nameOf(eventsAt) : `events ${nameOf(eventsAt)}, read models ${nameOf(readModelsAt)}`;
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
      if (options.mustExist || options.readonly) {
        if (!existsSync(location.path)) throw new MissingStoreError(`no database at ${location.path}`, location.path);
        if (statSync(location.path).isDirectory()) throw new MissingStoreError(`${location.path} is a directory, not a database file`, location.path);
      }
      const { openSqlite } = await import('@interlend/store-sqlite');
      if (!options.readonly) return openSqlite(location.path, { synchronous: options.synchronous });
      // A file of an older version is upgraded first when it can be written (a schema change, not a write to the log).
      try {
        return openSqlite(location.path, { readonly: true });
      } catch (error) {
        if (!isOutdatedSchema(error)) throw error;
      }
      await openSqlite(location.path).close();
      return openSqlite(location.path, { readonly: true });
    }
    case 'postgres': {
      const { openPostgres } = await import('@interlend/store-postgres');
      if (!options.readonly) return openPostgres(location.url);
      try {
        return await openPostgres(location.url, { migrate: false });
      } catch (error) {
        if (isStoreError(error) && error.details.version === 0) {
          const where = describeStore(location);
          throw new MissingStoreError(`no interlend store in ${where} (the database holds none of its tables)`, where);
        }
        if (!isOutdatedSchema(error)) throw error;
      }
      return openPostgres(location.url);
    }
    case 'kurrentdb': {
      const { openKurrentDb } = await import('@interlend/store-kurrentdb');
      return openKurrentDb(location.url);
    }
  }
}

const isOutdatedSchema = (error: unknown): boolean =>
  isStoreError(error) && typeof error.details.version === 'number' && typeof error.details.expected === 'number' && error.details.version < error.details.expected;

/** A SQLite store by its file path (as messages always named it), a network store by its URL without the password. */
const nameOf = (location: StoreLocation): string => (location.kind === 'sqlite' ? location.path : describeStore(location));

function sameLocation(a: StoreLocation, b: StoreLocation): boolean {
  if (a.kind !== b.kind) return false;
  return a.kind === 'sqlite' ? a.path === (b as typeof a).path : a.url === (b as { url: string }).url;
}

async function closeAll(handles: readonly Handle[]): Promise<void> {
  for (const handle of [...handles].reverse()) await handle.close().catch(() => undefined);
}
