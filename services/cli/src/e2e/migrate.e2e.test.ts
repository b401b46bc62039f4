/**
 * `interlend migrate` end to end: a simulated SQLite log copied to another SQLite file and to
 * PostgreSQL; the copy's read models are rebuilt there and verify, and they answer as the source's
 * do; Ctrl-C stops after the batch in hand and the same command resumes; the same store twice and a
 * target that is not a copy are refused.
 */
import * as path from 'node:path';
import { openPostgres } from '@interlend/store-postgres';
import { startPostgres, type PostgresServerHandle } from '@interlend/store-postgres/testing';
import { openSqlite } from '@interlend/store-sqlite';
import { run } from '../cli';
import { collect, exited, removeWorkspaces, requireBuiltBinary, sleep, workspace, type CliResult, type Workspace } from './__tests__/cliHarness';

jest.setTimeout(180_000);

interface MigrateJson {
  status: 'complete' | 'stopped';
  copied: number;
  events: number;
  resumedAfter: number;
  lastEventId: string | null;
  appends: number;
  elapsedMs: number;
  eventsPerSecond: number;
  rebuild: { events: number; elapsedMs: number; eventsPerSecond: number } | null;
  checkpointsCarried: { name: string; sourcePosition: number; targetPosition: number }[];
}

let server: PostgresServerHandle;
let ws: Workspace;
let sourceEvents: number;
let sourceLastId: string;

beforeAll(async () => {
  server = await startPostgres();
  ws = workspace();
  const simulated = await ws.json<{ events: number; notTerminal: string[] }>('simulate', '--db', 'a.db', '--requests', '50', '--seed', '3');
  expect(simulated.notTerminal).toEqual([]);
  const sqlite = openSqlite(path.join(ws.dir, 'a.db'), { readonly: true });
  try {
    sourceEvents = await sqlite.events.headPosition();
    sourceLastId = (await sqlite.events.readAll({ after: sourceEvents - 1, maxCount: 1 }))[0]!.id;
  } finally {
    await sqlite.close();
  }
});

afterAll(async () => {
  await server?.stop();
  removeWorkspaces();
});

/** `interlend ...args` in this process with stderr a terminal; `onStderr` sees each write. */
async function runOnTerminal(args: string[], onStderr: (chunk: string) => void): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => ((stderr += chunk), onStderr(chunk)), isTTY: true, columns: 120 },
    env: {},
    cwd: ws.dir,
  });
  return { code, stdout, stderr };
}

describe('interlend migrate', () => {
  it('copies a simulated log to a new SQLite file; rebuild --verify passes there and the requests read the same', async () => {
    const result = await ws.json<MigrateJson>('migrate', '--from', 'sqlite:a.db', '--to', 'sqlite:b.db');
    expect(result).toMatchObject({ status: 'complete', copied: sourceEvents, events: sourceEvents, lastEventId: sourceLastId, resumedAfter: 0 });
    expect(result.rebuild).toMatchObject({ events: sourceEvents });
    expect(result.checkpointsCarried).toEqual([{ name: 'engine.effects', sourcePosition: sourceEvents, targetPosition: sourceEvents }]);
    console.log(`migrate sqlite -> sqlite: ${result.copied} events in ${result.appends} appends, ${result.elapsedMs} ms (${result.eventsPerSecond} events/s); rebuild ${result.rebuild!.elapsedMs} ms (${result.rebuild!.eventsPerSecond} events/s)`);

    const verify = await ws.run('rebuild', '--verify', '--db', 'b.db');
    expect(verify).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Rebuilt from zero and compared .*: identical to the incremental read models/) });
    expect(await ws.json('requests', '--db', 'b.db')).toEqual(await ws.json('requests', '--db', 'a.db'));
    const audit = await ws.json<{ ok: boolean; logDigest: string }>('audit', 'verify', '--db', 'b.db');
    expect(audit.ok).toBe(true);
    expect(audit.logDigest).toBe((await ws.json<{ logDigest: string }>('audit', 'verify', '--db', 'a.db')).logDigest);
  });

  it('copies it to PostgreSQL: the same number of events, the same last event, and it prints how fast', async () => {
    const url = await server.createDatabase();
    const text = await ws.run('migrate', '--from', 'sqlite:a.db', '--to', url);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^Copied ${sourceEvents} events in \\d+ appends, [\\d.]+ s \\(\\d+ events/s\\): the target holds ${sourceEvents} events, last event ${sourceLastId}\\.\n`));
    expect(text.stdout).toMatch(/Rebuilt the read models on the target from \d+ events in \d+ ms \(\d+ events\/s\); they were not copied\./);
    console.log(text.stdout.split('\n').filter((l) => /events\/s/.test(l)).join('\n'));
    const pg = await openPostgres(url);
    try {
      expect(await pg.events.headPosition()).toBe(sourceEvents);
      const [last] = await pg.events.readAll({ after: sourceEvents - 1, maxCount: 1 });
      expect(last!.id).toBe(sourceLastId);
      expect(await pg.readModels.checkpoint('engine.effects')).toBe(sourceEvents);
    } finally {
      await pg.close();
    }
  });

  it('stops cleanly on Ctrl-C after the batch in hand, says how far it got, and the same command resumes', async () => {
    const args = ['migrate', '--from', 'sqlite:a.db', '--to', 'sqlite:c.db', '--batch-size', '100'];
    let sent = false;
    const stopped = await runOnTerminal(args, (chunk) => {
      if (!sent && chunk.includes('copying')) {
        sent = true;
        process.emit('SIGINT');
      }
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('stopping after the batch in hand');
    expect(stopped.stdout).toBe(`Stopped after copying 100 events in this run (100 in the target, source position 100 of ${sourceEvents}).\nRun the same command again to resume: interlend migrate --from sqlite:a.db --to sqlite:c.db --batch-size 100\n`);
    expect(process.listenerCount('SIGINT')).toBe(0);

    const resumed = await ws.json<MigrateJson>(...args);
    expect(resumed).toMatchObject({ status: 'complete', resumedAfter: 100, copied: sourceEvents - 100, events: sourceEvents, lastEventId: sourceLastId });
    expect((await ws.run('rebuild', '--verify', '--db', 'c.db')).code).toBe(0);
    expect(await ws.json('requests', '--db', 'c.db')).toEqual(await ws.json('requests', '--db', 'a.db'));
  });

  it('stops the real process on SIGINT once the copy into PostgreSQL is under way; the same command resumes and completes it', async () => {
    requireBuiltBinary();
    const url = await server.createDatabase();
    const pg = await openPostgres(url);
    try {
      const args = ['migrate', '--from', 'sqlite:a.db', '--to', url, '--batch-size', '1', '--no-rebuild'];
      const child = ws.spawnBin(args);
      const output = collect(child);
      let head = 0;
      for (let waited = 0; head === 0 && waited < 30_000; waited += 5) {
        await sleep(5);
        head = await pg.events.headPosition().catch(() => 0);
      }
      child.kill('SIGINT');
      const { code } = await exited(child);
      expect({ code, stderr: output.stderr() }).toEqual({ code: 130, stderr: expect.stringContaining('stopping after the batch in hand') });
      const stoppedAt = await pg.events.headPosition();
      expect(stoppedAt).toBeGreaterThan(0);
      expect(stoppedAt).toBeLessThan(sourceEvents);
      expect(output.stdout()).toContain(`(${stoppedAt} in the target, source position ${stoppedAt} of ${sourceEvents}).\nRun the same command again to resume: interlend migrate ${args.slice(1).join(' ')}`);

      const resumed = ws.bin([...args, '--json']);
      expect(resumed.code).toBe(0);
      expect(JSON.parse(resumed.stdout)).toMatchObject({ status: 'complete', resumedAfter: stoppedAt, copied: sourceEvents - stoppedAt, events: sourceEvents, lastEventId: sourceLastId, rebuild: null });
      expect(await pg.events.headPosition()).toBe(sourceEvents);
    } finally {
      await pg.close();
    }
  });

  it('refuses the same store as source and target, and a target that is not an earlier copy, writing nothing', async () => {
    const same = await ws.run('migrate', '--from', 'sqlite:a.db', '--to', path.join(ws.dir, 'a.db'));
    expect(same).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining('--from and --to name the same store') });

    // Any other log: the earlier copy b.db as the source of a copy into a.db's sibling with other events.
    expect((await ws.run('simulate', '--db', 'd.db', '--requests', '5', '--seed', '8', '--json')).code).toBe(0);
    const before = await ws.json<{ headPosition: number }>('audit', 'verify', '--db', 'd.db');
    const refused = await ws.run('migrate', '--from', 'sqlite:a.db', '--to', 'sqlite:d.db');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^interlend migrate: the target is not empty and is not an earlier copy of the source: its last event, .* Nothing was written\./);
    expect((await ws.json<{ headPosition: number }>('audit', 'verify', '--db', 'd.db')).headPosition).toBe(before.headPosition);

    const missing = await ws.run('migrate', '--from', 'sqlite:nowhere.db', '--to', 'sqlite:e.db');
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--from: no database at') });
  });
});
