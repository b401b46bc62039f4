/**
 * Faults on PostgreSQL, with whole processes: three `interlend worker --nats` processes share one
 * PostgreSQL database and one nats-server while a few hundred requests' commands go through the
 * work queue; then one worker is SIGKILLed (first test), or the PostgreSQL server is shut down
 * immediately and started again (second test). Either way every command is applied exactly once
 * (each command's events all there, never twice), the global log is 1..head without a gap, and
 * `rebuild --verify` and `audit verify` pass. Figures are printed.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Pool } from 'pg';
import type { CommandInput } from '@interlend/engine';
import { sampleDirectoryJson, sampleRequest, sampleShipment } from '@interlend/ill/testing';
import { NatsCommandBus, connectNats, resolveSettings, subjectsOf, type NatsSettings } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { startPostgres, type PostgresServerHandle } from '@interlend/store-postgres/testing';
import { startWorkerProcesses, stopWorkerProcesses, type WorkerProcess } from '../workerProcesses';
import { removeWorkspaces, requireBuiltBinary, sleep, workspace } from './__tests__/cliHarness';

jest.setTimeout(120_000);

const ACK_WAIT_MS = 2_000;
/** Requests per run: each is a submit and the five steps below (6 commands, 7 events). */
const REQUESTS = Number(process.env.PG_FAULTS_REQUESTS ?? 200);

let pg: PostgresServerHandle;
let nats: NatsServerHandle;
let workers: WorkerProcess[] = [];
const connections: NatsConnection[] = [];
const pools: Pool[] = [];

beforeAll(async () => {
  requireBuiltBinary();
  [pg, nats] = await Promise.all([startPostgres(), startNatsServer()]);
}, 60_000);

afterAll(async () => {
  await stopWorkerProcesses(workers, 5_000);
  for (const nc of connections) await nc.drain().catch(() => nc.close());
  for (const pool of pools) await pool.end().catch(() => undefined);
  await nats?.stop();
  await pg?.stop();
  removeWorkspaces();
});

const borrower = { id: 'LIB1', role: 'borrowing' };
const lender = { id: 'LIB2', role: 'lending' };

/** The steps of every request after its submit, each sent to all requests once the one before is applied everywhere. */
const PHASES: { type: string; actor: { id: string; role: string }; data: unknown }[] = [
  { type: 'notAvailableLocally', actor: borrower, data: { preferredLenders: ['LIB2'] } },
  { type: 'willSupply', actor: lender, data: {} },
  { type: 'ship', actor: lender, data: sampleShipment({ dueDate: new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10) }) },
  { type: 'receive', actor: borrower, data: {} },
  { type: 'checkOutToPatron', actor: borrower, data: {} },
];
const HISTORY = ['RequestSubmitted', 'NotAvailableLocally', 'RotaBuilt', 'WillSupplyAnswered', 'Shipped', 'Received', 'CheckedOutToPatron'];
/** The phase during which the fault is made (willSupply), once a sixth of it is applied. */
const FAULT_PHASE = 1;

type Fault = 'kill-worker' | 'restart-postgres';
/** When the fault was made (and the server was back), by performance.now() and by the wall clock. */
interface FaultTimes {
  readonly faultMs: number;
  readonly faultWall: number;
  readonly backMs?: number;
  readonly backWall?: number;
}

interface Run {
  readonly fault: Fault;
  readonly url: string;
  readonly prefix: string;
  readonly settings: NatsSettings;
  readonly jsm: JetStreamManager;
  readonly bus: NatsCommandBus;
  readonly db: Pool;
  readonly ids: string[];
}

/** Command ids in the log for this run's requests; undefined while the server does not answer. */
async function appliedCommandIds(run: Run): Promise<Set<string> | undefined> {
  try {
    const { rows } = await run.db.query<{ id: string }>("SELECT DISTINCT metadata::jsonb->>'commandId' AS id FROM events WHERE stream_id LIKE $1", [`${run.prefix}-%`]);
    return new Set(rows.map((r) => r.id));
  } catch {
    return undefined;
  }
}

async function until(run: Run, condition: (applied: Set<string>) => boolean, what: string, timeoutMs: number): Promise<void> {
  for (const giveUp = Date.now() + timeoutMs; ; ) {
    const applied = await appliedCommandIds(run);
    if (applied && condition(applied)) return;
    if (Date.now() > giveUp) {
      const said = workers.map((w) => ({
        worker: w.name,
        exit: w.process.exitCode ?? w.process.signalCode,
        problems: w.lines.filter((l) => l.event !== 'applied' && l.event !== 'started').slice(-5),
        last: w.lines.at(-1),
        stderr: w.stderr().slice(-1_000),
      }));
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${applied?.size ?? 'unknown'} applied); the workers said: ${JSON.stringify(said)}`);
    }
    await sleep(50);
  }
}

async function setUp(fault: Fault, prefix: string): Promise<Run> {
  const ws = workspace();
  const url = await pg.createDatabase();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()), '--store', url);
  const settings = resolveSettings({ prefix, commands: { ackWaitMs: ACK_WAIT_MS } });
  workers = await startWorkerProcesses({
    count: 3,
    namePrefix: `${prefix}-w`,
    args: ['--nats', nats.url, '--store', url, '--prefix', prefix, '--ack-wait', String(ACK_WAIT_MS), '--concurrency', '8'],
  });
  const nc = await connectNats(nats.url);
  connections.push(nc);
  const jsm = await jetstreamManager(nc);
  expect((await jsm.consumers.info(subjectsOf(settings).streamName('COMMANDS'), settings.commands.durable)).config.ack_wait).toBe(ACK_WAIT_MS * 1_000_000);
  const db = new Pool({ connectionString: url, max: 2 });
  db.on('error', () => undefined); // the restart breaks idle connections; the pool makes new ones
  pools.push(db);
  const ids = Array.from({ length: REQUESTS }, (_, i) => `${prefix}-${String(i + 1).padStart(4, '0')}`);
  return { fault, url, prefix, settings, jsm, bus: new NatsCommandBus(nc, { settings }), db, ids };
}

/** Sends every request's commands, making the fault during FAULT_PHASE; checks and prints the outcome. */
async function drive(run: Run, makeFault: () => Promise<FaultTimes>): Promise<void> {
  const { ids, bus, jsm, settings } = run;
  const stream = subjectsOf(settings).streamName('COMMANDS');
  const sent: string[] = [];
  const started = performance.now();

  // Submits through request/reply (the work queue does not order commands across workers).
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids.slice(i, i + 25).map((id) => {
        const commandId = `${id}:submit`;
        sent.push(commandId);
        return bus.request({ commandId, streamId: id, type: 'submit', data: sampleRequest(), actor: borrower } as CommandInput, { timeoutMs: 30_000 });
      }),
    );
  }
  const submittedMs = performance.now() - started;

  let faultAt = 0;
  let fault: FaultTimes = { faultMs: 0, faultWall: 0 };
  let appliedAtFault = 0;
  let pendingAtFault = -1;
  let recoveredAt = 0;
  for (const [p, phase] of PHASES.entries()) {
    const commands = ids.map((id) => ({ commandId: `${id}:${phase.type}`, streamId: id, type: phase.type, data: phase.data, actor: phase.actor }) as CommandInput);
    sent.push(...commands.map((c) => c.commandId));
    await Promise.all(commands.map((c) => bus.publish(c)));
    const phaseIds = commands.map((c) => c.commandId);
    if (p === FAULT_PHASE) {
      await until(run, (applied) => applied.size >= REQUESTS * (FAULT_PHASE + 1) + REQUESTS / 6, `a sixth of the ${phase.type} commands`, 30_000);
      appliedAtFault = (await appliedCommandIds(run))!.size;
      pendingAtFault = (await jsm.consumers.info(stream, settings.commands.durable)).num_ack_pending;
      faultAt = performance.now();
      fault = await makeFault();
      await until(run, (applied) => phaseIds.every((id) => applied.has(id)), `every ${phase.type} applied after the fault`, ACK_WAIT_MS + 40_000);
      recoveredAt = performance.now();
    } else {
      await until(run, (applied) => phaseIds.every((id) => applied.has(id)), `every ${phase.type} applied`, 40_000);
    }
  }
  const appliedMs = performance.now() - started;

  // Nothing lost: every command sent is in the log; nothing else (for these requests) is.
  expect(await appliedCommandIds(run)).toEqual(new Set(sent));
  // Nothing duplicated, nothing half-written: every command's events exactly once, every request the whole history.
  const { rows: events } = await run.db.query<{ s: string; r: number; position: string; e: string; t: string; c: string; state: string }>(
    `SELECT stream_id AS s, revision AS r, position, event_id AS e, type AS t, metadata::jsonb->>'commandId' AS c, metadata::jsonb->>'stateAfter' AS state
       FROM events WHERE stream_id LIKE $1 ORDER BY stream_id, revision`,
    [`${run.prefix}-%`],
  );
  expect(new Set(events.map((e) => e.e)).size).toBe(events.length);
  expect(new Set(events.map((e) => `${e.c}/${e.t}`)).size).toBe(events.length);
  const perCommand = new Map<string, number>();
  for (const e of events) perCommand.set(e.c, (perCommand.get(e.c) ?? 0) + 1);
  const expectedPerCommand = (commandId: string) => (commandId.endsWith(':notAvailableLocally') ? 2 : 1);
  expect([...perCommand].filter(([c, n]) => n !== expectedPerCommand(c))).toEqual([]);
  const histories = new Map<string, string[]>();
  for (const e of events) histories.set(e.s, [...(histories.get(e.s) ?? []), e.t]);
  expect(histories.size).toBe(REQUESTS);
  expect([...histories].filter(([, h]) => h.join() !== HISTORY.join())).toEqual([]);
  const finalStates = new Map<string, string>();
  for (const e of events) finalStates.set(e.s, e.state);
  expect(new Set(finalStates.values())).toEqual(new Set(['onLoan.inUse']));
  // The global log: positions 1..head, no gap, no repeat; the counter says the same head.
  const { rows: log } = await run.db.query<{ n: string; lo: string; hi: string; head: string }>(
    'SELECT count(*) AS n, min(position) AS lo, max(position) AS hi, (SELECT position FROM log_head) AS head FROM events',
  );
  const { n, lo, hi, head } = log[0]!;
  expect({ n: Number(n), lo: Number(lo), hi: Number(hi), head: Number(head) }).toEqual({ n: Number(head), lo: 1, hi: Number(head), head: Number(head) });

  // No worker died of it (the victim of the first test aside); the others stop cleanly.
  const survivors = workers.filter((w) => w.process.signalCode !== 'SIGKILL');
  expect(survivors.map((w) => w.process.exitCode)).toEqual(survivors.map(() => null));
  expect(await stopWorkerProcesses(survivors)).toEqual(survivors.map(() => 0));
  const stats = survivors.map((w) => (w.lines.find((l) => l.event === 'stopped')?.stats ?? {}) as { applied: number; duplicates: number; retried: number; deadLettered: number });
  expect(stats.map((s) => s.deadLettered)).toEqual(survivors.map(() => 0));
  const consumer = await jsm.consumers.info(stream, settings.commands.durable);
  expect(consumer.delivered.stream_seq).toBe(REQUESTS * PHASES.length);
  const redeliveries = consumer.delivered.consumer_seq - consumer.delivered.stream_seq;
  const retryLines = workers.flatMap((w) => w.lines.filter((l) => l.event === 'retry'));
  const errorLines = workers.flatMap((w) => w.lines.filter((l) => l.event === 'error' || l.event === 'warning'));
  const duplicates = stats.reduce((sum, s) => sum + s.duplicates, 0);
  // Recovery: the first command applied after the fault (after the server was back, for a restart), by the workers' clocks.
  const since = run.fault === 'kill-worker' ? fault.faultWall : fault.backWall!;
  const firstAfter = Math.min(...workers.flatMap((w) => w.lines.filter((l) => l.event === 'applied').map((l) => Date.parse(String(l.time)))).filter((t) => t >= since));
  const mostDeliveries = Math.max(0, ...retryLines.map((l) => Number(l.deliveries)));

  // The store's own checks, from the CLI.
  const ws = workspace();
  const verify = await ws.run('rebuild', '--verify', '--store', run.url, '--json');
  expect(verify.code).toBe(0);
  expect(JSON.parse(verify.stdout)).toMatchObject({ differences: 0 });
  const audit = await ws.json<{ ok: boolean; events: number }>('audit', 'verify', '--store', run.url);
  expect(audit.ok).toBe(true);
  expect(audit.events).toBe(Number(head));

  const what = run.fault === 'kill-worker' ? 'one worker SIGKILLed' : `PostgreSQL shut down immediately (SIGQUIT) and started again ${Math.round(fault.backMs! - fault.faultMs)} ms later`;
  console.log(
    `postgres faults (${run.fault}): ${sent.length} commands (${REQUESTS} requests x ${PHASES.length + 1}), ${events.length} events (log head ${head}, gap-free), 3 workers x concurrency 8, ack wait ${ACK_WAIT_MS} ms; ` +
      `submits took ${Math.round(submittedMs)} ms; ${what} at ${Math.round(faultAt - started)} ms, after ${appliedAtFault} commands applied (${pendingAtFault} unacknowledged over all workers); ` +
      `${run.fault === 'kill-worker' ? '' : `first command applied ${firstAfter - since} ms after the server was back; `}the ${PHASES[FAULT_PHASE]!.type} phase was all applied ${Math.round(recoveredAt - faultAt)} ms after the fault${run.fault === 'kill-worker' ? " (the dead worker's commands wait out the ack wait)" : ''}; ` +
      `${redeliveries} redeliveries (${retryLines.length} nak'd retries logged${retryLines.length ? `, up to delivery ${mostDeliveries}` : ''}, ${duplicates} found already applied); ${errorLines.length} error/warning lines` +
      `${errorLines.length ? ` (first: ${JSON.stringify(errorLines[0])})` : ''}; survivors applied ${stats.map((s) => s.applied).join('/')}; all applied in ${Math.round(appliedMs)} ms; ` +
      `rebuild --verify and audit verify (${audit.events} events) pass`,
  );
  if (run.fault === 'kill-worker') {
    // The dead worker's unacknowledged commands came back to the others (after the ack wait).
    expect(redeliveries).toBeGreaterThan(0);
  } else {
    // Commands in flight when the server went away failed as retryable store errors and were nak'd, then applied once.
    expect(retryLines.length).toBeGreaterThan(0);
    expect(retryLines.every((l) => /Connection terminated|ECONNRESET|ECONNREFUSED|terminating connection|starting up|shutting down|no connection|unavailable/i.test(String(l.error)))).toBe(true);
  }
  expect(Number.isFinite(firstAfter)).toBe(true);
}

describe('interlend worker --nats on PostgreSQL, under faults', () => {
  it('a worker SIGKILLed mid-run: every command applied exactly once, the log gap-free, rebuild and audit pass', async () => {
    const run = await setUp('kill-worker', 'PGKILL');
    const victim = workers[1]!;
    await drive(run, async () => {
      const faultMs = performance.now();
      const faultWall = Date.now();
      victim.process.kill('SIGKILL');
      expect(await victim.exited).toBe('SIGKILL');
      return { faultMs, faultWall };
    });
  });

  it('the PostgreSQL server restarted mid-run: no worker exits, every command applied exactly once, nothing half-written, the log gap-free', async () => {
    const run = await setUp('restart-postgres', 'PGRESTART');
    await drive(run, async () => {
      const faultMs = performance.now();
      const faultWall = Date.now();
      await pg.kill(); // immediate shutdown: every session cut mid-statement, crash recovery on the next start
      await sleep(1_000);
      await pg.restart();
      return { faultMs, faultWall, backMs: performance.now(), backWall: Date.now() };
    });
  });
});
