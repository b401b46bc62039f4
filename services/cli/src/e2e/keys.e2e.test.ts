/**
 * `interlend keys` end to end: a key made by the CLI (the real binary, its own process) signs in
 * through the registry a server would use, is listed without its secret, and is revoked; the other
 * commands that read the whole log accept the key stream beside the requests.
 */
import { ApiKeys, API_KEYS_STREAM } from '@interlend/deployment';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { openSqlite, type SqliteHandle } from '@interlend/store-sqlite';
import { existsSync, readFileSync } from 'node:fs';
import { removeWorkspaces, requireBuiltBinary, workspace, type CliResult, type Workspace } from './__tests__/cliHarness';

interface CreatedJson {
  keyId: string;
  key: string;
  library: string;
  role: string;
  label: string | null;
}
interface KeyJson {
  keyId: string;
  library: string;
  role: string;
  label: string | null;
  status: 'active' | 'revoked';
  revokedAt: string | null;
  revokedBy: { id: string; role: string } | null;
  revokeReason: string | null;
  createdBy: { id: string; role: string };
}

beforeAll(requireBuiltBinary);
afterAll(removeWorkspaces);

/** A one-line error: the exit code, nothing on stdout, `interlend keys: ...` on one line of stderr. */
function expectOneLineError(result: CliResult, code: number, ...mentions: string[]): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr).toMatch(/^interlend keys: [^\n]+\n$/);
  for (const text of mentions) expect(result.stderr).toContain(text);
}

async function withDirectory(): Promise<Workspace> {
  const ws = workspace();
  expect((await ws.run('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()))).code).toBe(0);
  return ws;
}

/** The registry as the HTTP API would hold it: its own connection to the file. */
async function withRegistry<T>(ws: Workspace, fn: (keys: ApiKeys, handle: SqliteHandle) => Promise<T>): Promise<T> {
  const handle = openSqlite(ws.dbPath);
  try {
    return await fn(new ApiKeys(handle.events), handle);
  } finally {
    await handle.close();
  }
}

describe('interlend keys', () => {
  it('creates a key, printed once, that signs in as its library and role; lists it without the secret; revokes it', async () => {
    const ws = await withDirectory();
    const made = ws.bin(['keys', 'create', '--library', 'LIB3', '--role', 'lending', '--label', 'ILL desk, evening shift', '--db', ws.dbPath]);
    expect({ code: made.code, stderr: made.stderr }).toEqual({ code: 0, stderr: '' });
    const key = /^ {2}(ilk_[0-9a-f]{16}_[A-Za-z0-9_-]{43})$/m.exec(made.stdout)?.[1];
    expect(key).toBeDefined();
    const keyId = key!.slice(4, 20);
    expect(made.stdout).toContain('will not be shown again');
    expect(made.stdout).toContain(`Authorization: Bearer ${key}`);
    expect(made.stdout).toContain(`interlend keys revoke ${keyId}`);

    // The server's registry, on its own connection, kept open across the revocation below.
    await withRegistry(ws, async (server) => {
      expect(await server.authenticate(key!)).toEqual({ keyId, library: 'LIB3', role: 'lending', label: 'ILL desk, evening shift' });

      const listed = await ws.run('keys', 'list');
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(new RegExp(`^${keyId} +LIB3 +lending +active +.*ILL desk, evening shift$`, 'm'));
      expect(listed.stdout).toContain('1 active, 0 revoked');
      const listedJson = await ws.json<{ keys: KeyJson[] }>('keys', 'list');
      expect(listedJson.keys).toEqual([expect.objectContaining({ keyId, library: 'LIB3', role: 'lending', status: 'active', createdBy: expect.objectContaining({ role: 'admin' }) })]);
      for (const out of [listed.stdout, JSON.stringify(listedJson)]) {
        expect(out).not.toContain(secret(key!));
        expect(out).not.toContain('scrypt');
      }

      const revoked = await ws.run('keys', 'revoke', keyId, '--reason', 'left the library');
      expect({ code: revoked.code, stderr: revoked.stderr }).toEqual({ code: 0, stderr: '' });
      expect(revoked.stdout).toContain(`Revoked API key ${keyId}`);
      // Refused on the server's next request, though it verified (and cached) the key before.
      expect(await server.authenticate(key!)).toBeUndefined();
    });

    const after = await ws.json<{ keys: KeyJson[] }>('keys', 'list');
    expect(after.keys).toEqual([expect.objectContaining({ keyId, status: 'revoked', revokedAt: expect.any(String), revokeReason: 'left the library', revokedBy: expect.objectContaining({ role: 'admin' }) })]);

    // Revoking again is reported and writes nothing; so is an unknown key.
    const events = () => ws.sql((db) => (db.prepare('SELECT COUNT(*) AS n FROM events WHERE stream_id = ?').get(API_KEYS_STREAM) as { n: number }).n);
    expect(events()).toBe(2);
    expectOneLineError(await ws.run('keys', 'revoke', keyId), 1, keyId, 'already revoked');
    expectOneLineError(await ws.run('keys', 'revoke', 'ffffffffffffffff'), 1, "no API key 'ffffffffffffffff'", 'interlend keys list');
    expect(events()).toBe(2);

    // Nowhere in the database file: the key is stored as a hash only.
    for (const suffix of ['', '-wal']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(`${ws.dbPath}${suffix}`);
      } catch {
        continue;
      }
      expect(bytes.includes(Buffer.from(secret(key!)))).toBe(false);
    }
  });

  it('prints the key once as JSON too, and a second key of the same library is a different key', async () => {
    const ws = await withDirectory();
    const a = await ws.json<CreatedJson>('keys', 'create', '--library', 'LIB1', '--role', 'borrowing');
    const b = await ws.json<CreatedJson>('keys', 'create', '--library', 'LIB1', '--role', 'hub');
    expect(a).toMatchObject({ library: 'LIB1', role: 'borrowing', label: null, key: expect.stringMatching(new RegExp(`^ilk_${a.keyId}_`)) });
    expect(b.keyId).not.toBe(a.keyId);
    await withRegistry(ws, async (keys) => {
      expect(await keys.authenticate(a.key)).toMatchObject({ library: 'LIB1', role: 'borrowing' });
      expect(await keys.authenticate(b.key)).toMatchObject({ library: 'LIB1', role: 'hub' });
      expect(await keys.authenticate(`ilk_${b.keyId}_${secret(a.key)}`)).toBeUndefined();
      // Revoked by the whole key pasted in place of its id: that key goes, the other stays.
      expect(await ws.json<KeyJson>('keys', 'revoke', b.key)).toMatchObject({ keyId: b.keyId, status: 'revoked' });
      expect(await keys.authenticate(b.key)).toBeUndefined();
      expect(await keys.authenticate(a.key)).toBeDefined();
    });
  });

  it('refuses an unknown library, naming --library and where to look, and writes nothing', async () => {
    const ws = await withDirectory();
    const result = await ws.run('keys', 'create', '--library', 'NOPE', '--role', 'lending');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain("--library: 'NOPE' is not in the library directory");
    expect(result.stderr).toContain('interlend directory list');
    expect(ws.sql((db) => db.prepare('SELECT COUNT(*) AS n FROM events WHERE stream_id = ?').get(API_KEYS_STREAM))).toEqual({ n: 0 });
  });

  it('refuses a bad role, a missing flag and a label with control characters, naming the flag', async () => {
    const ws = await withDirectory();
    expect((await ws.run('keys', 'create', '--library', 'LIB1', '--role', 'admin')).stderr).toContain('--role must be one of borrowing, lending, hub, auditor');
    expect((await ws.run('keys', 'create', '--role', 'lending')).stderr).toContain('--library CODE is required');
    expect((await ws.run('keys', 'create', '--library', 'LIB1')).stderr).toContain('--role is required');
    const label = await ws.run('keys', 'create', '--library', 'LIB1', '--role', 'lending', '--label', 'desk\u001b[2J');
    expect({ code: label.code, stdout: label.stdout }).toEqual({ code: 2, stdout: '' });
    expect(label.stderr).toContain('--label:');
    expect(label.stderr).not.toContain('\u001b');
    expect((await ws.run('keys', 'list', '--role', 'lending')).stderr).toContain("--role is not an option of 'keys list'");
    expect((await ws.run('keys', 'rotate')).stderr).toContain("unknown keys command 'rotate'");
    expect(ws.sql((db) => db.prepare('SELECT COUNT(*) AS n FROM events WHERE stream_id = ?').get(API_KEYS_STREAM))).toEqual({ n: 0 });
  });

  it('refuses without a database, or without a directory, and creates no database for it', async () => {
    const ws = workspace();
    const missing = await ws.run('keys', 'create', '--library', 'LIB1', '--role', 'lending');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no database at ${ws.dbPath}`);
    expect(missing.stderr).toContain('interlend directory import');
    expect((await ws.run('keys', 'list')).stderr).toContain(`no database at ${ws.dbPath}`);
    expect((await ws.run('keys', 'revoke', '0123456789abcdef')).stderr).toContain(`no database at ${ws.dbPath}`);
    expect(existsSync(ws.dbPath)).toBe(false);

    // A database without a directory cannot have keys.
    await openSqlite(ws.dbPath).close();
    const noDirectory = await ws.run('keys', 'create', '--library', 'LIB1', '--role', 'lending');
    expect(noDirectory.code).toBe(2);
    expect(noDirectory.stderr).toContain('no library directory');
    expect(noDirectory.stderr).toContain('interlend directory import');
  });

  it('leaves audit verify, rebuild --verify, requests and history working beside the key stream', async () => {
    const ws = await withDirectory();
    const { requestId } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
    const { keyId } = await ws.json<CreatedJson>('keys', 'create', '--library', 'LIB2', '--role', 'lending');
    await ws.json('keys', 'revoke', keyId);

    const audit = await ws.json<{ ok: boolean; streams: number }>('audit', 'verify');
    expect(audit).toMatchObject({ ok: true, streams: 3 });
    const rebuilt = await ws.json<{ differences: number }>('rebuild', '--verify');
    expect(rebuilt.differences).toBe(0);
    const requests = await ws.json<{ count: number; requests: { requestId: string }[] }>('requests');
    expect(requests.requests.map((r) => r.requestId)).toEqual([requestId]);
    expect((await ws.run('history', requestId)).code).toBe(0);
    expect((await ws.run('queues', '--json')).code).toBe(0);
    const history = await ws.run('history', API_KEYS_STREAM);
    expect(history.stderr).toContain('is not a request');
  });
});

function secret(key: string): string {
  return key.slice('ilk_'.length + 16 + 1);
}
