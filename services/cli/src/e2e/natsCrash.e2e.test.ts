/**
 * A NATS worker killed with SIGKILL in the middle of a run (three `interlend worker --nats`
 * processes on one database and one nats-server): the commands it had in hand come back to the
 * others after the ack wait and are applied once; nothing is lost, nothing written twice, and
 * the read models equal a rebuild from the log.
 */
import Database from 'better-sqlite3';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { CommandInput } from '@interlend/engine';
import { sampleDirectoryJson, sampleRequest, sampleShipment } from '@interlend/ill/testing';
import { NatsCommandBus, connectNats, resolveSettings, subjectsOf } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { startWorkerProcesses, stopWorkerProcesses, type WorkerProcess } from '../workerProcesses';
import { removeWorkspaces, requireBuiltBinary, sleep, workspace, type Workspace } from './__tests__/cliHarness';

jest.setTimeout(120_000);

const PREFIX = 'e2e-crash';
const ACK_WAIT_MS = 2_000;
const REQUESTS = 300;
const settings = resolveSettings({ prefix: PREFIX, commands: { ackWaitMs: ACK_WAIT_MS } });

let server: NatsServerHandle;
let ws: Workspace;
let workers: WorkerProcess[] = [];
let nc: NatsConnection | undefined;
let db: Database.Database | undefined;

beforeAll(async () => {
  requireBuiltBinary();
  server = await startNatsServer();
  ws = workspace();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()), '--db', ws.dbPath);
});

afterAll(async () => {
  db?.close();
  await stopWorkerProcesses(workers, 5_000);
  await nc?.drain().catch(() => nc?.close());
  await server?.stop();
  removeWorkspaces();
});

const requestId = (i: number) => `CRASH-${String(i).padStart(4, '0')}`;
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

/** Command ids in the log for the test's requests (the directory's left out). */
function appliedCommandIds(): Set<string> {
  const rows = db!.prepare("SELECT DISTINCT json_extract(metadata, '$.commandId') AS id FROM events WHERE stream_id LIKE 'CRASH-%'").all() as { id: string }[];
  return new Set(rows.map((r) => r.id));
}

async function until(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  for (const giveUp = Date.now() + timeoutMs; !condition(); ) {
    if (Date.now() > giveUp) {
      const problems = workers.flatMap((w) => w.lines.filter((l) => l.event !== 'applied' && l.event !== 'started').slice(0, 5));
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the workers said: ${JSON.stringify(problems)}`);
    }
    await sleep(25);
  }
}

describe('a NATS worker killed with SIGKILL mid-run', () => {
  it('loses nothing, duplicates nothing, and its in-flight commands are redelivered and applied once after the ack wait', async () => {
    workers = await startWorkerProcesses({
      count: 3,
      namePrefix: 'crash-w',
      args: ['--nats', server.url, '--db', ws.dbPath, '--prefix', PREFIX, '--ack-wait', String(ACK_WAIT_MS), '--concurrency', '8'],
    });
    nc = await connectNats(server.url);
    const jsm = await jetstreamManager(nc);
    const stream = subjectsOf(settings).streamName('COMMANDS');
    expect((await jsm.consumers.info(stream, settings.commands.durable)).config.ack_wait).toBe(ACK_WAIT_MS * 1_000_000);
    db = new Database(ws.dbPath, { readonly: true, fileMustExist: true });
    const bus = new NatsCommandBus(nc, { settings });
    const sent: string[] = [];
    const started = performance.now();

    // Submits through request/reply (the work queue does not order commands across workers).
    const ids = Array.from({ length: REQUESTS }, (_, i) => requestId(i + 1));
    for (let i = 0; i < ids.length; i += 30) {
      await Promise.all(
        ids.slice(i, i + 30).map((id) => {
          const commandId = `${id}:submit`;
          sent.push(commandId);
          return bus.request({ commandId, streamId: id, type: 'submit', data: sampleRequest(), actor: borrower } as CommandInput, { timeoutMs: 20_000 });
        }),
      );
    }

    const victim = workers[1]!;
    let killedAt = 0;
    let killedAfterApplied = 0;
    let pendingAtKill = -1;
    let maxRedelivered = 0;
    let recoveredAt = 0;
    for (const [p, phase] of PHASES.entries()) {
      const commands = ids.map((id) => ({ commandId: `${id}:${phase.type}`, streamId: id, type: phase.type, data: phase.data, actor: phase.actor }) as CommandInput);
      sent.push(...commands.map((c) => c.commandId));
      await Promise.all(commands.map((c) => bus.publish(c)));
      if (p === 1) {
        // Kill one worker once a sixth of this phase is applied: it has commands in hand.
        await until(() => appliedCommandIds().size >= REQUESTS * 2 + REQUESTS / 6, 'a sixth of the willSupply commands', 20_000);
        victim.process.kill('SIGKILL');
        killedAt = performance.now();
        killedAfterApplied = appliedCommandIds().size;
        expect(await victim.exited).toBe('SIGKILL');
        // Watch the shared consumer: the dead worker's unacknowledged commands are delivered again.
        const phaseIds = new Set(commands.map((c) => c.commandId));
        for (;;) {
          const info = await jsm.consumers.info(stream, settings.commands.durable);
          if (pendingAtKill < 0) pendingAtKill = info.num_ack_pending;
          maxRedelivered = Math.max(maxRedelivered, info.num_redelivered);
          const applied = appliedCommandIds();
          if ([...phaseIds].every((id) => applied.has(id)) && info.num_pending === 0 && info.num_ack_pending === 0) break;
          if (performance.now() - killedAt > ACK_WAIT_MS + 15_000) throw new Error(`the willSupply commands were not all applied within ${ACK_WAIT_MS + 15_000} ms of the kill`);
          await sleep(20);
        }
        recoveredAt = performance.now();
      } else {
        const phaseIds = commands.map((c) => c.commandId);
        await until(() => {
          const applied = appliedCommandIds();
          return phaseIds.every((id) => applied.has(id));
        }, `every ${phase.type} applied`, 30_000);
      }
    }
    const applied = performance.now();

    // Nothing lost: every command sent is in the log; nothing else (for these requests) is.
    expect(appliedCommandIds()).toEqual(new Set(sent));
    // Nothing duplicated: no event id twice, no command's events twice, every request the same history.
    const events = db
      .prepare("SELECT stream_id AS s, revision AS r, event_id AS e, type AS t, json_extract(metadata, '$.commandId') AS c, json_extract(metadata, '$.stateAfter') AS state FROM events WHERE stream_id LIKE 'CRASH-%' ORDER BY stream_id, revision")
      .all() as { s: string; r: number; e: string; t: string; c: string; state: string }[];
    expect(new Set(events.map((e) => e.e)).size).toBe(events.length);
    expect(new Set(events.map((e) => `${e.c}/${e.t}`)).size).toBe(events.length);
    const histories = new Map<string, string[]>();
    for (const e of events) histories.set(e.s, [...(histories.get(e.s) ?? []), e.t]);
    expect(histories.size).toBe(REQUESTS);
    const first = histories.get(ids[0]!)!;
    expect(first).toEqual([
      'RequestSubmitted',
      'NotAvailableLocally',
      'RotaBuilt',
      'WillSupplyAnswered',
      'Shipped',
      'Received',
      'CheckedOutToPatron',
    ]);
    expect([...histories.values()].filter((h) => h.join() !== first.join())).toEqual([]);
    // Each request's final state.
    const finalStates = new Map<string, string>();
    for (const e of events) finalStates.set(e.s, e.state);
    expect(new Set(finalStates.values())).toEqual(new Set(['onLoan.inUse']));

    // The survivors stop cleanly; the read models equal a rebuild from the log.
    const survivors = workers.filter((w) => w !== victim);
    expect(await stopWorkerProcesses(survivors)).toEqual([0, 0]);
    const stats = survivors.map((w) => (w.lines.find((l) => l.event === 'stopped')?.stats ?? {}) as { applied: number; duplicates: number; retried: number; deadLettered: number; requests: number });
    expect(stats.every((s) => s.deadLettered === 0)).toBe(true);
    // Every delivery beyond a message's first is a redelivery: a nak'd retry, or a command whose worker died.
    const consumer = await jsm.consumers.info(stream, settings.commands.durable);
    expect(consumer.delivered.stream_seq).toBe(REQUESTS * PHASES.length);
    const redeliveries = consumer.delivered.consumer_seq - consumer.delivered.stream_seq;
    const retries = stats.reduce((n, s) => n + s.retried, 0) + victim.lines.filter((l) => l.event === 'retry').length;
    const victimApplied = victim.lines.filter((l) => l.event === 'applied' && l.duplicate === false).length;
    const survivorApplied = stats.reduce((n, s) => n + s.applied, 0);
    const duplicates = stats.reduce((n, s) => n + s.duplicates, 0);
    // Every command was applied by exactly one worker: the victim (logged, or written just before it died) or a survivor.
    expect(survivorApplied + victimApplied).toBeLessThanOrEqual(sent.length);
    expect(sent.length - survivorApplied - victimApplied).toBeLessThanOrEqual(duplicates + 8);
    const verify = await ws.run('rebuild', '--verify', '--db', ws.dbPath, '--json');
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ differences: 0 });

    console.log(
      `nats crash: ${sent.length} commands (${REQUESTS} requests x ${PHASES.length + 1}), ${events.length} events, 3 workers, one SIGKILLed after ${killedAfterApplied} applied ` +
        `(${pendingAtKill} unacknowledged over all workers); ${redeliveries} redeliveries (${retries} of them nak'd retries; consumer num_redelivered seen up to ${maxRedelivered}; ack wait ${ACK_WAIT_MS} ms); ` +
        `phase recovered ${Math.round(recoveredAt - killedAt)} ms after the kill; applied by victim ${victimApplied} (logged), survivors ${stats.map((s) => s.applied).join('/')} ` +
        `(+${duplicates} already-applied redeliveries); all applied in ${Math.round(applied - started)} ms`,
    );
    // The dead worker had commands in hand; they came back (redelivered) and were applied within the ack wait and a margin.
    expect(redeliveries - retries).toBeGreaterThan(0);
    expect(recoveredAt - killedAt).toBeGreaterThan(ACK_WAIT_MS - 500);
    expect(recoveredAt - killedAt).toBeLessThan(ACK_WAIT_MS + 5_000);
  });
});
