import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NatsServerOptions {
  /** Enable JetStream with a temporary store directory. Default true. */
  readonly jetstream?: boolean;
  /** Client port; default: a random free one (`port: -1`). */
  readonly port?: number;
  /** Extra lines of server configuration (e.g. `max_payload: 65536`). */
  readonly config?: string;
  /** Store directory to use instead of a fresh temporary one (kept on stop). */
  readonly storeDir?: string;
  /** How long to wait for the server to say it is ready. Default 10 s. */
  readonly startTimeoutMs?: number;
}

export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGTERM, wait for the exit, remove the temporary directory. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), wait for the exit; the store directory is kept (for a restart). */
  kill(): Promise<void>;
}

const INSTALLED = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

/** Path of the nats-server binary ($NATS_SERVER_BIN, Debian's, or on PATH); throws with an install hint when there is none. */
export function natsServerBinary(env: NodeJS.ProcessEnv = process.env, installed: readonly string[] = INSTALLED): string {
  for (const c of [env.NATS_SERVER_BIN, ...installed]) if (c && existsSync(c)) return c;
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  throw new Error(
    'nats-server is not installed: run `bash scripts/install-test-deps.sh` (or `apt-get install nats-server`), ' +
      'or set NATS_SERVER_BIN to its path. The NATS integration tests start a real server.',
  );
}

/**
 * Starts a real nats-server on a loopback port (random unless given) with JetStream on a
 * temporary store directory, and resolves once it accepts clients. One server per test file:
 * starting one costs about 100 ms.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const root = mkdtempSync(join(tmpdir(), 'interlend-nats-'));
  const storeDir = options.storeDir ?? join(root, 'jetstream');
  const lines = [`listen: "127.0.0.1:${options.port ?? -1}"`, `server_name: "test-${process.pid}-${Math.random().toString(36).slice(2, 8)}"`];
  if (options.jetstream ?? true) lines.push(`jetstream { store_dir: ${JSON.stringify(storeDir)} }`);
  if (options.config) lines.push(options.config);
  const configFile = join(root, 'nats.conf');
  writeFileSync(configFile, lines.join('\n') + '\n');
  // The temporary directory holds the config and, unless one was given, the store: removed on stop.
  const cleanup = () => rmSync(root, { recursive: true, force: true });
  const proc = spawnServer(configFile);
  let port: number;
  try {
    port = await readyPort(proc, options.startTimeoutMs ?? 10_000);
  } catch (error) {
    cleanup();
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop: async () => {
      await terminate(proc, 'SIGTERM');
      cleanup();
    },
    kill: async () => {
      await terminate(proc, 'SIGKILL');
    },
  };
}

/** Runs nats-server with a config file; its log (stderr) is read by `readyPort`. */
export function spawnServer(configFile: string): ChildProcess {
  return spawn(natsServerBinary(), ['-c', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Waits for "Server is ready" in the log and returns the client port from "Listening for client connections on". */
export function readyPort(proc: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let log = '';
    let port: number | undefined;
    const timer = setTimeout(() => fail(new Error(`nats-server did not start within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(error);
    };
    proc.once('error', (e) => fail(new Error(`cannot run nats-server: ${e.message}`)));
    proc.once('exit', (code) => fail(new Error(`nats-server exited with code ${code}:\n${log}`)));
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 20_000) log += chunk.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(log);
      if (m) port = Number(m[1]);
      if (port !== undefined && log.includes('Server is ready')) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.removeAllListeners('error');
        // keep draining stderr so the server never blocks on a full pipe
        proc.stderr?.removeAllListeners('data');
        proc.stderr?.resume();
        resolve(port);
      }
    });
  });
}

function terminate(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    proc.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    proc.kill(signal);
  });
}
