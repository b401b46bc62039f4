import * as path from 'node:path';
import { isValidationError } from '@interlend/engine';
import { DEFAULT_STORE, describeStore, parseStoreUrl, type StoreLocation, type StoreSettings } from '@interlend/deployment/local';
import { UsageError, type CliIo } from './io';

export const DEFAULT_DB = path.join('data', 'interlend.db');

/** The flags every command that opens the stores takes (spread into its option table). */
export const STORE_FLAGS = { db: { type: 'string' }, store: { type: 'string' }, 'read-models': { type: 'string' } } as const;

/** The store flags in a usage line. */
export const STORE_USAGE = '[--store URL | --db PATH] [--read-models URL]';

/** The store flags in a --help text. */
export const STORE_HELP = `  --store URL       where the event log lives (default ${DEFAULT_STORE}, or INTERLEND_STORE):
                    sqlite:PATH, postgres://user:password@host:5432/db, kurrentdb://host:2113
  --db PATH         the SQLite shorthand (or INTERLEND_DB): --db X is --store sqlite:X
  --read-models URL where the read models live when not beside the log (or INTERLEND_READ_MODELS;
                    needed with KurrentDB): sqlite:PATH or postgres://…`;

export interface StoreFlags {
  readonly db?: string;
  readonly store?: string;
  readonly 'read-models'?: string;
}

/**
 * Where the stores are, from the flags, else the environment: `--store URL` / INTERLEND_STORE,
 * `--db PATH` / INTERLEND_DB (the SQLite shorthand), `--read-models URL` / INTERLEND_READ_MODELS;
 * default sqlite:./data/interlend.db. A flag beats the environment; giving both --db and --store
 * (or both variables) is a usage error, as is a KurrentDB log without a read-model store.
 */
export function resolveStore(io: CliIo, flags: StoreFlags): StoreSettings {
  if (flags.db !== undefined && flags.store !== undefined) throw new UsageError('--db and --store both name the store: give one (--db PATH is --store sqlite:PATH)');
  const env = (name: string) => (io.env[name] ? io.env[name] : undefined);
  let events: StoreLocation;
  if (flags.store !== undefined) events = parse(io, flags.store, '--store');
  else if (flags.db !== undefined) events = sqliteAt(io, flags.db, '--db');
  else {
    const store = env('INTERLEND_STORE');
    const db = env('INTERLEND_DB');
    if (store !== undefined && db !== undefined) throw new UsageError('INTERLEND_DB and INTERLEND_STORE are both set: unset one (INTERLEND_DB=PATH is INTERLEND_STORE=sqlite:PATH)');
    events = store !== undefined ? parse(io, store, 'INTERLEND_STORE') : db !== undefined ? sqliteAt(io, db, 'INTERLEND_DB') : parse(io, DEFAULT_STORE, '--store');
  }
  const readModelsFlag = flags['read-models'];
  const readModelsText = readModelsFlag ?? env('INTERLEND_READ_MODELS');
  const readModels = readModelsText === undefined ? undefined : parse(io, readModelsText, readModelsFlag !== undefined ? '--read-models' : 'INTERLEND_READ_MODELS');
  if (readModels?.kind === 'kurrentdb') throw new UsageError(`${readModelsFlag !== undefined ? '--read-models' : 'INTERLEND_READ_MODELS'}: read models cannot live in KurrentDB: give a PostgreSQL or SQLite store (postgres://… or sqlite:PATH)`);
  if (events.kind === 'kurrentdb' && !readModels) {
    throw new UsageError(`a KurrentDB log (${describeStore(events)}) needs a store for its read models: add --read-models postgres://… or --read-models sqlite:PATH (or INTERLEND_READ_MODELS)`);
  }
  return readModels ? { events, readModels } : { events };
}

/** One line naming the stores, for messages (no password). */
export function storeDescription(settings: StoreSettings): string {
  const events = describeStore(settings.events);
  if (!settings.readModels || describeStore(settings.readModels) === events) return events;
  return `events ${events}, read models ${describeStore(settings.readModels)}`;
}

function parse(io: CliIo, text: string, what: string): StoreLocation {
  try {
    return parseStoreUrl(text, io.cwd, what);
  } catch (error) {
    if (isValidationError(error)) throw new UsageError(error.message);
    throw error;
  }
}

/** `--db PATH`: always a file path (a path that looks like a URL is still a path). */
function sqliteAt(io: CliIo, file: string, what: string): StoreLocation {
  if (!file.trim()) throw new UsageError(`${what}: the database path is empty`);
  return { kind: 'sqlite', path: path.resolve(io.cwd, file) };
}
