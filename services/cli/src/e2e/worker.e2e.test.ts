/**
 * `interlend worker`: the long-running process of the embedded deployment. In-process with a
 * clock of the test's choosing (a deadline is days away on the real clock), and as the real
 * binary for starting and stopping on SIGTERM.
 */
import { ManualClock } from '@interlend/engine';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { workerCommand } from '../commands/worker';
import { collect, exited, removeWorkspaces, requireBuiltBinary, sleep, workspace, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

interface HistoryJson {
  events: { type: string; actor: { id: string; role: string }; time: string }[];
  state: string;
  context: { lender: string; lenderRespondBy: string };
}

/** A request sent to its first lender, whose answer is due in a few business days. */
async function requestWithALender(ws: Workspace): Promise<{ id: string; history: HistoryJson }> {
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  const { requestId } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
  await ws.json('act', requestId, 'notAvailableLocally', '--as', 'LIB1');
  return { id: requestId, history: await ws.json<HistoryJson>('history', requestId) };
}

describe('interlend worker', () => {
  it('fires a deadline once it falls due, and keeps running until stopped', async () => {
    const ws = workspace();
    const { id, history } = await requestWithALender(ws);
    const due = new Date(history.context.lenderRespondBy);
    const clock = new ManualClock(due.getTime() - 60_000);
    const stop = new AbortController();
    let out = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) }, env: { INTERLEND_DB: ws.dbPath }, cwd: ws.dir };
    const running = workerCommand(['--interval', '20', '--json'], io, { signal: stop.signal, clock });

    await sleep(200);
    expect(out).toContain('"event":"started"');
    expect(out).not.toContain('"event":"deadlines"'); // a minute early: nothing fires

    clock.set(due.getTime() + 1);
    for (const giveUp = Date.now() + 5_000; !out.includes('"event":"deadlines"') && Date.now() < giveUp; ) await sleep(20);
    stop.abort();
    expect(await running).toBe(0);

    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.filter((l) => l.event === 'deadlines')).toEqual([expect.objectContaining({ fired: 1, refused: 0 })]);
    expect(lines.at(-1)).toMatchObject({ event: 'stopped' });
    const after = await ws.json<HistoryJson>('history', id);
    const timedOut = after.events.find((e) => e.type === 'LenderTimedOut');
    expect(timedOut).toMatchObject({ actor: { id: 'system', role: 'system' } });
    expect(after.context.lender).not.toBe(history.context.lender); // the rota moved on
  });

  it('starts as the real binary and stops cleanly on SIGTERM', async () => {
    requireBuiltBinary();
    const ws = workspace();
    await requestWithALender(ws);
    const child = ws.spawnBin(['worker', '--interval', '50', '--db', ws.dbPath]);
    const output = collect(child);
    for (const giveUp = Date.now() + 10_000; !output.stdout().includes('worker started') && Date.now() < giveUp; ) await sleep(20);
    expect(output.stdout()).toContain(`worker started on ${ws.dbPath}`);
    await sleep(300);
    expect(child.exitCode).toBeNull(); // still running: nothing but a signal ends it
    child.kill('SIGTERM');
    expect(await exited(child)).toEqual({ code: 0, signal: null });
    expect(output.stdout()).toContain('worker stopped');
    expect(output.stderr()).toBe('');
  });

  it('refuses a database that does not exist', async () => {
    const ws = workspace();
    const result = await ws.run('worker', '--db', 'missing.db');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no database at .*missing\.db/);
  });
});
