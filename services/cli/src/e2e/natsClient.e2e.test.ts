/**
 * The CLI as a NATS client: `submit`, `act` and `timers run` with `--nats` against a real worker
 * process on a real nats-server; the worker keeps its own clock whatever a client sends.
 */
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { SimulatedClockSender, connectNats } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { startWorkerProcesses, stopWorkerProcesses, type WorkerProcess } from '../workerProcesses';
import { removeWorkspaces, requireBuiltBinary, workspace, type Workspace } from './__tests__/cliHarness';

jest.setTimeout(60_000);

let server: NatsServerHandle;
let ws: Workspace;
let workers: WorkerProcess[];
const PREFIX = 'e2e-client';

beforeAll(async () => {
  requireBuiltBinary();
  server = await startNatsServer();
  ws = workspace();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  workers = await startWorkerProcesses({ count: 1, namePrefix: 'client-w', args: ['--nats', server.url, '--db', ws.dbPath, '--prefix', PREFIX] });
});

afterAll(async () => {
  await stopWorkerProcesses(workers ?? []);
  await server?.stop();
  removeWorkspaces();
});

const nats = () => ['--nats', server.url, '--prefix', PREFIX];
const eventCount = () => ws.sql((db) => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n);

describe('the CLI through NATS', () => {
  it('submits and acts through a worker, answers a resend with the first result, and reports a refusal naming the state with nothing written', async () => {
    const request = ws.writeJson('request.json', sampleRequest());
    const submitted = await ws.json<{ requestId: string; state: string; allowed: string[]; duplicate: boolean }>('submit', ...nats(), '--as', 'LIB1', '--file', request, '--command-id', 'first-submit');
    expect(submitted).toMatchObject({ state: 'networkCheck', duplicate: false });
    expect(submitted.allowed).toContain('notAvailableLocally');
    expect(submitted.allowed).not.toContain('deadlineReached');
    const again = await ws.json<{ requestId: string; duplicate: boolean }>('submit', ...nats(), '--as', 'LIB1', '--file', request, '--command-id', 'first-submit');
    expect(again).toMatchObject({ requestId: submitted.requestId, duplicate: true });

    const asked = await ws.json<{ state: string; events: string[] }>('act', submitted.requestId, 'notAvailableLocally', ...nats(), '--as', 'LIB1', '--data', '{"preferredLenders":["LIB2"]}');
    expect(asked).toMatchObject({ state: 'withLender.requested', events: ['NotAvailableLocally', 'RotaBuilt'] });

    const before = eventCount();
    const refused = await ws.run('act', submitted.requestId, 'receive', ...nats(), '--as', 'LIB1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/'receive' is not allowed in state 'withLender.requested'/);
    expect(eventCount()).toBe(before);

    const answered = await ws.json<{ state: string }>('act', submitted.requestId, 'willSupply', ...nats(), '--as', 'LIB2');
    expect(answered.state).toBe('withLender.willSupply');
    const history = await ws.json<{ events: { type: string; actor: { id: string } }[] }>('history', submitted.requestId);
    expect(history.events.map((e) => `${e.type}:${e.actor.id}`)).toEqual(['RequestSubmitted:LIB1', 'NotAvailableLocally:LIB1', 'RotaBuilt:LIB1', 'WillSupplyAnswered:LIB2']);
  });

  it('refuses what it cannot do without the database, before sending anything', async () => {
    const lost = await ws.run('act', 'REQ-X', 'reportLost', ...nats(), '--as', 'LIB1');
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/--role borrowing or --role lending/);
    const allowed = await ws.run('act', 'REQ-X', '--allowed', ...nats());
    expect(allowed.code).toBe(2);
    expect(allowed.stderr).toMatch(/--allowed reads the database/);
    const both = await ws.run('submit', ...nats(), '--db', ws.dbPath, '--as', 'LIB1', '--file', 'request.json');
    expect(both.code).toBe(2);
  });

  it('fires deadlines at the worker\'s clock: a client can neither pass a time nor move a worker\'s clock', async () => {
    const run = await ws.json<{ fired: number; worker: string; now: string }>('timers', 'run', ...nats());
    expect(run).toMatchObject({ fired: 0, worker: 'client-w1' });
    expect(Math.abs(Date.parse(run.now) - Date.now())).toBeLessThan(60_000);
    const backdated = await ws.run('timers', 'run', ...nats(), '--now', '2030-01-01T00:00:00Z');
    expect(backdated.code).toBe(2);
    expect(backdated.stderr).toMatch(/--now cannot go with --nats/);

    // A signed clock tick reaches no ordinary worker: none follows a simulated clock.
    const nc = await connectNats(server.url);
    try {
      const ticker = new SimulatedClockSender(nc, { key: 'k'.repeat(64), workers: 1, settings: { prefix: PREFIX }, timeoutMs: 1_000 });
      await expect(ticker.set(new Date('2030-01-01T00:00:00Z'))).rejects.toThrow(/0 of 1 workers|no responders/i);
    } finally {
      await nc.close();
    }
    const later = await ws.json<{ now: string }>('timers', 'run', ...nats());
    expect(Date.parse(later.now)).toBeLessThan(Date.parse('2029-01-01T00:00:00Z'));
  });

  it('says plainly when no worker serves the subject prefix', async () => {
    const none = await ws.run('submit', '--nats', server.url, '--prefix', 'nobody-home', '--as', 'LIB1', '--file', 'request.json');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no worker is serving commands/);
  });
});
