/**
 * `npm run bench:nats`: commands through NATS against the in-process engine, on the same machine
 * and the same kind of store (a new SQLite file per measurement, synchronous=FULL, the sample
 * directory imported), measured in one run.
 *
 * 1. In-process: the ILL runtime as the embedded default wires it, `handler.handle` per command
 *    with the effects and projections settled after commands, coalesced (what a worker does).
 * 2. Through NATS, with 1 and 2 real `interlend worker --nats` processes on the same file:
 *    request/reply, and the work queue (publish, then wait until a worker says it applied it).
 *    In both, and in-process, C requests are in flight, each request's 8 commands in order.
 * 3. An offered load (open loop: commands sent on a fixed schedule whatever the replies) of R
 *    commands/s by request/reply to 2 workers: latency from the scheduled send to the reply.
 *
 * Rounds alternate the measurements and the median of each is reported. `--write` replaces the
 * NATS figures section of docs/benchmarks.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WorkflowRuntime, singleFlight, systemClock, uuidV7Ids, type CommandInput } from '@interlend/engine';
import { Directory, illProjections, illRequestWorkflow, loadDirectory, reRequestEffect, saveDirectory, type IllServices } from '@interlend/ill';
import { sampleDirectoryJson } from '@interlend/ill/testing';
import { NatsCommandBus, connectNats } from '@interlend/nats';
import { startNatsServer } from '@interlend/nats/testing';
import { openSqlite } from '@interlend/store-sqlite';
import { startWorkerProcesses, stopWorkerProcesses, type WorkerProcess } from './workerProcesses';
import { wholeFlag, writeFigures } from './benchFigures';
import { happyPath } from './benchWorkload';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => wholeFlag(args, name, fallback);
const REQUESTS = flag('requests', 40);
const ROUNDS = flag('rounds', 3);
const IN_FLIGHT = flag('in-flight', 16);
const WARMUP_REQUESTS = 8;
const OFFERED_RATE = flag('rate', 500);
const OFFERED_SECONDS = flag('seconds', 10);
const dir = mkdtempSync(path.join(tmpdir(), 'interlend-bench-nats-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The workers run on the system clock: the due date must lie after the shipment. */
const DUE_DATE = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);

interface Measured {
  readonly commands: number;
  readonly seconds: number;
  /** Per-command latencies, ms, sorted. */
  readonly latencies: number[];
}

/**
 * `requests` requests driven with `inFlight` of them at a time, each one's commands in order
 * through `send` (which resolves once the command is applied); per-command latency recorded.
 */
async function drive(tag: string, requests: number, inFlight: number, send: (command: CommandInput) => Promise<void>): Promise<Measured> {
  const paths = Array.from({ length: requests }, (_, i) => happyPath(`${tag}-${i}`, { shipment: { dueDate: DUE_DATE } }));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, requests) }, async () => {
      while (next < paths.length) {
        for (const command of paths[next++]!) {
          const t = performance.now();
          await send(command);
          latencies.push(performance.now() - t);
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { commands: requests * 8, seconds, latencies: latencies.sort((a, b) => a - b) };
}

let runNo = 0;
/** A new SQLite file with the sample directory imported. */
async function freshDb(): Promise<string> {
  const file = path.join(dir, `bench-${runNo++}.db`);
  const sqlite = openSqlite(file);
  await saveDirectory(sqlite.events, sampleDirectoryJson(), { actor: { id: 'hub', role: 'hub' }, time: systemClock.now().toISOString(), eventId: randomUUID() });
  await sqlite.close();
  return file;
}


/** The engine in this process, wired as the embedded default (app.ts), settling like a worker. */
async function inProcess(): Promise<Measured> {
  const file = await freshDb();
  const sqlite = openSqlite(file);
  const services: IllServices = { directory: (await loadDirectory(sqlite.events)) ?? new Directory({ libraries: [] }) };
  const runtime: WorkflowRuntime<typeof illRequestWorkflow.machine, IllServices> = new WorkflowRuntime({
    workflow: illRequestWorkflow,
    services,
    store: sqlite.events,
    readModels: sqlite.readModels,
    clock: systemClock,
    ids: uuidV7Ids,
    projections: illProjections,
    effectHandlers: { startReRequest: reRequestEffect(() => runtime.handler) },
  });
  const settle = singleFlight(async () => {
    await runtime.settleQuietly();
  });
  const send = async (command: CommandInput) => {
    await runtime.handler.handle(command);
    void settle();
  };
  await drive(`W${runNo}`, WARMUP_REQUESTS, IN_FLIGHT, send);
  await settle();
  const m = await drive(`R${runNo}`, REQUESTS, IN_FLIGHT, send);
  await settle();
  await sqlite.close();
  rmSync(file, { force: true });
  return m;
}

/** K worker processes on a new file, under a prefix of their own on the server at `url`. */
async function withWorkers<T>(url: string, count: number, work: (bus: NatsCommandBus, applied: (commandId: string) => Promise<void>) => Promise<T>): Promise<T> {
  const file = await freshDb();
  const prefix = `bench${runNo}`;
  const waiting = new Map<string, () => void>();
  const done = new Set<string>();
  let workers: WorkerProcess[] = [];
  const nc = await connectNats(url, { name: 'interlend-bench-nats' });
  try {
    workers = await startWorkerProcesses({
      count,
      namePrefix: `${prefix}-w`,
      args: ['--nats', url, '--db', file, '--prefix', prefix],
      onLine: (_worker, line) => {
        if (line.event !== 'applied' || typeof line.commandId !== 'string') return;
        const resolve = waiting.get(line.commandId);
        if (resolve) {
          waiting.delete(line.commandId);
          resolve();
        } else done.add(line.commandId);
      },
    });
    const bus = new NatsCommandBus(nc, { settings: { prefix }, requestTimeoutMs: 30_000 });
    /** Resolves when a worker says (its --json log line) that it applied the command. */
    const applied = (commandId: string) =>
      done.delete(commandId)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`command ${commandId} not applied within 30 s`)), 30_000);
            waiting.set(commandId, () => {
              clearTimeout(timer);
              resolve();
            });
          });
    return await work(bus, applied);
  } finally {
    const exits = await stopWorkerProcesses(workers);
    exits.forEach((code, i) => {
      if (code !== 0) log(`  worker ${workers[i]!.name} ended with ${code}: ${workers[i]!.stderr().trim().split('\n').at(-1) ?? ''}`);
    });
    await nc.drain().catch(() => nc.close());
    rmSync(file, { force: true });
  }
}

async function throughNats(url: string, count: number, via: 'rpc' | 'queue'): Promise<Measured> {
  return withWorkers(url, count, async (bus, applied) => {
    const send =
      via === 'rpc'
        ? async (command: CommandInput) => {
            await bus.request(command);
          }
        : async (command: CommandInput) => {
            const wait = applied(command.commandId);
            await bus.publish(command);
            await wait;
          };
    // Fresh processes: warm their JIT up (and the file's pages) before the measured requests.
    await drive(`W${runNo}`, WARMUP_REQUESTS, IN_FLIGHT, send);
    return drive(`R${runNo}`, REQUESTS, IN_FLIGHT, send);
  });
}

/**
 * Open loop: command i is sent at start + i / rate whatever happened to the ones before, by
 * request/reply. Requests are interleaved stage by stage (all submits, then all second commands,
 * ...) so that a request's previous command was sent requests / rate seconds earlier. Latency
 * counts from the scheduled time, so a sender falling behind shows in it.
 */
async function offeredLoad(url: string, count: number) {
  return withWorkers(url, count, async (bus) => {
    await drive(`W${runNo}`, WARMUP_REQUESTS, IN_FLIGHT, async (c) => void (await bus.request(c)));
    const total = Math.round((OFFERED_RATE * OFFERED_SECONDS) / 8) * 8;
    const paths = Array.from({ length: total / 8 }, (_, i) => happyPath(`O${runNo}-${i}`, { shipment: { dueDate: DUE_DATE } }));
    const schedule = Array.from({ length: 8 }, (_, stage) => paths.map((p) => p[stage]!)).flat();
    const latencies: number[] = [];
    let errors = 0;
    let maxSendLag = 0;
    const pending: Promise<void>[] = [];
    const started = performance.now();
    for (let i = 0; i < schedule.length; i++) {
      const due = started + (i * 1000) / OFFERED_RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      maxSendLag = Math.max(maxSendLag, performance.now() - due);
      pending.push(
        bus.request(schedule[i]!).then(
          () => void latencies.push(performance.now() - due),
          () => void errors++,
        ),
      );
    }
    const sent = performance.now();
    await Promise.all(pending);
    const ended = performance.now();
    latencies.sort((a, b) => a - b);
    return {
      commands: schedule.length,
      offeredSeconds: (sent - started) / 1000,
      completedSeconds: (ended - started) / 1000,
      errors,
      maxSendLag,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: latencies.at(-1) ?? NaN,
    };
  });
}

async function main() {
  log(`interlend bench:nats: ${REQUESTS} requests x 8 commands per measurement, ${IN_FLIGHT} requests in flight, ${ROUNDS} rounds, in ${dir}`);
  const server = await startNatsServer();
  try {
    const names = ['in-process', 'rpc, 1 worker', 'rpc, 2 workers', 'queue, 1 worker', 'queue, 2 workers'] as const;
    type Name = (typeof names)[number];
    const runs: Record<Name, () => Promise<Measured>> = {
      'in-process': inProcess,
      'rpc, 1 worker': () => throughNats(server.url, 1, 'rpc'),
      'rpc, 2 workers': () => throughNats(server.url, 2, 'rpc'),
      'queue, 1 worker': () => throughNats(server.url, 1, 'queue'),
      'queue, 2 workers': () => throughNats(server.url, 2, 'queue'),
    };
    const rate: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<Name, number[]>;
    const p50: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<Name, number[]>;
    const p99: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<Name, number[]>;
    const ratio: Record<Name, number[]> = Object.fromEntries(names.map((n) => [n, []])) as unknown as Record<Name, number[]>;
    for (let r = 0; r < ROUNDS; r++) {
      let base = NaN;
      for (const name of names) {
        const m = await runs[name]();
        const perSecond = m.commands / m.seconds;
        if (name === 'in-process') base = perSecond;
        rate[name].push(perSecond);
        ratio[name].push(perSecond / base);
        p50[name].push(quantile(m.latencies, 0.5));
        p99[name].push(quantile(m.latencies, 0.99));
        log(`  round ${r + 1} ${name}: ${perSecond.toFixed(0)} commands/s, p50 ${quantile(m.latencies, 0.5).toFixed(1)} ms, p99 ${quantile(m.latencies, 0.99).toFixed(1)} ms`);
      }
    }
    log(`offered load: ${OFFERED_RATE} commands/s for ${OFFERED_SECONDS} s, request/reply, 2 workers...`);
    const o = await offeredLoad(server.url, 2);
    log(`  ${JSON.stringify(o)}`);

    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const achieved = o.commands / o.completedSeconds;
    const sustained = o.errors === 0 && achieved >= OFFERED_RATE * 0.95;
    const row = (name: Name, target = '') =>
      `| ${name} | ${n(median(rate[name]))} | ${name === 'in-process' ? '100 %' : pct(median(ratio[name]))} | ${ms(median(p50[name]))} | ${ms(median(p99[name]))} | ${target} |`;
    const r2 = median(ratio['rpc, 2 workers']);
    const q2 = median(ratio['queue, 2 workers']);
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)} on this project's machine kind (2 cores, Node ${process.version}, nats-server on loopback); medians of ${ROUNDS} alternating rounds, each measurement on a new SQLite file (synchronous=FULL) after ${WARMUP_REQUESTS} warm-up requests; ${REQUESTS} requests x 8 commands, ${IN_FLIGHT} requests in flight.`,
      '',
      '| path | commands/s | of in-process | p50 latency | p99 latency | target |',
      '|---|---|---|---|---|---|',
      row('in-process'),
      row('rpc, 1 worker'),
      row('rpc, 2 workers', `>= 60 % of in-process: ${verdict(r2 >= 0.6)}`),
      row('queue, 1 worker'),
      row('queue, 2 workers', `>= 60 % of in-process: ${verdict(q2 >= 0.6)}`),
      '',
      `Offered load, request/reply, 2 workers: ${n(OFFERED_RATE)} commands/s for ${OFFERED_SECONDS} s (${n(o.commands)} commands, open loop).`,
      '',
      '| figure | value | target |',
      '|---|---|---|',
      `| p50 latency | ${ms(o.p50)} | |`,
      `| p99 latency | ${ms(o.p99)} | <= 25 ms: ${verdict(o.p99 <= 25 && sustained)} |`,
      `| max latency | ${ms(o.max)} | |`,
      `| commands/s completed (all replies in ${o.completedSeconds.toFixed(1)} s) | ${n(achieved)} | ${n(OFFERED_RATE)}: ${sustained ? 'sustained' : 'not sustained'} |`,
      `| errors; sender's largest lag behind the schedule | ${o.errors}; ${ms(o.maxSendLag)} | 0 |`,
    ];
    const table = lines.join('\n');
    process.stdout.write(`${table}\n`);
    if (args.includes('--write')) {
      writeFigures('nats-figures', table);
      log('wrote docs/benchmarks.md');
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:nats failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
