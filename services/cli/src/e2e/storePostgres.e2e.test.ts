/**
 * The CLI on PostgreSQL, end to end, through `--store URL`: a seeded simulation ends every request
 * as on SQLite; rebuild, reads and the audit work on it; `--reset` drops interlend's tables and no
 * other; and the store settings that cannot work are refused with one clear line. One real
 * PostgreSQL server for the file, a database per test.
 */
import { createServer } from 'node:net';
import { Client } from 'pg';
import { spawn } from 'node:child_process';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { startPostgres, type PostgresServerHandle } from '@interlend/store-postgres/testing';
import { BIN, collect, exited, removeWorkspaces, requireBuiltBinary, workspace, type CliResult } from './__tests__/cliHarness';

interface SimulationJson {
  requests: number;
  events: number;
  finalStates: Record<string, number>;
  finalStatesDigest: string;
  notTerminal: string[];
  unexpectedRefusals: unknown[];
  elapsedMs: number;
}

let server: PostgresServerHandle;
let nats: NatsServerHandle | undefined;

beforeAll(async () => {
  requireBuiltBinary();
  server = await startPostgres();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await nats?.stop();
  removeWorkspaces();
});

/** A URL with a password, so that the tests can see it is never printed. */
const withPassword = (url: string): string => {
  const u = new URL(url);
  u.password = 'not-a-real-secret';
  return u.toString();
};

async function timed<T>(what: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await fn();
  console.log(`${what}: ${Math.round(performance.now() - started)} ms`);
  return result;
}

function expectOneLineError(result: CliResult, code: number, ...parts: string[]): void {
  expect(result.code).toBe(code);
  expect(result.stdout).toBe('');
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  for (const part of parts) expect(result.stderr).toContain(part);
}

describe('interlend on PostgreSQL (--store postgres://…)', () => {
  it('simulates to the same final states as SQLite, then rebuilds, lists, shows a history and verifies the chains there', async () => {
    const ws = workspace();
    const url = await server.createDatabase();
    const seeded = ['--requests', '100', '--seed', '5', '--json'];
    const onSqlite = await timed('simulate --db x.db, 100 requests', () => ws.json<SimulationJson>('simulate', ...seeded.slice(0, -1), '--db', 'x.db'));
    const onPostgres = await timed('simulate --store postgres://…, 100 requests', () => ws.json<SimulationJson>('simulate', ...seeded.slice(0, -1), '--store', url));

    expect(onPostgres.notTerminal).toEqual([]);
    expect(onPostgres.unexpectedRefusals).toEqual([]);
    expect(onPostgres.finalStates).toEqual(onSqlite.finalStates);
    expect(onPostgres.events).toBe(onSqlite.events);
    expect(onPostgres.finalStatesDigest).toBe(onSqlite.finalStatesDigest);
    const { elapsedMs: a, ...pgRest } = onPostgres;
    const { elapsedMs: b, ...sqliteRest } = onSqlite;
    expect(pgRest).toEqual(sqliteRest);
    console.log(`100 requests, seed 5: ${onPostgres.events} events; SQLite ${b} ms, PostgreSQL ${a} ms (as reported by simulate)`);

    const verified = await timed('rebuild --verify --store postgres://…', () => ws.json<{ verified?: boolean; ok?: boolean }>('rebuild', '--verify', '--store', url));
    expect(JSON.stringify(verified)).not.toContain('"ok":false');

    type Listed = { count: number; requests: { requestId: string; state: string }[] };
    const listed = await ws.json<Listed>('requests', '--store', url);
    const onSqliteListed = await ws.json<Listed>('requests', '--db', 'x.db');
    expect(listed.count).toBeGreaterThanOrEqual(100);
    const states = (l: Listed) => l.requests.map((r) => r.state).sort();
    expect(states(listed)).toEqual(states(onSqliteListed));
    const id = listed.requests[0]!.requestId;

    const history = await ws.json<{ requestId: string; events: unknown[] }>('history', id, '--store', url);
    expect(history.requestId).toBe(id);
    expect(history.events.length).toBeGreaterThan(0);

    const audit = await ws.json<{ ok: boolean; events: number; database: string }>('audit', 'verify', '--store', url);
    expect(audit.ok).toBe(true);
    expect(audit.events).toBe(onPostgres.events);
  }, 180_000);

  it('simulate --nats --workers 4 drives one PostgreSQL database from 4 worker processes to the same final states as one process on SQLite', async () => {
    nats = await startNatsServer();
    const ws = workspace();
    const url = withPassword(await server.createDatabase()); // trust authentication: the password is not checked, only carried
    const reference = await ws.json<SimulationJson>('simulate', '--requests', '30', '--seed', '5', '--db', 'ref.db');
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'simulate', '--nats', nats.url, '--workers', '4', '--store', url, '--requests', '30', '--seed', '5', '--json'], { cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = collect(child);
    const { code } = await exited(child);
    const ms = Math.round(performance.now() - started);
    if (code !== 0) throw new Error(`simulate --nats --store exited ${code}: ${out.stderr().slice(-3000)}`);
    const result = JSON.parse(out.stdout()) as SimulationJson & { workers: number };
    expect(result.workers).toBe(4);
    expect(result.notTerminal).toEqual([]);
    expect(result.unexpectedRefusals).toEqual([]);
    expect(result.finalStates).toEqual(reference.finalStates);
    expect(result.events).toBe(reference.events);
    expect(result.finalStatesDigest).toBe(reference.finalStatesDigest);
    expect(out.stderr()).not.toContain('not-a-real-secret');
    console.log(`simulate --nats --workers 4 --store postgres://…: 30 requests (seed 5), ${result.events} events, digest equal to SQLite in one process; ${ms} ms`);
  }, 240_000);

  it('refuses a store that already holds events; --reset drops interlend tables and leaves every other table alone', async () => {
    const ws = workspace();
    const url = await server.createDatabase();
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("CREATE TABLE library_notes (note text); INSERT INTO library_notes VALUES ('keep me')");
      expect((await ws.run('simulate', '--requests', '3', '--seed', '1', '--store', url, '--json')).code).toBe(0);

      const again = await ws.run('simulate', '--requests', '3', '--seed', '1', '--store', url);
      expectOneLineError(again, 2, 'already holds', '--reset');

      const reset = await ws.json<SimulationJson>('simulate', '--requests', '3', '--seed', '2', '--store', url, '--reset');
      expect(reset.notTerminal).toEqual([]);
      expect((await client.query('SELECT note FROM library_notes')).rows).toEqual([{ note: 'keep me' }]);
      const audit = await ws.json<{ ok: boolean; events: number }>('audit', 'verify', '--store', url);
      expect(audit).toMatchObject({ ok: true, events: reset.events });

      // Tables that share interlend's names but are not interlend's are never dropped.
      const foreign = await server.createDatabase();
      const other = new Client({ connectionString: foreign });
      await other.connect();
      try {
        await other.query("CREATE TABLE events (id int); INSERT INTO events VALUES (1)");
        const refused = await ws.run('simulate', '--requests', '3', '--store', foreign, '--reset');
        expectOneLineError(refused, 1, 'refusing to reset', 'nothing was dropped');
        expect((await other.query('SELECT id FROM events')).rows).toEqual([{ id: 1 }]);
      } finally {
        await other.end();
      }
    } finally {
      await client.end();
    }
  }, 120_000);

  it('refuses store settings that cannot work, in one line and quickly', async () => {
    const ws = workspace();
    const url = await server.createDatabase();
    expectOneLineError(await ws.run('requests', '--db', 'x.db', '--store', url), 2, '--db and --store');
    expectOneLineError(await ws.run('requests', '--store', 'mysql://localhost/interlend'), 2, "'mysql:' is not a store");
    expectOneLineError(await ws.run('requests', '--store', 'kurrentdb://localhost:2113'), 2, 'KurrentDB', '--read-models');
    expectOneLineError(await ws.run('requests', '--store', 'kurrentdb://localhost:2113', '--read-models', 'kurrentdb://other:2113'), 2, 'read models cannot live in KurrentDB');

    // A reading command on a database without interlend's tables creates nothing.
    expectOneLineError(await ws.run('requests', '--store', url), 2, 'no interlend store', 'interlend simulate');
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'")).rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }

    const port = await closedPort();
    const unreachable = withPassword(`postgres://interlend@127.0.0.1:${port}/interlend`);
    const started = performance.now();
    const result = ws.bin(['simulate', '--requests', '5', '--store', unreachable]);
    const ms = Math.round(performance.now() - started);
    console.log(`unreachable PostgreSQL: exit ${result.code} after ${ms} ms: ${result.stderr.trim()}`);
    expectOneLineError(result, 1, `postgres://interlend:***@127.0.0.1:${port}/interlend`);
    expect(result.stderr).not.toContain('not-a-real-secret');
    expect(ms).toBeLessThan(10_000);
  }, 60_000);
});

/** A loopback port nothing listens on (taken and released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
