import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { ProjectionRunner } from '@interlend/engine';
import { illProjections, simulate } from '@interlend/ill';
import { openSqlite } from '@interlend/store-sqlite';
import { intFlag, parse } from '../args';
import { resolveDbPath } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { Progress } from '../progress';
import { NATS_FLAGS, natsSettings, natsUrl } from '../natsOptions';
import { simulateThroughNats } from './simulateNats';
import { table } from '../format';

const USAGE = 'interlend simulate [--requests N] [--libraries L] [--seed S] [--db PATH] [--reset] [--json] [--nats URL --workers K [--prefix P] [--replicas N]]';
const HELP = `usage: ${USAGE}

Drives N seeded requests to an end through the engine on a simulated clock.
--reset deletes the database first; without it the database must be new.

With --nats URL and --workers K, starts K worker processes on the database and sends every
command and deadline to them through NATS; the workers, and only they, follow the simulated
clock (a key made for this run, in their environment). The run ends every request in the same
state as in one process (compare finalStatesDigest in --json). Its streams live under a prefix
of their own (sim-<random>, or --prefix P) and are removed at the end unless --prefix was given.
--replicas 3 on a 3-server cluster.`;

export async function simulateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    { requests: { type: 'string' }, libraries: { type: 'string' }, seed: { type: 'string' }, db: { type: 'string' }, reset: { type: 'boolean' }, json: { type: 'boolean' }, ...NATS_FLAGS, workers: { type: 'string' } },
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
  const dbPath = resolveDbPath(io, values.db);
  if (values.reset) for (const suffix of ['', '-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
  const sqlite = openSqlite(dbPath);
  try {
    const existing = await sqlite.events.headPosition();
    if (existing > 0) {
      throw new UsageError(`${dbPath} already holds ${existing} events: a simulation needs a new database (pass --reset to delete it, or --db NEW_PATH)`);
    }
    const progress = new Progress(io, url ? `simulating through NATS with ${workers} worker(s)` : 'simulating', { quiet: values.json });
    const started = performance.now();
    const options = { requests, libraries, seed, onProgress: (done: number, total: number) => progress.update(done, total, 'requests ended') };
    const summary =
      url && settings
        ? await simulateThroughNats(io, { url, settings, cleanUp: values.prefix === undefined, workers, dbPath, options })
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

