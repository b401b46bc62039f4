import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { StoreError } from '@interlend/engine';

/** The CLI's own executable (services/cli/bin/interlend.js), from src/ (tests) or dist/ alike. */
export const CLI_BIN = path.resolve(__dirname, '..', 'bin', 'interlend.js');

export interface WorkerProcess {
  readonly name: string;
  readonly process: ChildProcess;
  /** Every JSON line the worker printed so far. */
  readonly lines: Record<string, unknown>[];
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** The last few kilobytes it wrote on stderr. */
  stderr(): string;
}

export interface StartWorkersOptions {
  /** `interlend worker` flags shared by all (--nats, --db, --prefix ...); --json and --name are added. */
  readonly args: readonly string[];
  readonly count: number;
  /** Names: `${namePrefix}${i}`. */
  readonly namePrefix: string;
  readonly env?: NodeJS.ProcessEnv;
  /** How long each may take to say it started. Default 30 s. */
  readonly startTimeoutMs?: number;
  /** Told of every line a worker prints (JSON parsed). */
  readonly onLine?: (worker: string, line: Record<string, unknown>) => void;
}

/**
 * Starts `interlend worker` processes and resolves once each has said it started (its first
 * JSON line, `event: 'started'`). A worker that exits or says nothing in time fails the start
 * with what it wrote on stderr, and the others are stopped.
 */
export async function startWorkerProcesses(options: StartWorkersOptions): Promise<WorkerProcess[]> {
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 1; i <= options.count; i++) workers.push(startOne(`${options.namePrefix}${i}`, options));
    await Promise.all(workers.map((w) => started(w, options.startTimeoutMs ?? 30_000)));
    return workers;
  } catch (error) {
    await stopWorkerProcesses(workers);
    throw error;
  }
}

function startOne(name: string, options: StartWorkersOptions): WorkerProcess {
  const child = spawn(process.execPath, [CLI_BIN, 'worker', ...options.args, '--json', '--name', name], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4_000);
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { event: 'output', text };
    }
    lines.push(line);
    if (lines.length > 10_000) lines.splice(0, 5_000);
    options.onLine?.(name, line);
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { name, process: child, lines, exited, stderr: () => stderr };
}

async function started(worker: WorkerProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended: number | string | undefined;
  void worker.exited.then((code) => (ended = code));
  while (!worker.lines.some((l) => l.event === 'started')) {
    const stderr = worker.stderr().trim();
    if (ended !== undefined) throw new StoreError(`worker ${worker.name} exited (${ended}) before it started${stderr ? `: ${stderr}` : ''}`, { worker: worker.name });
    if (Date.now() > deadline) throw new StoreError(`worker ${worker.name} did not start within ${timeoutMs} ms${stderr ? `: ${stderr}` : ''}`, { worker: worker.name });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGTERM (stop taking work, finish what is in hand), then SIGKILL after `graceMs`; resolves when all have exited. */
export async function stopWorkerProcesses(workers: readonly WorkerProcess[], graceMs = 15_000): Promise<(number | string)[]> {
  return Promise.all(
    workers.map(async (w) => {
      if (w.process.exitCode !== null || w.process.signalCode !== null) return w.exited;
      w.process.kill('SIGTERM');
      const timer = setTimeout(() => w.process.kill('SIGKILL'), graceMs);
      try {
        return await w.exited;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
}
