/**
 * `interlend serve --nats URL`: commands go through a real nats-server to a real worker process,
 * which writes the database the API reads; the key id travels in the NATS envelope to the event.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKeys, openEmbedded } from '@interlend/deployment';
import { saveDirectory } from '@interlend/ill';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { openSqlite } from '@interlend/store-sqlite';

jest.setTimeout(90_000);

const BIN = path.resolve(__dirname, '../../../cli/bin/interlend.js');
const BUILT = path.resolve(__dirname, '../../../cli/dist/main.js');
const PREFIX = 'e2e-serve';

const dir = mkdtempSync(path.join(tmpdir(), 'interlend-serve-nats-'));
const dbPath = path.join(dir, 'interlend.db');
const children: ChildProcess[] = [];
let nats: NatsServerHandle | undefined;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[]): { child: ChildProcess; output: () => string } {
  const env = { ...process.env };
  delete env.INTERLEND_DB;
  delete env.INTERLEND_NATS;
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (out += c));
  return { child, output: () => out };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('sends commands to the NATS workers and reads what they wrote; the event records the key', async () => {
  if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: build first ('npx tsc -b services/cli')`);
  nats = await startNatsServer();
  const app = await openEmbedded(dbPath);
  await saveDirectory(app.events, sampleDirectoryJson(), { actor: { id: 'hub', role: 'hub' }, time: new Date().toISOString(), eventId: app.ids.next() });
  const { key, keyId } = await new ApiKeys(app.events).create({ library: 'LIB1', role: 'borrowing', actor: { id: 'operator', role: 'admin' } });
  await app.close();

  const worker = start(['worker', '--nats', nats.url, '--prefix', PREFIX, '--db', dbPath]);
  const api = start(['serve', '--port', '0', '--nats', nats.url, '--prefix', PREFIX, '--db', dbPath]);
  const url = await until('the listening line', async () => /listening on (http:\/\/\S+)/.exec(api.output())?.[1]);

  // Until the worker is up, a command finds no responder (503): then it is applied.
  const submitted = await until('a worker to apply the submit', async () => {
    const res = await fetch(`${url}/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': 'nats-submit-1' },
      body: JSON.stringify(sampleRequest()),
    });
    if (res.status === 503) return undefined;
    return { status: res.status, body: (await res.json()) as { requestId: string; state: string; allowed: string[] } };
  });
  expect(submitted.status).toBe(201);
  expect(submitted.body.state).toBe('networkCheck');
  expect(submitted.body.allowed).toContain('notAvailableLocally');

  // The API reads the database the worker wrote.
  const read = await fetch(`${url}/v1/requests/${submitted.body.requestId}`, { headers: { authorization: `Bearer ${key}` } });
  expect(read.status).toBe(200);
  expect(((await read.json()) as { borrower: string }).borrower).toBe('LIB1');

  const db = openSqlite(dbPath, { readonly: true });
  try {
    const [event] = await db.events.readStream(submitted.body.requestId);
    expect(event!.metadata.actor).toEqual({ id: 'LIB1', role: 'borrowing', key: keyId });
  } finally {
    await db.close();
  }

  for (const p of [api, worker]) p.child.kill('SIGTERM');
  const codes = await Promise.all([api, worker].map((p) => new Promise((resolve) => (p.child.exitCode !== null ? resolve(p.child.exitCode) : p.child.once('exit', (code) => resolve(code))))));
  expect(codes).toEqual([0, 0]);
});
