/**
 * `npm run bench`: the figures in docs/benchmarks.md, each measured as a ratio within one run.
 *
 * 1. Commands/s through the engine on SQLite against the ceiling: the raw append of the same
 *    events, one transaction per command, through the same SQL, at the same durability.
 * 2. Replay of one request's history (fold), warm and from the store.
 * 3. Rebuild of every read model against a raw sequential read of the same events.
 *
 * Runs alternate (engine, raw, engine, raw, ...) and the median of each is reported, because the
 * machines are shared and noisy. `--write` replaces the figures section of docs/benchmarks.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CommandHandler, ManualClock, ProjectionRunner, SeededIds, fold, timersProjection, type EventStore, type NewEvent, type StoredEvent } from '@interlend/engine';
import { illProjections, illRequestWorkflow, parseDirectory, simulate } from '@interlend/ill';
import { sampleDirectoryJson } from '@interlend/ill/testing';
import { openSqlite, rawAppendBaseline } from '@interlend/store-sqlite';
import { wholeFlag, writeFigures } from './benchFigures';
import { happyPath } from './benchWorkload';

type Sync = 'full' | 'normal';
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => wholeFlag(args, name, fallback);
const REQUESTS = flag('requests', 120);
const ROUNDS = flag('rounds', 5);
const REBUILD_REQUESTS = flag('rebuild-requests', 3000);
const dir = mkdtempSync(path.join(tmpdir(), 'interlend-bench-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The ILL command handler over `store`, on a simulated clock with seeded ids (the same events every run). */
function illHandler(store: EventStore) {
  const clock = new ManualClock('2026-01-05T09:00:00.000Z');
  return new CommandHandler({ workflow: illRequestWorkflow, store, services: { directory: parseDirectory(sampleDirectoryJson()) }, clock, ids: new SeededIds(1, clock) });
}

let run = 0;
async function engineRun(sync: Sync): Promise<{ seconds: number; commands: number; groups: { streamId: string; events: NewEvent[]; expected: number | 'no_stream' }[] }> {
  const file = path.join(dir, `engine-${run++}.db`);
  const sqlite = openSqlite(file, { synchronous: sync });
  const handler = illHandler(sqlite.events);
  const commands = Array.from({ length: REQUESTS }, (_, i) => happyPath(`REQ-${i}`, { commandSuffix: `:${i}` })).flat();
  const groups: { streamId: string; events: NewEvent[]; expected: number | 'no_stream' }[] = [];
  const started = performance.now();
  for (const command of commands) {
    const result = await handler.handle(command);
    groups.push({ streamId: command.streamId, events: result.events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })), expected: result.events[0]!.revision === 0 ? 'no_stream' : result.events[0]!.revision - 1 });
  }
  const seconds = (performance.now() - started) / 1000;
  await sqlite.close();
  rmSync(file, { force: true });
  return { seconds, commands: commands.length, groups };
}

async function rawRun(sync: Sync, groups: { streamId: string; events: NewEvent[]; expected: number | 'no_stream' }[]): Promise<number> {
  const file = path.join(dir, `raw-${run++}.db`);
  const sqlite = openSqlite(file, { synchronous: sync });
  const started = performance.now();
  for (const g of groups) rawAppendBaseline(sqlite.db, g.streamId, g.events, g.expected);
  const seconds = (performance.now() - started) / 1000;
  await sqlite.close();
  rmSync(file, { force: true });
  return seconds;
}

async function commandThroughput(sync: Sync) {
  const engine: number[] = [];
  const raw: number[] = [];
  const ratios: number[] = [];
  let commands = 0;
  // One round to warm up the JIT on both sides, not counted.
  await rawRun(sync, (await engineRun(sync)).groups);
  for (let r = 0; r < ROUNDS; r++) {
    const e = await engineRun(sync);
    const w = await rawRun(sync, e.groups);
    commands = e.commands;
    engine.push(e.commands / e.seconds);
    raw.push(e.commands / w);
    ratios.push(w / e.seconds);
    log(`  ${sync} round ${r + 1}: engine ${(e.commands / e.seconds).toFixed(0)} commands/s, raw ${(e.commands / w).toFixed(0)} commands/s`);
  }
  return { sync, commands, engine: median(engine), raw: median(raw), ratio: median(ratios) };
}

async function replay() {
  const file = path.join(dir, 'replay.db');
  const sqlite = openSqlite(file);
  const handler = illHandler(sqlite.events);
  for (const c of happyPath('REQ-R', { commandSuffix: ':0' })) await handler.handle(c);
  const events: StoredEvent[] = await sqlite.events.readStream('REQ-R');
  const N = 2000;
  for (let i = 0; i < 200; i++) fold(illRequestWorkflow, 'REQ-R', events);
  let started = performance.now();
  for (let i = 0; i < N; i++) fold(illRequestWorkflow, 'REQ-R', events);
  const foldUs = ((performance.now() - started) * 1000) / N;
  started = performance.now();
  for (let i = 0; i < N; i++) fold(illRequestWorkflow, 'REQ-R', await sqlite.events.readStream('REQ-R'));
  const loadUs = ((performance.now() - started) * 1000) / N;
  await sqlite.close();
  return { events: events.length, foldUs, loadUs };
}

async function rebuild() {
  const file = path.join(dir, 'rebuild.db');
  const sqlite = openSqlite(file, { synchronous: 'normal' });
  log(`  simulating ${REBUILD_REQUESTS} requests for the rebuild data set...`);
  await simulate(sqlite.events, sqlite.readModels, { requests: REBUILD_REQUESTS, libraries: 24, seed: 7 });
  const runner = new ProjectionRunner(sqlite.events, sqlite.readModels);
  const projections = [...illProjections, timersProjection];
  const rawRates: number[] = [];
  const rebuildRates: number[] = [];
  const ratios: number[] = [];
  let events = 0;
  await runner.rebuild(projections); // warm-up, not counted
  for (let r = 0; r < ROUNDS; r++) {
    let started = performance.now();
    let n = 0;
    for (let after = 0; ; ) {
      const batch = await sqlite.events.readAll({ after, maxCount: 1_000 });
      if (!batch.length) break;
      n += batch.length;
      after = batch[batch.length - 1]!.position;
    }
    const rawSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const result = await runner.rebuild(projections);
    const rebuildSeconds = (performance.now() - started) / 1000;
    events = n;
    rawRates.push(n / rawSeconds);
    rebuildRates.push(result.events / rebuildSeconds);
    ratios.push(rawSeconds / rebuildSeconds);
    log(`  round ${r + 1}: raw read ${(n / rawSeconds).toFixed(0)} events/s, rebuild ${(result.events / rebuildSeconds).toFixed(0)} events/s`);
  }
  await sqlite.close();
  return { events, raw: median(rawRates), rebuild: median(rebuildRates), ratio: median(ratios) };
}

async function main() {
  log(`interlend bench: ${REQUESTS} requests x 8 commands per round, ${ROUNDS} rounds, in ${dir}`);
  const full = await commandThroughput('full');
  const normal = await commandThroughput('normal');
  log('replay...');
  const r = await replay();
  log('rebuild...');
  const b = await rebuild();
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} on this project's machine kind (2 cores, Node ${process.version}); medians of ${ROUNDS} alternating rounds after one warm-up round.`,
    '',
    '| figure | engine | ceiling | engine / ceiling | target |',
    '|---|---|---|---|---|',
    `| commands/s, SQLite synchronous=FULL (the default) | ${n(full.engine)} | ${n(full.raw)} (raw append) | ${pct(full.ratio)} | >= 50 % |`,
    `| commands/s, SQLite synchronous=NORMAL | ${n(normal.engine)} | ${n(normal.raw)} (raw append) | ${pct(normal.ratio)} | (information) |`,
    `| rebuild of all read models, events/s (${n(b.events)} events) | ${n(b.rebuild)} | ${n(b.raw)} (raw sequential read) | ${pct(b.ratio)} | >= 250,000 events/s and >= 50 % |`,
    `| replay of one request's history (${r.events} events), fold only | ${r.foldUs.toFixed(0)} µs | | | |`,
    `| replay of one request's history, read from SQLite + fold | ${r.loadUs.toFixed(0)} µs | | | |`,
  ];
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  if (args.includes('--write')) {
    writeFigures('figures', table);
    log('wrote docs/benchmarks.md');
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
