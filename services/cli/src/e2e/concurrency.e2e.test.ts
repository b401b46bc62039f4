/**
 * Many `interlend` processes on one database at once, as staff scripts and a worker run them: a
 * command is reported as done exactly when its events are in the log, and nothing that carries the
 * log forward after a command (effects, projections, deadlines) fails it or stops the worker.
 */
import { spawn } from 'node:child_process';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { BIN, CliProcess, collect, exited, removeWorkspaces, requireBuiltBinary, sleep, workspace, type CliResult, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);
beforeAll(requireBuiltBinary);

/** The real binary as a child process, not blocking this one: resolves with how it ended. */
function binAsync(ws: Workspace, args: readonly string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ws.dir, env: { ...process.env, INTERLEND_DB: ws.dbPath }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = collect(child);
  return exited(child).then(({ code }) => ({ code: code ?? -1, stdout: out.stdout(), stderr: out.stderr() }));
}

const submittedIds = (ws: Workspace): string[] =>
  ws.sql((db) => (db.prepare("SELECT stream_id AS id FROM events WHERE type = 'RequestSubmitted' ORDER BY position").all() as { id: string }[]).map((r) => r.id));

async function withDirectory(): Promise<{ ws: Workspace; request: string }> {
  const ws = workspace();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  return { ws, request: ws.writeJson('request.json', sampleRequest()) };
}

/** Sixteen submits at once; returns what went wrong (nothing, when all is well). */
async function sixteenSubmits(ws: Workspace, request: string, send: (args: string[]) => Promise<CliResult>): Promise<string[]> {
  const results = await Promise.all(Array.from({ length: 16 }, () => send(['submit', '--as', 'LIB1', '--file', request, '--json'])));
  const problems = results.filter((r) => r.code !== 0).map((r) => `exit ${r.code}: ${r.stderr.trim()}`);
  const reported = results.filter((r) => r.code === 0).map((r) => (JSON.parse(r.stdout) as { requestId: string }).requestId);
  const stored = submittedIds(ws);
  if (stored.length !== 16 || new Set(stored).size !== 16) problems.push(`${stored.length} requests stored (${new Set(stored).size} distinct), not 16`);
  if ([...stored].sort().join() !== [...reported].sort().join()) problems.push(`reported ${reported.length} ids that are not the ${stored.length} stored`);
  return problems;
}

describe('concurrent processes on one database', () => {
  const processes: CliProcess[] = [];
  beforeAll(() => {
    for (let i = 0; i < 16; i++) processes.push(new CliProcess());
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.close()));
  });

  it('sixteen concurrent submits report sixteen successes and write sixteen requests, in each of 20 rounds', async () => {
    const problems: string[] = [];
    for (let round = 1; round <= 20; round++) {
      const { ws, request } = await withDirectory();
      let next = 0;
      for (const p of await sixteenSubmits(ws, request, (args) => processes[next++ % processes.length]!.run(ws, args))) problems.push(`round ${round}: ${p}`);
    }
    expect(problems).toEqual([]);
  }, 120_000);

  it('sixteen concurrent submits through the real binary: sixteen successes, sixteen requests', async () => {
    const { ws, request } = await withDirectory();
    expect(await sixteenSubmits(ws, request, (args) => binAsync(ws, args))).toEqual([]);
  }, 120_000);

  it('a worker beside 80 concurrent CLI commands stays up, and every command succeeds', async () => {
    const { ws, request } = await withDirectory();
    const first = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', request);
    const worker = spawn(process.execPath, [BIN, 'worker', '--interval', '20', '--json', '--db', ws.dbPath], { cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const workerOut = collect(worker);
    for (const giveUp = Date.now() + 20_000; !workerOut.stdout().includes('"started"') && Date.now() < giveUp; ) await sleep(20);

    const kinds: string[][] = [
      ['submit', '--as', 'LIB1', '--file', request, '--json'],
      ['requests', '--json'],
      ['queues', '--json'],
      ['history', first.requestId, '--json'],
      ['stats', '--json'],
    ];
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => processes[i % processes.length]!.run(ws, kinds[i % kinds.length]!)));
    const failed = results.filter((r) => r.code !== 0).map((r) => r.stderr.trim());
    expect(failed).toEqual([]);
    expect(worker.exitCode).toBeNull();
    worker.kill('SIGTERM');
    expect(await exited(worker)).toEqual({ code: 0, signal: null });
    expect(submittedIds(ws)).toHaveLength(1 + 16);
    const lines = workerOut.stdout().trim().split('\n').map((l) => JSON.parse(l) as { event: string });
    expect(lines.at(-1)).toMatchObject({ event: 'stopped' });
    expect(lines.filter((l) => l.event === 'error')).toEqual([]);
  }, 120_000);

  it('N processes sending conflicting and duplicate commands: the commands reported as applied are exactly the commands in the log', async () => {
    const { ws, request } = await withDirectory();
    // Four requests, each waiting for its first lender's answer.
    const targets: { id: string; lender: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const { requestId } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', request);
      await ws.json('act', requestId, 'notAvailableLocally', '--as', 'LIB1');
      const history = await ws.json<{ context: { lender: string } }>('history', requestId);
      targets.push({ id: requestId, lender: history.context.lender });
    }
    // Every command races others on its request (only some can apply, in any order), and a third
    // of them is sent twice, by two processes, with one command id.
    interface Planned { commandId: string; args: string[] }
    const planned: Planned[] = [];
    for (const [n, t] of targets.entries()) {
      const lender = ['--as', t.lender];
      const variants: string[][] = [
        ['act', t.id, 'willSupply', ...lender],
        ['act', t.id, 'expectToSupply', ...lender],
        ['act', t.id, 'cannotSupply', ...lender, '--data', '{"reason":"notOnShelf"}'],
        ['act', t.id, 'cancel', '--as', 'LIB1', '--data', '{"reason":"patron no longer needs it"}'],
        ['act', t.id, 'retryPossible', ...lender, '--data', '{"reason":"inUse"}'],
        ['submit', '--as', 'LIB1', '--file', request],
      ];
      variants.forEach((args, v) => planned.push({ commandId: `storm-${n}-${v}`, args: [...args, '--command-id', `storm-${n}-${v}`, '--json'] }));
    }
    const sends = [...planned, ...planned.filter((_, i) => i % 3 === 0)];
    const lanes = 6;
    // Each lane is one process sending its commands one after the other; the lanes run at once.
    // The second send of a command goes to another lane than the first.
    const byLane: Planned[][] = Array.from({ length: lanes }, () => []);
    sends.forEach((p, i) => byLane[(i + Math.floor(i / planned.length)) % lanes]!.push(p));
    const reports = await Promise.all(
      byLane.map(async (lane, l) => {
        const out: { commandId: string; code: number; duplicate: boolean; stderr: string }[] = [];
        for (const p of lane) {
          const r = await processes[l]!.run(ws, p.args);
          let duplicate = false;
          try {
            duplicate = (JSON.parse(r.stdout) as { duplicate?: boolean }).duplicate === true;
          } catch {
            // a refusal prints nothing on stdout
          }
          out.push({ commandId: p.commandId, code: r.code, duplicate, stderr: r.stderr });
        }
        return out;
      }),
    );
    const all = reports.flat();
    expect(all).toHaveLength(sends.length);
    expect(all.filter((r) => r.code !== 0 && r.code !== 1)).toEqual([]); // refusals only, no usage or internal errors
    const applied = all.filter((r) => r.code === 0 && !r.duplicate).map((r) => r.commandId);
    const inLog = ws.sql((db) =>
      (db.prepare("SELECT DISTINCT json_extract(metadata, '$.commandId') AS id FROM events WHERE json_extract(metadata, '$.commandId') LIKE 'storm-%'").all() as { id: string }[]).map((r) => r.id),
    );
    expect(new Set(applied).size).toBe(applied.length); // one process applied each, the other saw a duplicate
    expect([...applied].sort()).toEqual([...inLog].sort());
    // A command id reported as failed by every sender is not in the log.
    const failedEverywhere = planned.map((p) => p.commandId).filter((id) => all.filter((r) => r.commandId === id).every((r) => r.code !== 0));
    expect(failedEverywhere.filter((id) => inLog.includes(id))).toEqual([]);
    // The races really raced: some commands won and some were refused.
    expect(applied.length).toBeGreaterThan(targets.length);
    expect(failedEverywhere.length).toBeGreaterThan(0);
    process.stdout.write(`${sends.length} sends from ${lanes} processes: ${applied.length} applied, ${all.filter((r) => r.duplicate).length} duplicates, ${failedEverywhere.length} refused\n`);
  }, 120_000);
});
