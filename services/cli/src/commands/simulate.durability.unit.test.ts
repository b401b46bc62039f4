/**
 * `interlend simulate` writes SQLite at synchronous=NORMAL, as docs/storage-sqlite.md says: a
 * simulation can be run again, so it does not pay an fsync per commit. The connection's own
 * pragma is read as the command opens its stores (NORMAL is 1, FULL 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { OpenedStores, StoreSettings } from '@interlend/deployment';
import { SqliteEventStore } from '@interlend/store-sqlite';
import type { CliIo } from '../io';
import { simulateCommand } from './simulate';

const opened: { synchronous: unknown }[] = [];

jest.mock('@interlend/deployment', () => {
  const actual = jest.requireActual<typeof import('@interlend/deployment')>('@interlend/deployment');
  return {
    ...actual,
    openStores: async (settings: StoreSettings, options?: Parameters<typeof actual.openStores>[1]): Promise<OpenedStores> => {
      const stores = await actual.openStores(settings, options);
      const events = stores.events as unknown;
      opened.push({ synchronous: events instanceof SqliteEventStore ? events.db.pragma('synchronous', { simple: true }) : 'not SQLite' });
      return stores;
    },
  };
});

const scratch = mkdtempSync(path.join(tmpdir(), 'interlend-simulate-sync-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it('opens its SQLite database at synchronous=NORMAL', async () => {
  // Given a new database file
  const db = path.join(scratch, 'sim.db');
  let stderr = '';
  const io: CliIo = { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, env: {}, cwd: scratch };

  // When a small simulation runs on it
  const code = await simulateCommand(['--requests', '3', '--seed', '2', '--db', db, '--json'], io);

  // Then the one connection it opened committed without the fsync
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(opened).toEqual([{ synchronous: 1 }]);
});
