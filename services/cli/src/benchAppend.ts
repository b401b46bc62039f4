/**
 * `npm run bench:append`: the SQLite store's append path against the bare better-sqlite3 append of
 * the same events at the same durability (issue 12, item 3), and what each schema choice costs.
 *
 * The events are those of N requests driven through the 8 commands of a happy path (9 events each,
 * UUID v7 ids as the engine makes them), one append per command. Each side writes them to a new
 * file, one transaction per append, reading the stream's revision first (read-then-append):
 *
 * - **store**: `SqliteEventStore.appendToStream` as the engine calls it: validation, the expected
 *   revision, the event-id check, the hash chain, the append notification;
 * - **bare**: better-sqlite3 alone: `BEGIN IMMEDIATE`, `SELECT max(revision)` of the stream,
 *   one `INSERT` per event (data and metadata `JSON.stringify`-ed) into a rowid table with the
 *   (stream_id, revision) index a read of a stream needs, `COMMIT`; no event-id check, no chain.
 *
 * The two alternate round by round (store, bare, store, bare, ...) after one warm-up round, and
 * the median of the per-round ratios is reported, at synchronous=FULL and NORMAL. `--variants`
 * also measures schema variants, each against the bare append in the same alternating way: the
 * previous layout (v3) and v3 with one choice changed, so each choice is measured on its own.
 *
 * Beside the times, the pages each append writes to the WAL (what a commit at NORMAL costs most,
 * in write calls and checksums), by table and index: one more untimed run of each side with
 * checkpoints off, each WAL frame attributed to its b-tree through SQLite's `dbstat`. Unlike the
 * times, these counts do not depend on the machine's load.
 *
 * Options: --requests N (default 150), --rounds R (default 7), --variants, --write (replaces the
 * `append` section of docs/benchmarks.md).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { CommandHandler, InMemoryEventStore, ManualClock, SeededIds, canonicalJson, checkExpectedRevision, eventHash, eventHashInputOfTexts, GENESIS_HASH, type ExpectedRevision, type NewEvent } from '@interlend/engine';
import { illRequestWorkflow, parseDirectory } from '@interlend/ill';
import { sampleDirectoryJson } from '@interlend/ill/testing';
import { nodeSha256Hex, openSqlite, rawAppendBaseline } from '@interlend/store-sqlite';
import { median, wholeFlag, writeFigures } from './benchFigures';
import { happyPath } from './benchWorkload';

type Sync = 'full' | 'normal';
interface Append {
  readonly streamId: string;
  readonly events: NewEvent[];
  readonly expected: ExpectedRevision;
}

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => wholeFlag(args, name, fallback);
const REQUESTS = flag('requests', 150);
/** The variants run at NORMAL only unless `--variants-full`: at FULL every variant waits on the same fsync. */
const VARIANT_SYNC: readonly Sync[] = args.includes('--variants-full') ? ['full', 'normal'] : ['normal'];
const ROUNDS = flag('rounds', 7);
const dir = mkdtempSync(path.join(tmpdir(), 'interlend-bench-append-'));
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** The appends the engine makes for REQUESTS happy paths, requests interleaved as a network's would be. */
async function workload(): Promise<Append[]> {
  const store = new InMemoryEventStore();
  const clock = new ManualClock('2026-01-05T09:00:00.000Z');
  const handler = new CommandHandler({ workflow: illRequestWorkflow, store, services: { directory: parseDirectory(sampleDirectoryJson()) }, clock, ids: new SeededIds(1, clock) });
  const paths = Array.from({ length: REQUESTS }, (_, i) => happyPath(`REQ-${i}`, { commandSuffix: `:${i}` }));
  const appends: Append[] = [];
  for (let step = 0; step < 8; step++) {
    for (const commands of paths) {
      const command = commands[step]!;
      clock.advance(1_000);
      const result = await handler.handle(command);
      const first = result.events[0]!.revision;
      appends.push({ streamId: command.streamId, events: result.events.map(({ id, type, data, metadata }) => ({ id, type, data, metadata })), expected: first === 0 ? 'no_stream' : first - 1 });
    }
  }
  return appends;
}

/** One schema choice of the event log, for the variants. */
interface Layout {
  readonly autoincrement: boolean;
  /** The revision and head hash from a `streams` table (upserted per append), or from the (stream_id, revision) index. */
  readonly streamsTable: boolean;
  readonly eventIdIndex: boolean;
  readonly hashChain: boolean;
  /** Store the canonical JSON the hash is taken over (one serialization per object, schema 4) rather than JSON.stringify's text beside it. */
  readonly canonicalText: boolean;
}

const BARE: Layout = { autoincrement: false, streamsTable: false, eventIdIndex: false, hashChain: false, canonicalText: false };
const V3: Layout = { autoincrement: true, streamsTable: true, eventIdIndex: true, hashChain: true, canonicalText: false };
const V4: Layout = { autoincrement: false, streamsTable: false, eventIdIndex: true, hashChain: true, canonicalText: true };

let files = 0;
function newFile(sync: Sync): { db: Database.Database; file: string } {
  const file = path.join(dir, `${files++}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync.toUpperCase()}`);
  db.pragma('cache_size = -65536');
  return { db, file };
}

function finish(db: Database.Database, file: string): void {
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
}

/** Wall-clock and CPU seconds (user + system, this process only) spent since the clock started. */
interface Spent {
  readonly wall: number;
  readonly cpu: number;
}

function startClock(): () => Spent {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: (performance.now() - wall) / 1000, cpu: (used.user + used.system) / 1e6 };
  };
}

/** Appends `appends` through better-sqlite3 with `layout`; returns the time taken, or with `pages` the WAL pages written instead (untimed). */
function layoutRun(sync: Sync, appends: readonly Append[], layout: Layout): Spent;
function layoutRun(sync: Sync, appends: readonly Append[], layout: Layout, pages: true): Pages;
function layoutRun(sync: Sync, appends: readonly Append[], layout: Layout, pages = false): Spent | Pages {
  const { db, file } = newFile(sync);
  db.exec(`
    CREATE TABLE events (
      position INTEGER PRIMARY KEY${layout.autoincrement ? ' AUTOINCREMENT' : ''},
      stream_id TEXT NOT NULL, revision INTEGER NOT NULL, event_id TEXT NOT NULL, type TEXT NOT NULL,
      data TEXT NOT NULL, metadata TEXT NOT NULL${layout.hashChain ? ', previous_hash TEXT, hash TEXT' : ''}
    );
    CREATE UNIQUE INDEX events_by_stream ON events (stream_id, revision);
    ${layout.eventIdIndex ? 'CREATE UNIQUE INDEX events_by_id ON events (event_id);' : ''}
    ${layout.streamsTable ? 'CREATE TABLE streams (stream_id TEXT PRIMARY KEY, revision INTEGER NOT NULL, hash TEXT) WITHOUT ROWID;' : ''}
  `);
  const head = layout.streamsTable
    ? db.prepare<[string], [number, string | null]>('SELECT revision, hash FROM streams WHERE stream_id = ?').raw(true)
    : layout.hashChain
      ? db.prepare<[string], [number, string | null]>('SELECT revision, hash FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1').raw(true)
      : db.prepare<[string], [number | null]>('SELECT max(revision) FROM events WHERE stream_id = ?').raw(true);
  const insert = layout.hashChain
    ? db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata, previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    : db.prepare('INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)');
  const upsert = layout.streamsTable
    ? db.prepare('INSERT INTO streams (stream_id, revision, hash) VALUES (?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET revision = excluded.revision, hash = excluded.hash')
    : undefined;
  const append = db.transaction((streamId: string, events: readonly NewEvent[], expected: ExpectedRevision) => {
    const row = head.get(streamId);
    const current = row?.[0] ?? -1;
    checkExpectedRevision(streamId, expected, current);
    let revision = current;
    let previous = (row?.[1] as string | null | undefined) ?? GENESIS_HASH;
    for (const event of events) {
      revision++;
      if (layout.hashChain && layout.canonicalText) {
        const data = canonicalJson(event.data);
        const metadata = canonicalJson(event.metadata);
        const hash = nodeSha256Hex(eventHashInputOfTexts(previous, { streamId, revision, id: event.id, type: event.type }, data, metadata));
        insert.run(streamId, revision, event.id, event.type, data, metadata, previous, hash);
        previous = hash;
      } else if (layout.hashChain) {
        const hash = eventHash(previous, { streamId, revision, id: event.id, type: event.type, data: event.data, metadata: event.metadata }, nodeSha256Hex);
        insert.run(streamId, revision, event.id, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata), previous, hash);
        previous = hash;
      } else {
        insert.run(streamId, revision, event.id, event.type, JSON.stringify(event.data), JSON.stringify(event.metadata));
      }
    }
    upsert?.run(streamId, revision, previous);
  });
  if (pages) {
    const count = countWalPages(db, file, appends.length, () => {
      for (const a of appends) append.immediate(a.streamId, a.events, a.expected);
    });
    finish(db, file);
    return count;
  }
  const clock = startClock();
  for (const a of appends) append.immediate(a.streamId, a.events, a.expected);
  const spent = clock();
  finish(db, file);
  return spent;
}

/** WAL pages written per append, by b-tree (table or index name; 'page 1' is the file header, which changes whenever the file grows). */
type Pages = Map<string, number>;

/**
 * Runs `run` with checkpoints off, from an empty WAL, and attributes each frame it wrote to the
 * table or index owning the page (`dbstat`); per append.
 */
function countWalPages(db: Database.Database, file: string, appends: number, run: () => void): Pages {
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  run();
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const owner = new Map(db.prepare<[], [number, string]>('SELECT pageno, name FROM dbstat').raw(true).all());
  const wal = readFileSync(`${file}-wal`);
  const pages: Pages = new Map();
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    const page = wal.readUInt32BE(offset);
    const name = page === 1 ? 'page 1' : (owner.get(page) ?? 'other');
    pages.set(name, (pages.get(name) ?? 0) + 1 / appends);
  }
  db.pragma('wal_autocheckpoint = 1000');
  return pages;
}

const totalPages = (pages: Pages): number => [...pages.values()].reduce((sum, n) => sum + n, 0);

/** The store's own append path, as the engine calls it; returns the seconds taken. */
async function storeRun(sync: Sync, appends: readonly Append[]): Promise<Spent> {
  const file = path.join(dir, `${files++}.db`);
  const sqlite = openSqlite(file, { synchronous: sync });
  const clock = startClock();
  for (const a of appends) await sqlite.events.appendToStream(a.streamId, a.events, { expectedRevision: a.expected });
  const spent = clock();
  await sqlite.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return spent;
}

/** The WAL pages per append of the store's path (untimed; the same appends, synchronously through the store's transaction). */
async function storePages(appends: readonly Append[]): Promise<Pages> {
  const file = path.join(dir, `${files++}.db`);
  const sqlite = openSqlite(file, { synchronous: 'normal' });
  const pages = countWalPages(sqlite.db, file, appends.length, () => {
    for (const a of appends) rawAppendBaseline(sqlite.db, a.streamId, a.events, a.expected);
  });
  await sqlite.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  return pages;
}

interface Ratio {
  /** bare / candidate, wall clock: 1 = as fast as the bare append. */
  readonly ratio: number;
  /** The same from CPU time (what the machine's other load moves least). */
  readonly cpuRatio: number;
  readonly perSecond: number;
  readonly barePerSecond: number;
}

/** Medians over alternating rounds of the bare append's time over the candidate's (1 = as fast as the bare append). */
async function ratio(label: string, sync: Sync, appends: readonly Append[], candidate: () => Promise<Spent> | Spent): Promise<Ratio> {
  await candidate();
  layoutRun(sync, appends, BARE);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const rates: number[] = [];
  const bareRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c = await candidate();
    const b = layoutRun(sync, appends, BARE);
    ratios.push(b.wall / c.wall);
    cpuRatios.push(b.cpu / c.cpu);
    rates.push(appends.length / c.wall);
    bareRates.push(appends.length / b.wall);
  }
  const result = { ratio: median(ratios), cpuRatio: median(cpuRatios), perSecond: median(rates), barePerSecond: median(bareRates) };
  log(`  ${sync.padEnd(6)} ${label.padEnd(58)} ${Math.round(result.perSecond)} appends/s, bare ${Math.round(result.barePerSecond)}: ${result.ratio.toFixed(2)} (CPU ${result.cpuRatio.toFixed(2)})`);
  return result;
}

async function main(): Promise<void> {
  const appends = await workload();
  log(`interlend bench:append: ${appends.length} appends (${REQUESTS} requests x 8 commands, 9 events each), ${ROUNDS} alternating rounds, in ${dir}`);
  const n = (x: number): string => Math.round(x).toLocaleString('en-US');
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 10)} (2 cores, Node ${process.version}): ${n(appends.length)} appends of ${REQUESTS} requests' happy paths; medians of ${ROUNDS} alternating rounds after one warm-up round, one run.`,
    '',
    '| append path | synchronous | appends/s | bare appends/s | ratio to bare | ratio of CPU time | target |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const sync of ['full', 'normal'] as const) {
    const store = await ratio('store (schema v4)', sync, appends, () => storeRun(sync, appends));
    lines.push(`| \`SqliteEventStore.appendToStream\` | ${sync.toUpperCase()} | ${n(store.perSecond)} | ${n(store.barePerSecond)} | ${store.ratio.toFixed(2)} | ${store.cpuRatio.toFixed(2)} | >= ${sync === 'full' ? '0.85' : '0.70'} |`);
  }
  const pageNames: [string, string][] = [
    ['events', 'events (table)'],
    ['events_by_stream', '(stream_id, revision) index'],
    ['events_by_id', 'event-id index'],
    ['page 1', 'page 1 (file header)'],
  ];
  const pagesOf: [string, Pages][] = [
    ['bare', layoutRun('normal', appends, BARE, true)],
    ['`SqliteEventStore` (schema v4)', await storePages(appends)],
  ];
  lines.push(
    '',
    `| WAL pages written per append (NORMAL, checkpoints off) | ${pageNames.map(([, label]) => label).join(' | ')} | total |`,
    `|---|${pageNames.map(() => '---|').join('')}---|`,
    ...pagesOf.map(([label, pages]) => `| ${label} | ${pageNames.map(([name]) => (pages.get(name) ?? 0).toFixed(2)).join(' | ')} | ${totalPages(pages).toFixed(2)} |`),
  );
  for (const [label, pages] of pagesOf) log(`  pages  ${label.padEnd(58)} ${totalPages(pages).toFixed(2)} per append: ${[...pages].map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
  if (args.includes('--variants')) {
    const variants: [string, Layout][] = [
      ['v3 layout (AUTOINCREMENT, event-id index, streams, chain)', V3],
      ['v3 without AUTOINCREMENT', { ...V3, autoincrement: false }],
      ['v3 without the streams table', { ...V3, streamsTable: false }],
      ['v3 without the event-id index', { ...V3, eventIdIndex: false }],
      ['v3 without the hash chain', { ...V3, hashChain: false }],
      ['v4 layout (event-id index, chain, canonical text stored)', V4],
      ['v4 storing JSON.stringify text beside the canonical hash', { ...V4, canonicalText: false }],
      ['v4 with AUTOINCREMENT', { ...V4, autoincrement: true }],
      ['v4 with the streams table', { ...V4, streamsTable: true }],
      ['v4 without the event-id index', { ...V4, eventIdIndex: false }],
      ['v4 without the hash chain', { ...V4, hashChain: false, canonicalText: false }],
    ];
    lines.push('', '| schema variant (better-sqlite3 alone, same workload) | synchronous | appends/s | ratio to bare | ratio of CPU time | WAL pages per append |', '|---|---|---|---|---|---|');
    for (const sync of VARIANT_SYNC) {
      for (const [label, layout] of variants) {
        const v = await ratio(label, sync, appends, () => layoutRun(sync, appends, layout));
        const pages = totalPages(layoutRun('normal', appends, layout, true));
        lines.push(`| ${label} | ${sync.toUpperCase()} | ${n(v.perSecond)} | ${v.ratio.toFixed(2)} | ${v.cpuRatio.toFixed(2)} | ${pages.toFixed(2)} |`);
      }
    }
  }
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  if (args.includes('--write')) {
    writeFigures('append', table);
    log('wrote docs/benchmarks.md');
  }
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:append failed: ${String((error as Error)?.stack ?? error)}\n`);
  process.exitCode = 1;
});
