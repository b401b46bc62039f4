/**
 * `npm run bench:cli -w @interlend/cli`: what one CLI call costs, the figures of "CLI start-up and
 * reads" in docs/benchmarks.md. It runs the built binary as a user does (a new process each time,
 * its shebang's flags included) against two databases made by `interlend simulate --requests N
 * --seed 3`, of 2,000 and 20,000 requests, made once and kept in a cache directory (the 20,000 one
 * takes a long while: its time is printed and kept beside it).
 *
 * Each round runs every case once, in an order that turns by one each round, so that what the
 * machine is doing weighs on all of them alike; a ratio (`--help` against `node -e 0`, `history`
 * on 20,000 against 2,000 requests) is taken within each round, and the median of the rounds is
 * given. Wall time and CPU time (user + system, of the child itself) are both shown: on a shared
 * machine CPU time is the steadier of the two.
 *
 * Flags: --rounds R (default 7), --sizes 2000,20000, --cache DIR (default $TMPDIR/interlend-bench-cli,
 * or INTERLEND_BENCH_CACHE), --write (put the table into docs/benchmarks.md).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { median, writeFigures } from './benchFigures';

const BIN = path.resolve(__dirname, '..', 'bin', 'interlend.js');
const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const rounds = Number(flag('rounds') ?? 7);
const sizes = (flag('sizes') ?? '2000,20000').split(',').map(Number);
const cache = path.resolve(flag('cache') ?? process.env.INTERLEND_BENCH_CACHE ?? path.join(tmpdir(), 'interlend-bench-cli'));
const log = (line: string) => void process.stderr.write(`${line}\n`);

/** Writes the child's own CPU time (user + system, ms) to the file named by INTERLEND_BENCH_CPU when it exits. */
const PROBE = `process.on('exit', () => { const u = process.cpuUsage(); require('node:fs').writeFileSync(process.env.INTERLEND_BENCH_CPU, String((u.user + u.system) / 1000)); });\n`;

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

interface Case {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

function runOnce(c: Case): Sample {
  const cpuFile = path.join(cache, 'cpu.txt');
  rmSync(cpuFile, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(cache, 'probe.js')}`.trim(), INTERLEND_BENCH_CPU: cpuFile };
  delete env.INTERLEND_DB;
  delete env.INTERLEND_STORE;
  const started = process.hrtime.bigint();
  const child = spawnSync(c.command, c.args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (child.status !== 0) throw new Error(`${c.name} exited ${child.status}: ${child.stderr}`);
  return { wallMs, cpuMs: Number(readFileSync(cpuFile, 'utf8')) };
}

/** The database of `n` requests, seed 3: made once (the time it took is kept beside it). */
function database(n: number): { path: string; simulateMs: number } {
  const file = path.join(cache, `requests-${n}-seed-3.db`);
  const meta = `${file}.json`;
  if (existsSync(file) && existsSync(meta)) return { path: file, simulateMs: (JSON.parse(readFileSync(meta, 'utf8')) as { simulateMs: number }).simulateMs };
  log(`making ${file} (interlend simulate --requests ${n} --seed 3)...`);
  const partial = `${file}.partial`;
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${partial}${suffix}`, { force: true });
  const started = Date.now();
  const child = spawnSync(BIN, ['simulate', '--requests', String(n), '--seed', '3', '--db', partial, '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (child.status !== 0) throw new Error(`simulate --requests ${n} exited ${child.status}`);
  const simulateMs = Date.now() - started;
  renameSync(partial, file); // closed cleanly: no -wal left to carry
  writeFileSync(meta, JSON.stringify({ simulateMs }));
  log(`  ${(simulateMs / 1000).toFixed(0)} s`);
  return { path: file, simulateMs };
}

function firstRequest(db: string): string {
  const child = spawnSync(BIN, ['requests', '--limit', '1', '--json', '--db', db], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`requests --limit 1 exited ${child.status}: ${child.stderr}`);
  return (JSON.parse(child.stdout) as { requests: { requestId: string }[] }).requests[0]!.requestId;
}

function main(): void {
  mkdirSync(cache, { recursive: true });
  writeFileSync(path.join(cache, 'probe.js'), PROBE);
  const dbs = sizes.map((n) => ({ n, ...database(n) }));
  const cases: Case[] = [
    { name: 'node -e 0', command: process.execPath, args: ['-e', '0'] },
    { name: 'interlend --help', command: BIN, args: ['--help'] },
  ];
  for (const db of dbs) {
    const id = firstRequest(db.path);
    cases.push(
      { name: `history (${db.n})`, command: BIN, args: ['history', id, '--db', db.path] },
      { name: `requests --limit 50 --json (${db.n})`, command: BIN, args: ['requests', '--limit', '50', '--json', '--db', db.path] },
      { name: `queues --json (${db.n})`, command: BIN, args: ['queues', '--json', '--db', db.path] },
      { name: `stats --json (${db.n})`, command: BIN, args: ['stats', '--json', '--db', db.path] },
    );
  }
  const samples = new Map<string, Sample[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      const c = cases[(i + round) % cases.length]!;
      samples.get(c.name)!.push(runOnce(c));
    }
    log(`round ${round + 1}/${rounds}`);
  }
  const ratio = (a: string, b: string, of: keyof Sample) => median(samples.get(a)!.map((s, i) => s[of] / samples.get(b)![i]![of]));
  const ms = (name: string, of: keyof Sample) => `${Math.round(median(samples.get(name)!.map((s) => s[of])))}`;
  const lines = [
    `One run, ${rounds} alternating rounds, medians; ${new Date().toISOString().slice(0, 10)}, Node ${process.version}. Databases: \`interlend simulate --requests N --seed 3\` (${dbs.map((d) => `${d.n.toLocaleString('en-US')}: ${(d.simulateMs / 1000).toFixed(0)} s to make`).join('; ')}).`,
    '',
    '| call | wall ms | CPU ms |',
    '| --- | ---: | ---: |',
    ...cases.map((c) => `| \`${c.name}\` | ${ms(c.name, 'wallMs')} | ${ms(c.name, 'cpuMs')} |`),
    '',
    '| ratio (median of the rounds\' ratios) | wall | CPU | target |',
    '| --- | ---: | ---: | ---: |',
    `| \`interlend --help\` / \`node -e 0\` | ${ratio('interlend --help', 'node -e 0', 'wallMs').toFixed(2)} | ${ratio('interlend --help', 'node -e 0', 'cpuMs').toFixed(2)} | ≤ 2 |`,
  ];
  if (dbs.length >= 2) {
    const [small, large] = [dbs[0]!.n, dbs[dbs.length - 1]!.n];
    for (const what of ['history', 'requests --limit 50 --json', 'queues --json', 'stats --json']) {
      const a = `${what} (${large})`;
      const b = `${what} (${small})`;
      lines.push(`| \`${what}\`, ${large.toLocaleString('en-US')} / ${small.toLocaleString('en-US')} requests | ${ratio(a, b, 'wallMs').toFixed(2)} | ${ratio(a, b, 'cpuMs').toFixed(2)} | ${what === 'history' ? '≤ 1.5' : ''} |`);
    }
  }
  const table = lines.join('\n');
  process.stdout.write(`${table}\n`);
  if (argv.includes('--write')) {
    writeFigures('cli-reads', table);
    log('wrote docs/benchmarks.md (CLI start-up and reads)');
  }
}

main();
