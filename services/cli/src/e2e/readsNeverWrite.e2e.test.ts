/**
 * Reading never writes: not a due deadline, not a read model, not a byte of the file. A read-only
 * database file can be read, and read models behind the log are caught up for the answer only.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { ManualClock } from '@interlend/engine';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { openApp } from '../app';
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

const READS: string[][] = [['requests'], ['queues'], ['stats'], ['timers', 'list'], ['directory', 'list'], ['library', 'LIB1']];

const head = (ws: Workspace): number => ws.sql((db) => (db.prepare('SELECT COALESCE(MAX(position), 0) AS n FROM events').get() as { n: number }).n);

/** A request that was sent to its first lender in 2020: its answer deadline is long past. */
async function requestWithAPastDeadline(ws: Workspace): Promise<string> {
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  const app = await openApp({ events: { kind: 'sqlite', path: ws.dbPath } }, { clock: new ManualClock('2020-03-02T10:00:00.000Z'), mode: 'maintain' });
  try {
    const requestId = 'REQ-PAST';
    await app.runtime.execute({ commandId: 'c1', streamId: requestId, type: 'submit', data: sampleRequest(), actor: { id: 'LIB1', role: 'borrowing' } });
    await app.runtime.execute({ commandId: 'c2', streamId: requestId, type: 'notAvailableLocally', data: {}, actor: { id: 'LIB1', role: 'borrowing' } });
    return requestId;
  } finally {
    await app.close();
  }
}

describe('reads', () => {
  it('do not fire a due deadline: they show it as due, and the next command fires it', async () => {
    const ws = workspace();
    const requestId = await requestWithAPastDeadline(ws);
    const before = head(ws);
    for (const args of [...READS, ['history', requestId]]) {
      const result = await ws.run(...args, '--json');
      expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    expect(head(ws)).toBe(before);
    const pending = await ws.json<{ pending: { streamId: string; at: string }[] }>('timers', 'list');
    expect(pending.pending).toEqual([expect.objectContaining({ streamId: requestId })]);
    expect(pending.pending[0]!.at < new Date().toISOString()).toBe(true);

    // A command that changes something fires what is due first.
    await ws.json('submit', '--as', 'LIB2', '--file', ws.writeJson('request.json', sampleRequest()));
    const types = ws.sql((db) => (db.prepare('SELECT type FROM events WHERE stream_id = ? ORDER BY revision').all(requestId) as { type: string }[]).map((r) => r.type));
    expect(types).toContain('LenderTimedOut');
  });

  it('read a database file that may not be written, leaving every byte as it was', async () => {
    const ws = workspace();
    const requestId = await requestWithAPastDeadline(ws);
    const bytes = readFileSync(ws.dbPath);
    const mtime = statSync(ws.dbPath).mtimeMs;
    chmodSync(ws.dbPath, 0o444);
    try {
      for (const args of [...READS, ['history', requestId]]) {
        const result = await ws.run(...args, '--json');
        expect({ args, code: result.code, stderr: result.stderr }).toEqual({ args, code: 0, stderr: '' });
      }
      const listed = await ws.json<{ requests: { requestId: string }[] }>('requests');
      expect(listed.requests.map((r) => r.requestId)).toEqual([requestId]);
    } finally {
      chmodSync(ws.dbPath, 0o644);
    }
    expect(readFileSync(ws.dbPath).equals(bytes)).toBe(true);
    expect(statSync(ws.dbPath).mtimeMs).toBe(mtime);
  });

  it('answer from read models caught up in memory when the stored ones are behind the log, and leave the stored ones behind', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
    const { requestId: first } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
    // A command whose follow-up never ran (the process died after the append).
    const app = await openApp({ events: { kind: 'sqlite', path: ws.dbPath } }, { mode: 'maintain' });
    await app.runtime.handler.handle({ commandId: 'late', streamId: 'REQ-LATE', type: 'submit', data: sampleRequest(), actor: { id: 'LIB2', role: 'borrowing' } });
    await app.close();
    const checkpoint = (): number => ws.sql((db) => (db.prepare("SELECT position FROM checkpoints WHERE projection = 'ill.requests'").get() as { position: number } | undefined)?.position ?? -1);
    const stored = checkpoint();
    expect(stored).toBeLessThan(head(ws));

    const listed = await ws.json<{ requests: { requestId: string; borrower: string }[] }>('requests');
    expect(listed.requests.map((r) => r.requestId).sort()).toEqual([first, 'REQ-LATE'].sort());
    const queues = await ws.json<{ totals: { borrowing: Record<string, number> } }>('queues', '--library', 'LIB2');
    expect(Object.values(queues.totals.borrowing).reduce((a, b) => a + b, 0)).toBe(1); // REQ-LATE, waiting in LIB2's network check
    expect(checkpoint()).toBe(stored);
  });
});
