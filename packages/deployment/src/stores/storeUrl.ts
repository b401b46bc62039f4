import * as path from 'node:path';
import { ValidationError } from '@interlend/engine';

/**
 * Where a deployment keeps its event log or its read models, from one URL:
 * - `sqlite:PATH` (or a bare file path): the embedded default, one file;
 * - `postgres://…` / `postgresql://…`: a PostgreSQL database;
 * - `kurrentdb://…` (also `kurrentdb+discover://…`, `esdb://…`, `esdb+discover://…`): a
 *   KurrentDB (EventStoreDB) cluster, for the event log only.
 */
export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'kurrentdb'; readonly url: string };

export const DEFAULT_STORE = 'sqlite:./data/interlend.db';

const KURRENT_SCHEMES = ['kurrentdb:', 'kurrentdb+discover:', 'esdb:', 'esdb+discover:', 'kurrent:', 'kurrent+discover:'];

/**
 * Reads a store URL; a relative SQLite path is taken from `cwd`. `what` names the setting in errors
 * (`--store`, `INTERLEND_STORE`, `--read-models`).
 */
export function parseStoreUrl(input: string, cwd: string, what = '--store'): StoreLocation {
  const text = input.trim();
  if (!text) throw invalid(what, input, 'it is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  // A Windows drive letter or no scheme at all: a file path.
  if (!scheme || scheme.length === 1) return { kind: 'sqlite', path: path.resolve(cwd, text) };
  if (scheme === 'sqlite' || scheme === 'file') {
    let rest = text.slice(scheme.length + 1);
    if (rest.startsWith('//')) rest = rest.slice(2); // sqlite:///abs/path or sqlite://./rel
    if (!rest) throw invalid(what, input, `it names no file (e.g. ${DEFAULT_STORE})`);
    return { kind: 'sqlite', path: path.resolve(cwd, decodeURIComponent(rest)) };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    try {
      new URL(text);
    } catch {
      throw invalid(what, input, 'it is not a URL (postgres://user:password@host:5432/database)');
    }
    return { kind: 'postgres', url: text };
  }
  if (KURRENT_SCHEMES.includes(`${scheme}:`)) return { kind: 'kurrentdb', url: text };
  throw invalid(what, input, `'${scheme}:' is not a store this build knows (sqlite:PATH, postgres://…, kurrentdb://…)`);
}

/** The location with any password replaced, for logs and messages. */
export function describeStore(location: StoreLocation): string {
  if (location.kind === 'sqlite') return `sqlite:${location.path}`;
  try {
    const url = new URL(location.url);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return `${location.kind}://…`;
  }
}

function invalid(what: string, input: string, why: string): ValidationError {
  const message = `${what}: '${input}' is not a store URL: ${why}`;
  return new ValidationError(message, { issues: [{ path: what.replace(/^--/, ''), message }] });
}

/** The location as a URL that `parseStoreUrl` reads back (with its password: for a child process's environment, never for a message). */
export function storeUrlOf(location: StoreLocation): string {
  return location.kind === 'sqlite' ? `sqlite:${location.path.replace(/%/g, '%25')}` : location.url;
}

/** The command-line flags that name these stores (`--db PATH` for one SQLite file), without a password: for hints. */
export function storeFlagsFor(settings: { readonly events: StoreLocation; readonly readModels?: StoreLocation }): string {
  const events = describeStore(settings.events);
  const readModels = settings.readModels && describeStore(settings.readModels) !== events ? ` --read-models ${describeStore(settings.readModels)}` : '';
  if (settings.events.kind === 'sqlite' && !readModels) return `--db ${settings.events.path}`;
  return `--store ${events}${readModels}`;
}
