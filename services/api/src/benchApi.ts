/**
 * `npm run bench:api`: commands through the HTTP API against the in-process engine, and the
 * latency of reading queues with 10,000 requests in the store, measured in one run.
 *
 * 1. Commands/s. In-process: the ILL runtime as the embedded default wires it (`openEmbedded`),
 *    `handler.handle` per command with the effects and projections settled after commands,
 *    coalesced (what a worker does); and `runtime.execute` per command (settled before it is
 *    answered, as the API's embedded sender does). Through the API: the server `interlend serve
 *    --port 0` runs (`startServer`), in a child process, driven by autocannon on loopback. All:
 *    a new SQLite file with the sample directory, C requests in flight (one autocannon connection
 *    each), each request's 8 commands (the happy path) in order. Rounds alternate the three and the
 *    medians are reported.
 * 2. Queue reads. A store with 10,000 requests spread over the queues (a seeded random prefix of
 *    the happy path each, borrowers and lenders spread over the sample directory), served the
 *    same way; autocannon on `GET /v1/queues` as a borrowing key of one library and as a
 *    hub key (every library).
 *
 * `--write` replaces the API figures section of docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { WorkflowRuntime, singleFlight, systemClock, uuidV7Ids, type CommandInput } from '@interlend/engine';
import { ApiKeys, openEmbedded, type ApiRole, type IllRuntime } from '@interlend/deployment';
import { Directory, illProjections, illRequestWorkflow, loadDirectory, reRequestEffect, saveDirectory, type IllServices } from '@interlend/ill';
import { startServer } from './serve';
import { sampleDirectoryJson, sampleRequest, sampleShipment } from '@interlend/ill/testing';
import { openSqlite } from '@interlend/store-sqlite';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const IN_FLIGHT = flag('in-flight', 16);
/** Whole requests per connection: autocannon shares `amount` evenly between connections. */
const REQUESTS = Math.max(1, Math.round(flag('requests', 64) / IN_FLIGHT)) * IN_FLIGHT;
const ROUNDS = flag('rounds', 3);
const QUEUE_REQUESTS = flag('queue-requests', 10_000);
const QUEUE_SECONDS = flag('seconds', 10);
const QUEUE_CONNECTIONS = flag('connections', 4);
const LOG_LEVEL = args.includes('--log-level') ? args[args.indexOf('--log-level') + 1]! : 'info';
const WARMUP_PER_CONNECTION = 1;
const dir = mkdtempSync(path.join(tmpdir(), 'interlend-bench-api-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const log = (line: string) => process.stderr.write(`${line}\n`);

// autocannon 9 ships no types: the part of its API used here.
interface CannonRequest {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: CannonRequest, context: Record<string, unknown>) => CannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface CannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number; average: number };
  latency: { p50: number; p99: number; max: number };
  throughput: { total: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<CannonResult>;

const DUE_DATE = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
const BORROWER = 'LIB1';
const LENDER = 'LIB2';

/** One command of the happy path: its type, who sends it, its data. */
interface Step {
  readonly type: string;
  readonly party: 'borrower' | 'lender';
  readonly data: Record<string, unknown>;
}
/** The happy path, submission to check-in (8 commands, 9 events), the lender preferred by the borrower. */
const happyPath = (lender: string): Step[] => [
  { type: 'submit', party: 'borrower', data: sampleRequest() as unknown as Record<string, unknown> },
  { type: 'notAvailableLocally', party: 'borrower', data: { preferredLenders: [lender] } },
  { type: 'willSupply', party: 'lender', data: {} },
  // The server runs on the system clock: the due date must lie after the shipment.
  { type: 'ship', party: 'lender', data: sampleShipment({ dueDate: DUE_DATE }) as unknown as Record<string, unknown> },
  { type: 'receive', party: 'borrower', data: {} },
  { type: 'checkOutToPatron', party: 'borrower', data: {} },
  { type: 'shipReturn', party: 'borrower', data: {} },
  { type: 'checkIn', party: 'lender', data: {} },
];

interface Measured {
  readonly commands: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
}

let runNo = 0;
const HUB_ACTOR = { id: 'bench', role: 'hub' };

/** A new SQLite file with the sample directory imported and one key per `[library, role]` (the keys, in order). */
async function freshDb(keys: readonly (readonly [string, ApiRole])[] = []): Promise<{ file: string; keys: string[] }> {
  const file = path.join(dir, `bench-${runNo++}.db`);
  const sqlite = openSqlite(file);
  try {
    await saveDirectory(sqlite.events, sampleDirectoryJson(), { actor: HUB_ACTOR, time: systemClock.now().toISOString(), eventId: randomUUID() });
    const apiKeys = new ApiKeys(sqlite.events);
    const made: string[] = [];
    for (const [library, role] of keys) made.push((await apiKeys.create({ library, role, label: 'bench:api', actor: HUB_ACTOR })).key);
    return { file, keys: made };
  } finally {
    await sqlite.close();
  }
}

const removeDb = (file: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
};


/**
 * The engine in this process, wired as the embedded default. 'worker': `handler.handle`, the
 * effects and read models settled after commands, coalesced, as a worker does (the clock stops at
 * the last command's answer). 'execute': `runtime.execute`, each command answered once its own
 * settle is done, as the API's embedded sender does, to tell that cost from HTTP's.
 */
async function inProcess(mode: 'worker' | 'execute'): Promise<Measured> {
  const { file } = await freshDb();
  const app = await openEmbedded(file);
  const apply = async (command: CommandInput) => {
    if (mode === 'execute') return void (await app.runtime.execute(command));
    await app.runtime.handler.handle(command);
    void settle();
  };
  const settle = singleFlight(async () => {
    await app.runtime.settleQuietly();
  });
  const drive = async (tag: string, requests: number): Promise<Measured> => {
    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: Math.min(IN_FLIGHT, requests) }, async () => {
        while (next < requests) {
          const requestId = `${tag}-${next++}`;
          for (const step of happyPath(LENDER)) {
            const actor = step.party === 'borrower' ? { id: BORROWER, role: 'borrowing' } : { id: LENDER, role: 'lending' };
            const command: CommandInput = { commandId: randomUUID(), streamId: requestId, type: step.type, data: step.data, actor };
            const t = performance.now();
            await apply(command);
            latencies.push(performance.now() - t);
          }
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { commands: requests * 8, seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
  };
  try {
    await drive(`W${runNo}`, IN_FLIGHT * WARMUP_PER_CONNECTION);
    await settle();
    const m = await drive(`R${runNo}`, REQUESTS);
    await settle();
    return m;
  } finally {
    await app.close();
    removeDb(file);
  }
}

interface Served {
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * The server `interlend serve --port 0 --db FILE --rate-limit 0` runs (`startServer`, the API with
 * its in-process worker), in a child process of its own (this file with `--serve FILE`), once it
 * listens. The CLI's own argument parsing is the only part left out.
 */
async function serve(file: string, label: string): Promise<Served> {
  // --cpu-prof: each server writes a V8 CPU profile (label first in its name) to the current directory.
  const extraNodeArgs = args.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${process.cwd()}`, `--cpu-prof-name=${label}-${process.pid}.cpuprofile`] : [];
  const child = spawn(process.execPath, ['--max-semi-space-size=32', ...extraNodeArgs, __filename, '--serve', file, '--log-level', LOG_LEVEL], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`interlend serve did not listen within 30 s: ${stderr}`)), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      const match = /listening on (http:\/\/\S+)/.exec(line);
      if (match) resolve(match[1]!);
      else reject(new Error(`interlend serve said '${line}' ${stderr}`));
    });
    void exited.then((code) => reject(new Error(`interlend serve ended with ${code}: ${stderr}`)));
  });
  // The JSON log lines (a line or two per HTTP request at the default level) are read and dropped.
  lines.on('line', () => undefined);
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      const code = await exited;
      if (code !== 0) log(`  interlend serve ended with ${code}: ${stderr.trim().split('\n').at(-1) ?? ''}`);
    },
  };
}

/** The happy path as autocannon requests: the submit's answer gives the request id the other 7 use. */
function cannonPath(borrowerKey: string, lenderKey: string): CannonRequest[] {
  return happyPath(LENDER).map((step) => {
    const headers = { authorization: `Bearer ${step.party === 'borrower' ? borrowerKey : lenderKey}`, 'content-type': 'application/json' };
    const body = JSON.stringify(step.data);
    if (step.type === 'submit') {
      return {
        method: 'POST',
        path: '/v1/requests',
        headers,
        body,
        onResponse: (status, text, context) => {
          if (status === 201) context.requestId = (JSON.parse(text) as { requestId: string }).requestId;
        },
      };
    }
    return {
      method: 'POST',
      path: '/v1/requests/-/commands/' + step.type,
      headers,
      body,
      setupRequest: (request, context) => ({ ...request, path: `/v1/requests/${String(context.requestId)}/commands/${step.type}` }),
    };
  });
}

async function cannon(options: Record<string, unknown>): Promise<CannonResult> {
  const result = await autocannon({ timeout: 30, ...options });
  if (result.errors || result.non2xx || result.timeouts) throw new Error(`autocannon: ${result.errors} errors, ${result.non2xx} non-2xx answers, ${result.timeouts} timeouts`);
  return result;
}

/** The same commands through `interlend serve`, C autocannon connections, each looping over whole requests. */
async function throughApi(): Promise<Measured> {
  const { file, keys } = await freshDb([
    [BORROWER, 'borrowing'],
    [LENDER, 'lending'],
  ]);
  const server = await serve(file, `commands-${runNo}`);
  try {
    const requests = cannonPath(keys[0]!, keys[1]!);
    const run = (perConnection: number) => cannon({ url: server.url, connections: IN_FLIGHT, amount: IN_FLIGHT * perConnection * 8, requests });
    await run(WARMUP_PER_CONNECTION);
    const started = performance.now();
    const result = await run(REQUESTS / IN_FLIGHT);
    const seconds = (performance.now() - started) / 1000;
    return { commands: result.requests.total, seconds, p50: result.latency.p50, p99: result.latency.p99 };
  } finally {
    await server.stop();
    removeDb(file);
  }
}

/** A small seeded PRNG (mulberry32): the same store on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const LIBRARIES = sampleDirectoryJson().libraries.map((l) => l.code);
const LENDERS = sampleDirectoryJson()
  .libraries.filter((l) => l.lendingPolicy === 'lends' && l.inDeliveryNetwork)
  .map((l) => l.code);

/**
 * A store with `count` requests: each from a borrower drawn from the directory, preferring a
 * lender drawn from the lending libraries, taken along the happy path to a random point (60 %
 * to the end, the rest spread evenly over the 7 earlier stages), so the open ones fill every
 * queue of the path for their borrower and lender. Through the engine, 32 requests at a time;
 * the read models brought up to date once at the end.
 */
async function queueStore(count: number): Promise<{ file: string; keys: string[]; events: number; open: number; seconds: number }> {
  const { file, keys } = await freshDb([
    [BORROWER, 'borrowing'],
    [BORROWER, 'hub'],
  ]);
  const started = performance.now();
  // Wired as openEmbedded wires it, but with synchronous=NORMAL: the store is written faster and is the same store.
  const sqlite = openSqlite(file, { synchronous: 'normal' });
  const services: IllServices = { directory: (await loadDirectory(sqlite.events)) ?? new Directory({ libraries: [] }) };
  const runtime: IllRuntime = new WorkflowRuntime({
    workflow: illRequestWorkflow,
    services,
    store: sqlite.events,
    readModels: sqlite.readModels,
    clock: systemClock,
    ids: uuidV7Ids,
    projections: illProjections,
    effectHandlers: { startReRequest: reRequestEffect(() => runtime.handler) },
  });
  const random = prng(9);
  let next = 0;
  let open = 0;
  try {
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          const requestId = `Q-${String(next++).padStart(5, '0')}`;
          const borrower = LIBRARIES[Math.floor(random() * LIBRARIES.length)]!;
          const lenders = LENDERS.filter((l) => l !== borrower);
          const lender = lenders[Math.floor(random() * lenders.length)]!;
          const stages = random() < 0.6 ? 8 : 1 + Math.floor(random() * 7);
          if (stages < 8) open++;
          let current = lender;
          for (const step of happyPath(lender).slice(0, stages)) {
            const actor = step.party === 'borrower' ? { id: borrower, role: 'borrowing' } : { id: current, role: 'lending' };
            const result = await runtime.handler.handle({ commandId: randomUUID(), streamId: requestId, type: step.type, data: step.data, actor });
            current = (result.state.snapshot.context as { lender?: string | null }).lender ?? current;
          }
        }
      }),
    );
    await runtime.settle();
    // The deadlines' read model too, so that the server does not catch it up while it is measured.
    await runtime.runDueTimers();
    const events = await sqlite.events.headPosition();
    return { file, keys, events, open, seconds: (performance.now() - started) / 1000 };
  } finally {
    await sqlite.close();
  }
}

interface QueueRead {
  readonly who: string;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly bytes: number;
}

async function main() {
  log(`interlend bench:api: ${REQUESTS} requests x 8 commands per measurement, ${IN_FLIGHT} requests in flight, ${ROUNDS} rounds, in ${dir}`);
  try {
    const names = ['in-process', 'in-process, settled per command', 'HTTP API'] as const;
    type Name = (typeof names)[number];
    const runs: Record<Name, () => Promise<Measured>> = {
      'in-process': () => inProcess('worker'),
      'in-process, settled per command': () => inProcess('execute'),
      'HTTP API': throughApi,
    };
    const series = (): Record<Name, number[]> => ({ 'in-process': [], 'in-process, settled per command': [], 'HTTP API': [] });
    const rate = series();
    const p50 = series();
    const p99 = series();
    const ratio = series();
    for (let r = 0; r < ROUNDS; r++) {
      let base = NaN;
      for (const name of names) {
        const m = await runs[name]();
        const perSecond = m.commands / m.seconds;
        if (name === 'in-process') base = perSecond;
        ratio[name].push(perSecond / base);
        rate[name].push(perSecond);
        p50[name].push(m.p50);
        p99[name].push(m.p99);
        log(`  round ${r + 1} ${name}: ${perSecond.toFixed(0)} commands/s, p50 ${m.p50.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`);
      }
    }

    log(`queue store: ${QUEUE_REQUESTS} requests...`);
    const store = await queueStore(QUEUE_REQUESTS);
    log(`  ${store.events} events, ${store.open} requests open, in ${store.seconds.toFixed(1)} s`);
    const reads: QueueRead[] = [];
    const server = await serve(store.file, 'queues');
    try {
      for (const [who, key] of [
        [`borrowing key of ${BORROWER}`, store.keys[0]!],
        ['hub key (every library)', store.keys[1]!],
      ] as const) {
        const options = { url: `${server.url}/v1/queues`, connections: QUEUE_CONNECTIONS, headers: { authorization: `Bearer ${key}` } };
        await cannon({ ...options, duration: 2 });
        const result = await cannon({ ...options, duration: QUEUE_SECONDS });
        const read = { who, perSecond: result.requests.total / result.duration, p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max, bytes: result.throughput.total / result.requests.total };
        reads.push(read);
        log(`  GET /v1/queues as ${who}: ${read.perSecond.toFixed(0)} req/s, p50 ${read.p50} ms, p99 ${read.p99} ms, ${Math.round(read.bytes)} bytes`);
      }
    } finally {
      await server.stop();
      removeDb(store.file);
    }

    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    const n = (x: number) => Math.round(x).toLocaleString('en-US');
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
    const apiRatio = median(ratio['HTTP API']);
    const row = (name: Name, target = '') =>
      `| ${name} | ${n(median(rate[name]))} | ${name === 'in-process' ? '100 %' : pct(median(ratio[name]))} | ${ms(median(p50[name]))} | ${ms(median(p99[name]))} | ${target} |`;
    const lines = [
      `Measured ${new Date().toISOString().slice(0, 10)} on this project's machine kind (2 cores, Node ${process.version}, autocannon on loopback, the server of \`interlend serve\` (\`startServer\`) in a process of its own, log level ${LOG_LEVEL}, no rate limit); medians of ${ROUNDS} alternating rounds, each measurement on a new SQLite file (synchronous=FULL, the sample directory) after ${IN_FLIGHT * WARMUP_PER_CONNECTION} warm-up requests; ${REQUESTS} requests x 8 commands, ${IN_FLIGHT} requests in flight.`,
      '',
      '| path | commands/s | of in-process | p50 latency | p99 latency | target |',
      '|---|---|---|---|---|---|',
      row('in-process'),
      row('in-process, settled per command'),
      row('HTTP API', `>= 50 % of in-process: ${verdict(apiRatio >= 0.5)}`),
      '',
      `Queue reads: \`GET /v1/queues\` with ${n(QUEUE_REQUESTS)} requests in the store (${n(store.open)} open, ${n(store.events)} events), ${QUEUE_CONNECTIONS} connections for ${QUEUE_SECONDS} s after 2 s of warm-up.`,
      '',
      '| caller | reads/s | p50 latency | p99 latency | max | body | target |',
      '|---|---|---|---|---|---|---|',
      ...reads.map((r) => `| ${r.who} | ${n(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${(r.bytes / 1024).toFixed(0)} KiB | p99 <= 20 ms: ${verdict(r.p99 <= 20)} |`),
    ];
    const table = lines.join('\n');
    process.stdout.write(`${table}\n`);
    if (args.includes('--write')) {
      const doc = path.join(__dirname, '..', '..', '..', 'docs', 'benchmarks.md');
      const text = readFileSync(doc, 'utf8');
      const start = text.indexOf('<!-- api-figures -->');
      const end = text.indexOf('<!-- /api-figures -->');
      if (start < 0 || end < 0) throw new Error('docs/benchmarks.md has no <!-- api-figures --> section');
      writeFileSync(doc, `${text.slice(0, start + '<!-- api-figures -->'.length)}\n${table}\n${text.slice(end)}`);
      log('wrote docs/benchmarks.md');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The child: `startServer` as `interlend serve` calls it, until SIGTERM. */
async function serveChild(file: string) {
  const running = await startServer({
    dbPath: file,
    host: '127.0.0.1',
    port: 0,
    logLevel: LOG_LEVEL,
    rateLimit: false,
    say: (line) => void process.stdout.write(`${line}\n`),
    warn: (line) => void process.stderr.write(`${line}\n`),
    logTo: process.stdout,
  });
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await running.close();
}

const serveAt = args.indexOf('--serve');
(serveAt >= 0 ? serveChild(args[serveAt + 1]!) : main()).catch((error: unknown) => {
  process.stderr.write(`bench:api failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
