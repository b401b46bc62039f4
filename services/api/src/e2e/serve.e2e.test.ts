/**
 * `interlend serve --port 0` as a child process (the built binary): the listening line, /health and
 * /ready, a command sent with a key, JSON logs without the key, and a clean exit on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ApiKeys, openEmbedded } from '@interlend/deployment';
import { saveDirectory } from '@interlend/ill';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';

const BIN = path.resolve(__dirname, '../../../cli/bin/interlend.js');
const BUILT = path.resolve(__dirname, '../../../cli/dist/main.js');

const dir = mkdtempSync(path.join(tmpdir(), 'interlend-serve-'));
const dbPath = path.join(dir, 'interlend.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Collects a child's output; `line(n)` waits for its n-th stdout line. */
class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly process: ChildProcess) {
    process.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    process.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  async firstLine(timeoutMs = 20_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    while (!this.stdout.includes('\n')) {
      if (Date.now() > until || this.process.exitCode !== null) throw new Error(`no line on stdout\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.stdout.slice(0, this.stdout.indexOf('\n'));
  }
}

describe('interlend serve', () => {
  let child: Child | undefined;
  afterEach(() => {
    if (child && child.process.exitCode === null) child.process.kill('SIGKILL');
  });

  it('prints the listening line, answers /health, /ready and a command with a key, logs JSON without the key, and exits 0 on SIGTERM', async () => {
    if (!existsSync(BUILT)) throw new Error(`${BUILT} is missing: build first ('npx tsc -b services/cli' at the repository root)`);
    // A database with the sample directory and one borrowing key, made the way `interlend keys create` makes them.
    const app = await openEmbedded(dbPath);
    await saveDirectory(app.events, sampleDirectoryJson(), { actor: { id: 'hub', role: 'hub' }, time: new Date().toISOString(), eventId: app.ids.next() });
    const { key } = await new ApiKeys(app.events).create({ library: 'LIB1', role: 'borrowing', actor: { id: 'operator', role: 'admin' } });
    await app.close();

    const env = { ...process.env };
    delete env.INTERLEND_DB;
    delete env.INTERLEND_NATS;
    child = new Child(spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', dbPath], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));

    const line = await child.firstLine();
    const match = /^interlend serve: listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line);
    expect(match).not.toBeNull();
    const url = match![1]!;
    expect(Number(match![2])).toBeGreaterThan(0);

    expect(await (await fetch(`${url}/health`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);

    const submitted = await fetch(`${url}/v1/requests`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(sampleRequest()) });
    expect(submitted.status).toBe(201);
    const body = (await submitted.json()) as { requestId: string; state: string };
    expect(body.state).toBe('networkCheck');
    const read = await fetch(`${url}/v1/requests/${body.requestId}`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await read.json()) as { borrower: string }).borrower).toBe('LIB1');
    expect((await fetch(`${url}/v1/me`)).status).toBe(401);

    const reference = await fetch(`${url}/reference/`);
    expect(reference.status).toBe(200);
    expect(await reference.text()).toMatch(/scalar/i);

    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });

    // After the first line: JSON log lines, with request ids, and never the key itself.
    const logs = child.stdout.split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as { msg: string; requestId?: string; reqId?: string });
    expect(logs.some((l) => l.msg === 'request completed' && typeof (l.reqId ?? l.requestId) === 'string')).toBe(true);
    // The secret (base64url: it may hold '_' itself) never reaches the logs.
    expect(child.stdout + child.stderr).not.toContain(key.replace(/^ilk_[0-9a-f]{16}_/, ''));
  }, 60_000);
});
