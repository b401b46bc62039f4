import { rmSync } from 'node:fs';
import { ProjectionRunner } from '@interlend/engine';
import { illProjections, simulate } from '@interlend/ill';
import { openSqlite } from '@interlend/store-sqlite';
import { intFlag, parse } from '../args';
import { resolveDbPath } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { Progress } from '../progress';
import { table } from '../format';

const USAGE = 'interlend simulate [--requests N] [--libraries L] [--seed S] [--db PATH] [--reset] [--json]';

export async function simulateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { requests: { type: 'string' }, libraries: { type: 'string' }, seed: { type: 'string' }, db: { type: 'string' }, reset: { type: 'boolean' }, json: { type: 'boolean' } }, USAGE, { strayHint: '(the database is --db PATH)' });
  if (values.help) return print(io, `usage: ${USAGE}\n\nDrives N seeded requests to an end through the engine on a simulated clock.\n--reset deletes the database first; without it the database must be new.`), 0;
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
    const progress = new Progress(io, 'simulating', { quiet: values.json });
    const started = performance.now();
    const summary = await simulate(sqlite.events, sqlite.readModels, { requests, libraries, seed, onProgress: (done, total) => progress.update(done, total, 'requests ended') });
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

