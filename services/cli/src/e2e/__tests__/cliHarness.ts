/**
 * A workspace for the CLI's end-to-end tests: a fresh temporary directory with its own SQLite
 * database, the CLI run in-process through `run()` (stdout and stderr captured), the real binary
 * run as a child process, and a plain better-sqlite3 connection to look under the CLI.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { run } from '../../cli';

/** The real executable, as `npm` links it. */
export const BIN = path.resolve(__dirname, '../../../bin/interlend.js');
const BUILT = path.resolve(__dirname, '../../../dist/main.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails with what to do when the binary the child-process tests run has not been built. */
export function requireBuiltBinary(): void {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: build the CLI first ('npm run build' or 'npx tsc -b services/cli' at the repository root)`);
}

/** The environment of a child process: this one's, without a database chosen by whoever runs the tests. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  delete base.INTERLEND_DB;
  delete base.INTERLEND_STORE;
  delete base.INTERLEND_READ_MODELS;
  return { ...base, ...env };
}

export class Workspace {
  /** The database in-process runs use (through INTERLEND_DB). */
  readonly dbPath: string;

  constructor(readonly dir: string) {
    this.dbPath = path.join(dir, 'interlend.db');
  }

  /** `interlend ...args` in this process, working directory = the workspace, INTERLEND_DB = `dbPath`. */
  async run(...args: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const code = await run(args, {
      stdout: { write: (chunk: string) => (stdout += chunk) },
      stderr: { write: (chunk: string) => (stderr += chunk) },
      env: { INTERLEND_DB: this.dbPath },
      cwd: this.dir,
    });
    return { code, stdout, stderr };
  }

  /** Runs a command that must succeed quietly with `--json`, and returns its one JSON document. */
  async json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const result = await this.run(...args, '--json');
    if (result.code !== 0 || result.stderr !== '') {
      throw new Error(`interlend ${args.join(' ')} --json exited ${result.code}\nstderr: ${result.stderr}\nstdout: ${result.stdout.slice(0, 2000)}`);
    }
    return JSON.parse(result.stdout) as T;
  }

  /** The real binary as a child process, working directory = the workspace; waits for it. */
  bin(args: readonly string[], env: Record<string, string | undefined> = {}): CliResult {
    const child = spawnSync(process.execPath, [BIN, ...args], { cwd: this.dir, env: childEnv(env), encoding: 'utf8', timeout: 30_000 });
    if (child.error) throw child.error;
    return { code: child.status ?? -1, stdout: child.stdout, stderr: child.stderr };
  }

  /** The real binary as a child process, not waited for. */
  spawnBin(args: readonly string[]): ChildProcess {
    return spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: childEnv({}), stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Writes `value` as JSON to a file in the workspace; returns its name (relative to the workspace). */
  writeJson(name: string, value: unknown): string {
    writeFileSync(path.join(this.dir, name), JSON.stringify(value, null, 2));
    return name;
  }

  /** Copies a closed database into this workspace's `dbPath`. */
  copyDatabaseFrom(source: string): void {
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(`${source}${suffix}`)) copyFileSync(`${source}${suffix}`, `${this.dbPath}${suffix}`);
  }

  /** A separate connection to the database (not the CLI's code path); the caller closes it. */
  connect(): Database.Database {
    return new Database(this.dbPath, { fileMustExist: true });
  }

  /** Runs `fn` on a separate connection to the database, then closes it. */
  sql<T>(fn: (db: Database.Database) => T): T {
    const db = this.connect();
    try {
      return fn(db);
    } finally {
      db.close();
    }
  }
}

/** Temporary directories made by `workspace()`, removed by `removeWorkspaces()`. */
const made: string[] = [];

export function workspace(): Workspace {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlend-e2e-'));
  made.push(dir);
  return new Workspace(dir);
}

export function removeWorkspaces(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with how the child ended (exit code, or the signal that killed it). */
export function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Collects a child's output as it comes. */
export function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return { stdout: () => stdout, stderr: () => stderr };
}

/**
 * A long-lived process that runs CLI invocations sent to it, one at a time, through the built
 * CLI's `run()`: each opens and closes the database as `interlend` does, from its own process
 * (its own SQLite connection, its own caches). Concurrency tests start a few once instead of
 * paying Node's start-up for every command.
 */
export class CliProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, (result: CliResult) => void>();
  private next = 0;
  private buffer = '';

  constructor() {
    requireBuiltBinary();
    const driver = `
      const { run } = require(${JSON.stringify(path.resolve(__dirname, '../../../dist/cli.js'))});
      const readline = require('node:readline');
      let queue = Promise.resolve();
      readline.createInterface({ input: process.stdin }).on('line', (line) => {
        const job = JSON.parse(line);
        queue = queue.then(async () => {
          let stdout = '', stderr = '';
          const io = { stdout: { write: (s) => (stdout += s) }, stderr: { write: (s) => (stderr += s) }, env: job.env, cwd: job.cwd };
          let code;
          try { code = await run(job.args, io); } catch (e) { code = 70; stderr += String(e && e.stack || e); }
          process.stdout.write(JSON.stringify({ id: job.id, code, stdout, stderr }) + '\\n');
        });
      });`;
    this.child = spawn(process.execPath, ['-e', driver], { env: childEnv({}), stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
        const { id, ...result } = JSON.parse(this.buffer.slice(0, nl)) as CliResult & { id: number };
        this.buffer = this.buffer.slice(nl + 1);
        this.pending.get(id)?.(result);
        this.pending.delete(id);
      }
    });
  }

  /** `interlend ...args` in this process, against `ws`'s database and working directory. */
  run(ws: Workspace, args: readonly string[]): Promise<CliResult> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, args, env: { INTERLEND_DB: ws.dbPath }, cwd: ws.dir })}\n`);
    });
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await exited(this.child);
  }
}
