import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

export interface PostgresServerOptions {
  /** Directory holding initdb, postgres. Default $POSTGRES_BIN or /usr/lib/postgresql/15/bin. */
  readonly binDir?: string;
  /** How long to wait for the server to accept connections. Default 30 s. */
  readonly startTimeoutMs?: number;
  /** Extra `-c name=value` settings. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

export interface PostgresServerHandle {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Creates an empty database (a fresh name unless given) and returns its URL. Costs milliseconds. */
  createDatabase(name?: string): Promise<string>;
  /** Drops a database made by `createDatabase` (given its URL), ending its sessions. */
  dropDatabase(url: string): Promise<void>;
  /** Fast shutdown (SIGINT), waits for the exit, removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Immediate shutdown (SIGQUIT): every session is cut, nothing is checkpointed, the next start
   * runs crash recovery, as after a crash. Waits for the exit; the data directory is kept for
   * `restart`. (SIGKILL of the postmaster would leave its backends attached to shared memory,
   * and the next start would refuse to run.)
   */
  kill(): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  restart(): Promise<void>;
}

const DEFAULT_BIN = '/usr/lib/postgresql/15/bin';

/** The PostgreSQL binaries directory; throws with an install hint when initdb or postgres is missing. */
export function postgresBinDir(binDir: string = process.env.POSTGRES_BIN ?? DEFAULT_BIN): string {
  if (existsSync(join(binDir, 'initdb')) && existsSync(join(binDir, 'postgres'))) return binDir;
  throw new Error(
    `PostgreSQL 15 is not installed (no initdb/postgres in ${binDir}): run \`bash scripts/install-test-deps.sh\` ` +
      '(it installs postgresql-15), or set POSTGRES_BIN to the directory holding initdb and postgres. ' +
      'The PostgreSQL integration tests start a real server.',
  );
}

/**
 * Settings for a throw-away test server only: no fsync, no full-page writes. A crash of the
 * machine can corrupt such a cluster, which is fine for a temporary directory and NEVER fine for
 * real data. `synchronous_commit` stays on: a commit is written to the kernel before it is
 * acknowledged, so a crash of the server alone (`kill`) loses nothing acknowledged, as in production.
 */
const TEST_ONLY_SETTINGS: Record<string, string | number> = {
  fsync: 'off',
  full_page_writes: 'off',
  max_connections: 100,
  shared_buffers: '64MB',
  max_wal_size: '1GB',
  checkpoint_timeout: '30min',
  autovacuum: 'off',
  log_min_messages: 'warning',
  logging_collector: 'off',
};

/**
 * Starts a real PostgreSQL server (initdb on a temporary data directory) listening on a random
 * free loopback port, with its unix socket in the same temporary directory. PostgreSQL refuses to
 * run as root: when this process is root, the server runs as the unprivileged `postgres` user (the
 * directory is chown'ed to it); otherwise as the current user. One server per test file (starting
 * one costs about a second); a database per test (`createDatabase`, milliseconds).
 */
export async function startPostgres(options: PostgresServerOptions = {}): Promise<PostgresServerHandle> {
  const bin = postgresBinDir(options.binDir);
  const user = serverUser();
  const root = mkdtempSync(join(tmpdir(), 'interlend-pg-'));
  if (user) chownSync(root, user.uid, user.gid);
  const dataDir = join(root, 'data');
  const cleanup = (): void => rmSync(root, { recursive: true, force: true });
  try {
    execFileSync(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      cwd: root,
      env: serverEnv(),
      ...(user ?? {}),
    });
  } catch (error) {
    cleanup();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`initdb failed: ${(error as Error).message}\n${stderr}`, { cause: error });
  }
  const settings = { ...TEST_ONLY_SETTINGS, ...options.settings, listen_addresses: '127.0.0.1', unix_socket_directories: root };
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  let port = 0;
  let proc: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: root, env: serverEnv(), ...(user ?? {}) });
    proc = child;
    await ready(child, timeoutMs);
  };
  // A free port can be taken between the probe and the bind: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3 || !/could not bind|Address already in use/i.test((error as Error).message)) {
        cleanup();
        throw error;
      }
    }
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let databases = 0;
  let stopped = false;
  return {
    url,
    port,
    dataDir,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `test_${process.pid}_${++databases}_${Math.random().toString(36).slice(2, 8)}`;
      await admin(url, `CREATE DATABASE ${quoteIdent(db)}`);
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`;
    },
    async dropDatabase(databaseUrl: string): Promise<void> {
      const db = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
      await admin(url, `DROP DATABASE IF EXISTS ${quoteIdent(db)} WITH (FORCE)`);
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      if (proc) await terminate(proc, 'SIGINT');
      cleanup();
    },
    async kill(): Promise<void> {
      if (proc) await terminate(proc, 'SIGQUIT');
    },
    async restart(): Promise<void> {
      if (proc && proc.exitCode === null && proc.signalCode === null) return;
      await launch();
    },
  };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The uid/gid of `postgres` when running as root (postgres refuses root); undefined otherwise. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    return { uid, gid };
  } catch (error) {
    throw new Error('running as root, and there is no `postgres` user to run the server as: run `bash scripts/install-test-deps.sh`', { cause: error });
  }
}

function serverEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C' };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the log says the server accepts connections; rejects with the log when it exits or times out. */
function ready(proc: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => fail(new Error(`postgres did not start within ${timeoutMs} ms:\n${log}`)), timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(error);
    };
    proc.once('error', (e) => fail(new Error(`cannot run postgres: ${e.message}`)));
    proc.once('exit', (code, signal) => fail(new Error(`postgres exited (${code ?? signal}):\n${log}`)));
    proc.stderr?.on('data', (chunk: Buffer) => {
      if (log.length < 20_000) log += chunk.toString();
      if (log.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.removeAllListeners('error');
        // Keep draining stderr so the server never blocks on a full pipe.
        proc.stderr?.removeAllListeners('data');
        proc.stderr?.resume();
        resolve();
      }
    });
  });
}

function terminate(proc: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    proc.kill(signal);
  });
}
