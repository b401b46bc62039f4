import { rmSync } from 'node:fs';
import { ValidationError } from '@interlend/engine';
import type { StoreSettings } from './openStores';
import { describeStore, type StoreLocation } from './storeUrl';

/**
 * Empties the stores named by the settings, for a new simulation: a SQLite file is deleted (with
 * its -wal and -shm); in PostgreSQL interlend's tables are dropped, and nothing else (see
 * `dropSchema` of @interlend/store-postgres: a database whose tables are not interlend's is
 * refused untouched). A KurrentDB log is refused: use a new database.
 * Returns one line per store, saying what was done.
 */
export async function resetStores(settings: StoreSettings): Promise<string[]> {
  const locations: StoreLocation[] = [settings.events];
  if (settings.readModels && describeStore(settings.readModels) !== describeStore(settings.events)) locations.push(settings.readModels);
  const kurrent = locations.find((l) => l.kind === 'kurrentdb');
  if (kurrent) {
    const message = `--reset cannot empty a KurrentDB log (${describeStore(kurrent)}): use a new database`;
    throw new ValidationError(message, { issues: [{ path: 'reset', message }] });
  }
  const done: string[] = [];
  for (const location of locations) {
    if (location.kind === 'sqlite') {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${location.path}${suffix}`, { force: true });
      done.push(`deleted ${location.path}`);
    } else if (location.kind === 'postgres') {
      const { dropSchema } = await import('@interlend/store-postgres');
      const { dropped } = await dropSchema(location.url);
      done.push(dropped.length ? `dropped interlend's tables from ${describeStore(location)}` : `${describeStore(location)} held no interlend tables`);
    }
  }
  return done;
}
