import { randomBytes } from 'node:crypto';
import { ProjectionRunner } from '@interlend/engine';
import { illProjections, simulate } from '@interlend/ill';
import { openStores, resetStores } from '@interlend/deployment';
import { intFlag, parse } from '../args';
import { resolveStore, STORE_FLAGS, STORE_HELP, STORE_USAGE } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { Progress } from '../progress';
import { NATS_FLAGS, natsSettings, natsUrl } from '../natsOptions';
import { simulateThroughNats } from './simulateNats';
import { table } from '../format';

const USAGE = `interlend simulate [--requests N] [--libraries L] [--seed S] ${STORE_USAGE} [--reset] [--json] [--nats URL --workers K [--prefix P] [--replicas N]]`;
const HELP = `usage: ${USAGE}

Drives N seeded requests to an end through the engine on a simulated clock.
The store must be empty (a log with no events). --reset empties it first: a SQLite file is
deleted; in PostgreSQL interlend's tables are dropped, and only those (a database whose tables
are not interlend's is refused untouched); a KurrentDB log cannot be reset (use a new database).
A SQLite file is written with synchronous=NORMAL (docs/storage-sqlite.md): a simulation can be
run again, so it does not pay an fsync per commit.
${STORE_HELP}

With --nats URL and --workers K, starts K worker processes on the database and sends every
command and deadline to them through NATS; the workers, and only they, follow the simulated
clock (a key made for this run, in their environment). The run ends every request in the same
state as in one process (compare finalStatesDigest in --json). Its streams live under a prefix
of their own (sim-<random>, or --prefix P) and are removed at the end unless --prefix was given.
--replicas 3 on a 3-server cluster.`;

export async function simulateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    { requests: { type: 'string' }, libraries: { type: 'string' }, seed: { type: 'string' }, ...STORE_FLAGS, reset: { type: 'boolean' }, json: { type: 'boolean' }, ...NATS_FLAGS, workers: { type: 'string' } },
    USAGE,
    { strayHint: '(the database is --db PATH)' },
  );
  if (values.help) return print(io, HELP), 0;
  const url = natsUrl(io, values.nats);
  if (!url && (values.workers !== undefined || values.prefix !== undefined || values.replicas !== undefined)) throw new UsageError('--workers, --prefix and --replicas need --nats URL');
  const workers = intFlag(values.workers, 'workers', 2, 1, 32);
  const settings = url ? natsSettings({ prefix: values.prefix ?? `sim-${randomBytes(4).toString('hex')}`, replicas: values.replicas }) : undefined;
  const requests = intFlag(values.requests, 'requests', 200, 1, 1_000_000);
  const libraries = intFlag(values.libraries, 'libraries', 24, 3, 10_000);
  const seed = intFlag(values.seed, 'seed', 1, 0, 2 ** 32 - 1);
  const store = resolveStore(io, values);
  if (values.reset) await resetStores(store);
  // A simulation can be run again: SQLite commits without the fsync (synchronous=NORMAL, as docs/storage-sqlite.md says).
  const sqlite = await openStores(store, { synchronous: 'normal' });
  const dbPath = sqlite.description;
  try {
    const existing = await sqlite.events.headPosition();
    if (existing > 0) {
      const how = store.events.kind === 'sqlite' ? 'pass --reset to delete it, or --db NEW_PATH' : store.events.kind === 'postgres' ? "pass --reset to drop interlend's tables, or --store with a new database" : '--store with a new database';
      throw new UsageError(`${dbPath} already holds ${existing} events: a simulation needs an empty store (${how})`);
    }
    const progress = new Progress(io, url ? `simulating through NATS with ${workers} worker(s)` : 'simulating', { quiet: values.json });
    const started = performance.now();
    const options = { requests, libraries, seed, onProgress: (done: number, total: number) => progress.update(done, total, 'requests ended') };
    const summary =
      url && settings
        ? await simulateThroughNats(io, { url, settings, cleanUp: values.prefix === undefined, workers, store, options })
        : await simulate(sqlite.events, sqlite.readModels, options);
    progress.done();
    const projecting = new Progress(io, 'projecting', { quiet: values.json });
    await new ProjectionRunner(sqlite.events, sqlite.readModels).catchUp(illProjections, { onProgress: (p) => projecting.update(p.position, p.head, 'events projected') });
    projecting.done();
    const elapsedMs = Math.round(performance.now() - started);
    if (values.json) {
      // Nothing run-specific but the elapsed time: two runs with the same options print the same JSON.
      printJson(io, { ...summary, elapsedMs });
    } else {
      print(io, `Simulated ${summary.requests} requests (+${summary.reRequests} re-requests) among ${summary.libraries} libraries, seed ${summary.seed}, ${summary.simulatedFrom.slice(0, 10)} to ${summary.simulatedTo.slice(0, 10)}.`);
      print(io, `${summary.events} events from ${summary.commands} commands and ${summary.deadlinesFired} deadlines in ${(elapsedMs / 1000).toFixed(1)} s -> ${dbPath}`);
      if (url) print(io, `Through NATS at ${url}: ${workers} worker process(es), subject prefix ${settings!.prefix}.`);
      print(io);
      print(io, table(['final state', 'requests'], Object.entries(summary.finalStates).map(([s, n]) => [s, String(n)])));
      const refused = Object.entries(summary.expectedRefusals);
      if (refused.length) print(io, `\nRefused as they must be: ${refused.map(([k, n]) => `${n} ${k}`).join('; ')}`);
      if (summary.notTerminal.length) print(io, `\nNot at an end: ${summary.notTerminal.length} (${summary.notTerminal.slice(0, 5).join(', ')})`);
      if (summary.unexpectedRefusals.length) print(io, `Unexpected refusals: ${summary.unexpectedRefusals.length}: ${summary.unexpectedRefusals[0]!.error}`);
      print(io, `\nNext: interlend requests --state completed | interlend history <id> | interlend queues | interlend stats`);
    }
    return summary.notTerminal.length || summary.unexpectedRefusals.length ? 1 : 0;
  } finally {
    await sqlite.close();
  }
}

