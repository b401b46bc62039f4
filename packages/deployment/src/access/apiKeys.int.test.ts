/**
 * The API key registry over a real SQLite file: keys created, checked, listed and revoked, by one
 * process and by another on the same file (a second connection stands in for it).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConcurrencyError, type Actor, type EventStore } from '@interlend/engine';
import { DIRECTORY_STREAM, saveDirectory } from '@interlend/ill';
import { sampleDirectoryJson } from '@interlend/ill/testing';
import { openSqlite, type SqliteHandle } from '@interlend/store-sqlite';
import { API_KEYS_STREAM, API_KEY_CREATED, API_KEY_REVOKED, ApiKeys, hashKey, verifyKey } from './apiKeys';

/** node:crypto itself (an `import * as` gives a copy of its exports), to count the scrypt runs. */
const crypto = jest.requireActual<typeof import('node:crypto')>('node:crypto');

const operator: Actor = { id: 'operator', role: 'admin' };
const TIME = '2026-12-01T09:00:00.000Z';

const dir = mkdtempSync(join(tmpdir(), 'interlend-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const open: SqliteHandle[] = [];
afterEach(async () => {
  for (const handle of open.splice(0)) await handle.close();
});

let files = 0;
/** A fresh database file, with the sample directory imported unless told otherwise. */
async function database(options: { directory?: boolean } = {}): Promise<{ path: string; handle: SqliteHandle }> {
  const path = join(dir, `keys-${++files}.db`);
  const handle = connect(path);
  if (options.directory !== false) await saveDirectory(handle.events, sampleDirectoryJson(), { actor: { id: 'LIB1', role: 'hub' }, time: TIME, eventId: `directory-${files}` });
  return { path, handle };
}

/** Another connection to the same file: what another process sees. */
function connect(path: string): SqliteHandle {
  const handle = openSqlite(path);
  open.push(handle);
  return handle;
}

/** `key` with the character at `index` replaced by another of the same alphabet. */
function alter(key: string, index: number): string {
  const c = key[index]!;
  const other = c === 'a' ? 'b' : c === '0' ? '1' : /[0-9a-f]/.test(c) ? '0' : 'a';
  return `${key.slice(0, index)}${other}${key.slice(index + 1)}`;
}

describe('creating a key and signing in with it', () => {
  it('returns a key of the form ilk_<id>_<secret> that authenticates as its library and role', async () => {
    const { handle } = await database();
    const keys = new ApiKeys(handle.events);
    const created = await keys.create({ library: 'LIB2', role: 'lending', label: 'ILL desk, evening shift', actor: operator });

    expect(created.key).toMatch(/^ilk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(`ilk_${created.keyId}_`)).toBe(true);
    const principal = { keyId: created.keyId, library: 'LIB2', role: 'lending', label: 'ILL desk, evening shift' };
    expect(created.principal).toEqual(principal);
    expect(await keys.authenticate(created.key)).toEqual(principal);
    // Another instance (a server started later) reads it from the log.
    expect(await new ApiKeys(connect(handle.db.name).events).authenticate(created.key)).toEqual(principal);
  });

  it('records ApiKeyCreated in its own stream with who did it and a scrypt hash with its parameters, and the key nowhere', async () => {
    const { path, handle } = await database();
    const created = await new ApiKeys(handle.events).create({ library: 'LIB1', role: 'borrowing', actor: operator });

    const [event, ...more] = await handle.events.readStream(API_KEYS_STREAM);
    expect(more).toEqual([]);
    expect(event!.type).toBe(API_KEY_CREATED);
    expect(event!.metadata).toMatchObject({ workflow: 'access-keys', actor: operator });
    expect(event!.data).toEqual({ keyId: created.keyId, library: 'LIB1', role: 'borrowing', label: null, hash: expect.stringMatching(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/), createdAt: expect.any(String) });

    const secret = created.key.slice(`ilk_${created.keyId}_`.length);
    const rows = handle.db.prepare('SELECT * FROM events').all();
    expect(JSON.stringify(rows)).not.toContain(secret);
    await handle.close();
    open.splice(open.indexOf(handle), 1);
    // Nor anywhere in the file's bytes (nor in a write-ahead log left behind).
    for (const file of [path, `${path}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file);
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
      expect(bytes.includes(Buffer.from(created.key))).toBe(false);
    }
  });

  it('refuses a wrong secret, a tampered key id, a malformed key and the secret of one key under the id of another, without throwing', async () => {
    const { handle } = await database();
    const keys = new ApiKeys(handle.events);
    const a = await keys.create({ library: 'LIB1', role: 'borrowing', actor: operator });
    const b = await keys.create({ library: 'LIB3', role: 'hub', actor: operator });
    const secretOfA = a.key.slice(21);

    const refused = [
      alter(a.key, a.key.length - 5), // wrong secret
      alter(a.key, 6), // a key id that does not exist
      `ilk_${b.keyId}_${secretOfA}`, // A's secret under B's id
      '',
      'ilk_',
      `Bearer ${a.key}`,
      `${a.key} `,
      a.key.toUpperCase(),
      `ilk_${a.keyId}_${secretOfA}x`,
      `ilk_${a.keyId}`,
      `ilk_${a.keyId}_${secretOfA.slice(1)}`,
      'x'.repeat(100_000),
    ];
    for (const key of refused) expect({ key: key.slice(0, 80), principal: await keys.authenticate(key) }).toEqual({ key: key.slice(0, 80), principal: undefined });
    // Not a string at all (an edge that forgot to check).
    expect(await keys.authenticate(undefined as unknown as string)).toBeUndefined();
    // The real ones still pass.
    expect((await keys.authenticate(a.key))?.library).toBe('LIB1');
    expect((await keys.authenticate(b.key))?.role).toBe('hub');
  });

  it('runs scrypt once per key per process: a cached key is answered from memory, a wrong one is always hashed', async () => {
    const { handle } = await database();
    const keys = new ApiKeys(handle.events);
    const created = await keys.create({ library: 'LIB1', role: 'auditor', actor: operator });
    const spy = jest.spyOn(crypto, 'scrypt');
    try {
      for (let i = 0; i < 3; i++) expect(await keys.authenticate(created.key)).toBeDefined();
      expect(spy).toHaveBeenCalledTimes(1);
      // An unknown key id costs a scrypt too, each time: its timing does not tell that the id is unknown.
      const unknown = alter(created.key, 6);
      for (let i = 0; i < 2; i++) expect(await keys.authenticate(unknown)).toBeUndefined();
      expect(spy).toHaveBeenCalledTimes(3);

      const uncached = new ApiKeys(handle.events, { cacheSize: 0 });
      for (let i = 0; i < 2; i++) expect(await uncached.authenticate(created.key)).toBeDefined();
      expect(spy).toHaveBeenCalledTimes(5);
    } finally {
      spy.mockRestore();
    }
  });

  it('keeps the cache bounded, dropping the least recently used key first', async () => {
    const { handle } = await database();
    const writer = new ApiKeys(handle.events);
    const [k1, k2, k3] = [await writer.create({ library: 'LIB1', role: 'borrowing', actor: operator }), await writer.create({ library: 'LIB2', role: 'lending', actor: operator }), await writer.create({ library: 'LIB3', role: 'hub', actor: operator })];
    const keys = new ApiKeys(handle.events, { cacheSize: 2 });
    const spy = jest.spyOn(crypto, 'scrypt');
    try {
      await keys.authenticate(k1!.key);
      await keys.authenticate(k2!.key);
      await keys.authenticate(k1!.key); // k1 is now the most recently used
      expect(spy).toHaveBeenCalledTimes(2);
      await keys.authenticate(k3!.key); // drops k2
      await keys.authenticate(k1!.key);
      expect(spy).toHaveBeenCalledTimes(3);
      await keys.authenticate(k2!.key);
      expect(spy).toHaveBeenCalledTimes(4);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('revoking a key', () => {
  it('refuses it from the next request on, in this process and in another that had it cached', async () => {
    const { path, handle } = await database();
    const cli = new ApiKeys(handle.events);
    const created = await cli.create({ library: 'LIB4', role: 'lending', actor: operator });
    const other = await cli.create({ library: 'LIB4', role: 'borrowing', actor: operator });

    // The server: its own connection, the key verified and cached before the revocation.
    const server = new ApiKeys(connect(path).events);
    expect(await server.authenticate(created.key)).toBeDefined();
    expect(await cli.authenticate(created.key)).toBeDefined();

    const revoked = await cli.revoke(created.keyId, { actor: { id: 'alice', role: 'admin' }, reason: 'laptop lost' });
    expect(revoked).toMatchObject({ keyId: created.keyId, revokedBy: { id: 'alice', role: 'admin' }, revokeReason: 'laptop lost', revokedAt: expect.any(String) });

    expect(await cli.authenticate(created.key)).toBeUndefined();
    expect(await server.authenticate(created.key)).toBeUndefined();
    // ...and stays refused (it left the cache), while the library's other key still works.
    expect(await server.authenticate(created.key)).toBeUndefined();
    expect(await server.authenticate(other.key)).toMatchObject({ keyId: other.keyId });
  });

  it('reports a key already revoked and an unknown key, writing nothing', async () => {
    const { handle } = await database();
    const keys = new ApiKeys(handle.events);
    const created = await keys.create({ library: 'LIB1', role: 'borrowing', actor: operator });
    await keys.revoke(created.keyId, { actor: operator });
    const revision = await handle.events.streamRevision(API_KEYS_STREAM);

    await expect(keys.revoke(created.keyId, { actor: operator })).rejects.toMatchObject({ name: 'IllegalStateError', code: 'ILLEGAL_STATE', message: expect.stringContaining(`${created.keyId} was already revoked`) });
    // Also from another process that has not seen the revocation yet.
    await expect(new ApiKeys(connect(handle.db.name).events).revoke(created.keyId, { actor: operator })).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await expect(keys.revoke('0123456789abcdef', { actor: operator })).rejects.toMatchObject({ name: 'NotFoundError', code: 'NOT_FOUND', message: expect.stringContaining('0123456789abcdef') });
    expect(await handle.events.streamRevision(API_KEYS_STREAM)).toBe(revision);
    expect((await handle.events.readStream(API_KEYS_STREAM)).map((e) => e.type)).toEqual([API_KEY_CREATED, API_KEY_REVOKED]);
  });

  it('lists active and revoked keys with who made and revoked them, never a hash', async () => {
    const { handle } = await database();
    const keys = new ApiKeys(handle.events);
    const a = await keys.create({ library: 'LIB1', role: 'borrowing', label: '  front desk ', actor: operator });
    const b = await keys.create({ library: 'LIB2', role: 'auditor', label: '', actor: { id: 'bob', role: 'admin' } });
    await keys.revoke(a.keyId, { actor: { id: 'alice', role: 'admin' } });

    const listed = await new ApiKeys(handle.events).list();
    expect(listed).toEqual([
      { keyId: a.keyId, library: 'LIB1', role: 'borrowing', label: 'front desk', createdAt: expect.any(String), createdBy: operator, revokedAt: expect.any(String), revokedBy: { id: 'alice', role: 'admin' }, revokeReason: null },
      { keyId: b.keyId, library: 'LIB2', role: 'auditor', label: null, createdAt: expect.any(String), createdBy: { id: 'bob', role: 'admin' }, revokedAt: null, revokedBy: null, revokeReason: null },
    ]);
    expect(JSON.stringify(listed)).not.toContain('scrypt');
  });
});

describe('two processes creating keys at once', () => {
  /** The real store, with every first append held until `writers` appends are waiting: each writer read the same revision. */
  function racing(store: EventStore, state: { waiting: number; release?: () => void; released: Promise<void>; conflicts: number }, writers: number): EventStore {
    let first = true;
    return {
      appendToStream: async (streamId, events, options) => {
        if (first) {
          first = false;
          if (++state.waiting === writers) state.release!();
          await state.released;
        }
        try {
          return await store.appendToStream(streamId, events, options);
        } catch (error) {
          if (isConcurrencyError(error)) state.conflicts++;
          throw error;
        }
      },
      readStream: (streamId, options) => store.readStream(streamId, options),
      streamRevision: (streamId) => store.streamRevision(streamId),
      readAll: (options) => store.readAll(options),
      headPosition: () => store.headPosition(),
      waitForEvents: (after, options) => store.waitForEvents(after, options),
      close: () => store.close(),
    };
  }

  it('loses no key: the writer that finds the stream moved on retries', async () => {
    const { path, handle } = await database();
    const state = { waiting: 0, conflicts: 0 } as { waiting: number; release?: () => void; released: Promise<void>; conflicts: number };
    state.released = new Promise<void>((resolve) => (state.release = resolve));
    const one = new ApiKeys(racing(handle.events, state, 2));
    const two = new ApiKeys(racing(connect(path).events, state, 2));

    const created = await Promise.all([
      one.create({ library: 'LIB1', role: 'borrowing', actor: operator }),
      two.create({ library: 'LIB2', role: 'lending', actor: operator }),
      one.create({ library: 'LIB3', role: 'hub', actor: operator }),
      two.create({ library: 'LIB4', role: 'auditor', actor: operator }),
    ]);

    expect(state.conflicts).toBeGreaterThanOrEqual(1);
    const events = await handle.events.readStream(API_KEYS_STREAM);
    expect(events.map((e) => e.data.keyId).sort()).toEqual(created.map((c) => c.keyId).sort());
    const fresh = new ApiKeys(handle.events);
    for (const c of created) expect(await fresh.authenticate(c.key)).toEqual(c.principal);
  });
});

describe('what a key may be made for', () => {
  it('refuses an unknown role or library, naming the field, and writes nothing', async () => {
    const { handle } = await database();
    const keys = new ApiKeys(handle.events);
    const refusals: [Parameters<ApiKeys['create']>[0], string][] = [
      [{ library: 'LIB1', role: 'admin' as never, actor: operator }, 'role'],
      [{ library: 'LIB1', role: undefined as never, actor: operator }, 'role'],
      [{ library: 'NOPE', role: 'borrowing', actor: operator }, 'library'],
      [{ library: '', role: 'borrowing', actor: operator }, 'library'],
      [{ library: 'LIB1', role: 'borrowing', label: 'x'.repeat(201), actor: operator }, 'label'],
      [{ library: 'LIB1', role: 'borrowing', label: 'desk\u001b[2J', actor: operator }, 'label'],
      [{ library: 'LIB1', role: 'borrowing', actor: { id: '', role: 'admin' } }, 'actor'],
    ];
    for (const [input, field] of refusals) {
      await expect(keys.create(input)).rejects.toMatchObject({ name: 'ValidationError', code: 'VALIDATION', message: expect.stringMatching(new RegExp(`^${field}: `)), details: { issues: [expect.objectContaining({ path: field })] } });
    }
    expect(await handle.events.streamRevision(API_KEYS_STREAM)).toBe(-1);
  });

  it('refuses every library while no directory was imported', async () => {
    const { handle } = await database({ directory: false });
    await expect(new ApiKeys(handle.events).create({ library: 'LIB1', role: 'borrowing', actor: operator })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('no library directory') });
    expect(await handle.events.streamRevision(API_KEYS_STREAM)).toBe(-1);
    expect(await handle.events.streamRevision(DIRECTORY_STREAM)).toBe(-1);
  });
});

describe('the hash', () => {
  it('verifies a hash made with other parameters (they are raised without invalidating old keys), and refuses a malformed one', async () => {
    const key = `ilk_0123456789abcdef_${'A'.repeat(43)}`;
    const older = await hashKey(key, { logN: 14, r: 8, p: 1, keyLength: 64 });
    expect(older).toMatch(/^scrypt\$14\$8\$1\$/);
    expect(await verifyKey(key, older)).toBe(true);
    expect(await verifyKey(`${key.slice(0, -1)}B`, older)).toBe(false);
    for (const bad of ['', 'scrypt$15$8$1$abc', older.replace('$14$', '$40$'), older.replace(/\$[^$]*$/, '$'), `bcrypt${older.slice(6)}`]) expect(await verifyKey(key, bad)).toBe(false);
  });
});
