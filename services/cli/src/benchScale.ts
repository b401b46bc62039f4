/**
 * `npm run bench:scale`: does the cost of a request stay flat as the network grows? Each figure
 * runs `interlend simulate` in a process of its own (the CLI as a user runs it, SQLite at
 * synchronous=NORMAL as simulations are written) at a small and a large size, the two alternating
 * round by round, and reports the ratio of the medians:
 *
 * 1. time per request and peak memory (the process's maximum resident set), 20,000 requests
 *    against 2,000 (24 libraries);
 * 2. time and peak memory with 1,000 libraries against 24, for the same 500 requests;
 * 3. peak memory of a 50,000-request simulation against a 5,000-request one (issue 11);
 * 4. what bounding V8's heap growth costs (heap.ts): the same simulation with V8's own policy
 *    (INTERLEND_HEAP_GROWTH=0) and with the CLI's default bound, time and peak memory;
 * 5. `interlend rebuild --verify` on the largest database written, which must pass.
 *
 * Options: --small N --large N --rounds R, --libraries-small L --libraries-large L
 * --library-requests N --library-rounds R, --memory-small N --memory-large N --memory-rounds R
 * --growth-requests N --growth-rounds R (0 skips a figure), --seed S, --write (replaces the scale section of docs/benchmarks.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { median, wholeFlag, writeFigures } from './benchFigures';
import { DEFAULT_HEAP_GROWTH_PERCENT } from './heap';

const args = process.argv.slice(2);
/** 0 skips a figure. */
const flag = (name: string, fallback: number): number => wholeFlag(args, name, fallback, 0);
const SEED = flag('seed', 3);
const SMALL = flag('small', 2_000);
const LARGE = flag('large', 20_000);
const ROUNDS = flag('rounds', 3);
const LIBS_SMALL = flag('libraries-small', 24);
const LIBS_LARGE = flag('libraries-large', 1_000);
const LIB_REQUESTS = flag('library-requests', 500);
const LIB_ROUNDS = flag('library-rounds', 3);
const MEM_SMALL = flag('memory-small', 5_000);
const MEM_LARGE = flag('memory-large', 50_000);
const MEM_ROUNDS = flag('memory-rounds', 1);
const GROWTH_REQUESTS = flag('growth-requests', 10_000);
const GROWTH_ROUNDS = flag('growth-rounds', 1);

const dir = mkdtempSync(path.join(tmpdir(), 'interlend-bench-scale-'));
const CLI = path.join(__dirname, '..', 'bin', 'interlend.js');
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Preloaded into each run: writes the process's peak resident set (KiB) to a file at exit. */
const HOOK = path.join(dir, 'peak-rss.js');
writeFileSync(
  HOOK,
  `process.on('exit', () => { const f = process.env.INTERLEND_PEAK_RSS_FILE; if (f) require('node:fs').writeFileSync(f, String(process.resourceUsage().maxRSS)); });\n`,
);

interface Run {
  readonly requests: number;
  readonly libraries: number;
  /** Simulation and projection, as the CLI reports it (start-up excluded). */
  readonly ms: number;
  readonly peakMiB: number;
  readonly events: number;
  readonly db: string;
}

function runCli(argv: readonly string[], peakFile?: string, extraEnv: Record<string, string> = {}): { stdout: string; status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--max-semi-space-size=32', '--require', HOOK, CLI, ...argv], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...(peakFile ? { INTERLEND_PEAK_RSS_FILE: peakFile } : {}), ...extraEnv },
  });
  return { stdout: result.stdout, status: result.status, stderr: result.stderr };
}

let runs = 0;
function simulateOnce(requests: number, libraries: number, keep = false, env: Record<string, string> = {}): Run {
  const db = path.join(dir, `sim-${requests}-${libraries}-${runs++}.db`);
  const peakFile = `${db}.rss`;
  const started = Date.now();
  const result = runCli(['simulate', '--requests', String(requests), '--libraries', String(libraries), '--seed', String(SEED), '--db', db, '--json'], peakFile, env);
  if (result.status !== 0) throw new Error(`simulate --requests ${requests} --libraries ${libraries} failed (${result.status}): ${result.stderr.slice(-2000)}`);
  const summary = JSON.parse(result.stdout) as { elapsedMs: number; events: number };
  const peakMiB = Number(readFileSync(peakFile, 'utf8')) / 1024;
  log(`  ${requests} requests, ${libraries} libraries: ${(summary.elapsedMs / 1000).toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(1)} s with start-up), ${(summary.elapsedMs / requests).toFixed(2)} ms a request, peak ${peakMiB.toFixed(0)} MiB, ${summary.events} events`);
  if (!keep) for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  return { requests, libraries, ms: summary.elapsedMs, peakMiB, events: summary.events, db };
}

interface Pair {
  readonly small: Run[];
  readonly large: Run[];
}

/** Small and large alternately, `rounds` times each; the last large database is kept when `keepLast`. */
function alternate(small: [number, number], large: [number, number], rounds: number, keepLast = false): Pair {
  const pair: Pair = { small: [], large: [] };
  for (let r = 0; r < rounds; r++) {
    log(` round ${r + 1} of ${rounds}`);
    pair.small.push(simulateOnce(...small));
    pair.large.push(simulateOnce(large[0], large[1], keepLast && r === rounds - 1));
  }
  return pair;
}

const perRequest = (runs: Run[]) => median(runs.map((r) => r.ms / r.requests));
const peak = (runs: Run[]) => median(runs.map((r) => r.peakMiB));
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const x = (ratio: number) => `${ratio.toFixed(2)}×`;

function main(): void {
  const lines: string[] = [];
  const row = (figure: string, small: string, large: string, ratio: string, target: string) => lines.push(`| ${figure} | ${small} | ${large} | ${ratio} | ${target} |`);
  let largest: Run | undefined;
  const keep = (run: Run | undefined) => {
    if (run && (!largest || run.requests > largest.requests)) {
      if (largest) rmSync(largest.db, { force: true });
      largest = run;
    }
  };

  if (ROUNDS > 0 && SMALL > 0 && LARGE > 0) {
    log(`requests: ${n(SMALL)} against ${n(LARGE)} (${LIBS_SMALL} libraries), ${ROUNDS} alternating rounds`);
    const p = alternate([SMALL, LIBS_SMALL], [LARGE, LIBS_SMALL], ROUNDS, true);
    keep(p.large.at(-1));
    row(`simulate, ms a request (${n(SMALL)} → ${n(LARGE)} requests)`, perRequest(p.small).toFixed(2), perRequest(p.large).toFixed(2), x(perRequest(p.large) / perRequest(p.small)), '≤ 1.1×');
    row(`simulate, peak memory MiB (${n(SMALL)} → ${n(LARGE)} requests)`, n(peak(p.small)), n(peak(p.large)), x(peak(p.large) / peak(p.small)), '≤ 1.3×');
  }
  if (LIB_ROUNDS > 0 && LIB_REQUESTS > 0) {
    log(`libraries: ${LIBS_SMALL} against ${n(LIBS_LARGE)} (${n(LIB_REQUESTS)} requests), ${LIB_ROUNDS} alternating rounds`);
    const p = alternate([LIB_REQUESTS, LIBS_SMALL], [LIB_REQUESTS, LIBS_LARGE], LIB_ROUNDS);
    row(`simulate ${n(LIB_REQUESTS)} requests, ms a request (${LIBS_SMALL} → ${n(LIBS_LARGE)} libraries)`, perRequest(p.small).toFixed(2), perRequest(p.large).toFixed(2), x(perRequest(p.large) / perRequest(p.small)), '≤ 1.2×');
    row(`simulate ${n(LIB_REQUESTS)} requests, peak memory MiB (${LIBS_SMALL} → ${n(LIBS_LARGE)} libraries)`, n(peak(p.small)), n(peak(p.large)), x(peak(p.large) / peak(p.small)), '≤ 1.3×');
  }
  if (MEM_ROUNDS > 0 && MEM_SMALL > 0 && MEM_LARGE > 0) {
    log(`memory: ${n(MEM_SMALL)} against ${n(MEM_LARGE)} requests, ${MEM_ROUNDS} alternating round(s)`);
    const p = alternate([MEM_SMALL, LIBS_SMALL], [MEM_LARGE, LIBS_SMALL], MEM_ROUNDS, true);
    keep(p.large.at(-1));
    row(`simulate, peak memory MiB (${n(MEM_SMALL)} → ${n(MEM_LARGE)} requests)`, n(peak(p.small)), n(peak(p.large)), x(peak(p.large) / peak(p.small)), 'flat (issue 11)');
    row(`simulate, ms a request (${n(MEM_SMALL)} → ${n(MEM_LARGE)} requests)`, perRequest(p.small).toFixed(2), perRequest(p.large).toFixed(2), x(perRequest(p.large) / perRequest(p.small)), '(information)');
  }
  if (GROWTH_ROUNDS > 0 && GROWTH_REQUESTS > 0) {
    log(`heap growth: ${n(GROWTH_REQUESTS)} requests with V8's own policy against the CLI's bound, ${GROWTH_ROUNDS} alternating round(s)`);
    const own: Run[] = [];
    const bounded: Run[] = [];
    for (let r = 0; r < GROWTH_ROUNDS; r++) {
      own.push(simulateOnce(GROWTH_REQUESTS, LIBS_SMALL, false, { INTERLEND_HEAP_GROWTH: '0' }));
      bounded.push(simulateOnce(GROWTH_REQUESTS, LIBS_SMALL, false, { INTERLEND_HEAP_GROWTH: String(DEFAULT_HEAP_GROWTH_PERCENT) }));
    }
    const label = `V8's own heap growth → at most ${DEFAULT_HEAP_GROWTH_PERCENT} % over the live heap`;
    row(`simulate ${n(GROWTH_REQUESTS)} requests, ms a request (${label})`, perRequest(own).toFixed(2), perRequest(bounded).toFixed(2), x(perRequest(bounded) / perRequest(own)), '(the bound\'s cost)');
    row(`simulate ${n(GROWTH_REQUESTS)} requests, peak memory MiB (${label})`, n(peak(own)), n(peak(bounded)), x(peak(bounded) / peak(own)), '(the bound\'s gain)');
  }
  let verified = 'not run';
  if (largest) {
    log(`rebuild --verify on the ${n(largest.requests)}-request database (${n(largest.events)} events)...`);
    const started = Date.now();
    const result = runCli(['rebuild', '--verify', '--db', largest.db]);
    verified = result.status === 0 ? `passes on the ${n(largest.requests)}-request database (${n(largest.events)} events, ${((Date.now() - started) / 1000).toFixed(1)} s)` : `FAILED (${result.status}): ${result.stderr.trim().split('\n').slice(-3).join(' / ')}`;
    log(`  ${verified}`);
  }

  const table = [
    `Measured ${new Date().toISOString().slice(0, 10)} on this project's machine kind (2 cores, Node ${process.version}); \`interlend simulate --seed ${SEED}\` in a process of its own per run, medians of alternating rounds (${ROUNDS} for requests, ${LIB_ROUNDS} for libraries, ${MEM_ROUNDS} for memory, ${GROWTH_ROUNDS} for heap growth). Time is the simulation and its projection as the CLI reports it; memory the process's peak resident set.`,
    '',
    '| figure | small | large | large / small | target |',
    '|---|---|---|---|---|',
    ...lines,
    '',
    `\`interlend rebuild --verify\`: ${verified}.`,
  ].join('\n');
  process.stdout.write(`${table}\n`);
  if (args.includes('--write')) {
    writeFigures('scale-figures', table);
    log('wrote docs/benchmarks.md');
  }
  rmSync(dir, { recursive: true, force: true });
  if (verified.startsWith('FAILED')) process.exitCode = 1;
}

try {
  main();
} catch (error) {
  process.stderr.write(`bench:scale failed: ${String((error as Error)?.stack ?? error)}\n`);
  rmSync(dir, { recursive: true, force: true });
  process.exitCode = 1;
}
