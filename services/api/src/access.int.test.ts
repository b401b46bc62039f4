/**
 * The access matrix: every role (borrowing, lending, hub, auditor) × every endpoint × (own library,
 * another library, no key), with the status expected in each cell, over a real SQLite file. Every
 * denial must also leave the log as it was.
 */
import type { ApiRole } from '@interlend/deployment';
import { sampleRequest } from '@interlend/ill/testing';
import { ApiHarness, type Reply } from './__tests__/apiHarness';

/** Whose the keys are: LIB1 borrows from LIB2 ("own" requests); LIB3 borrows from LIB5 ("another library's"). */
const KEY_LIBRARY: Record<ApiRole, string> = { borrowing: 'LIB1', lending: 'LIB2', hub: 'LIB8', auditor: 'LIB4' };
/** A library none of the keys belongs to. */
const OTHER_LIBRARY = 'LIB6';
const ROLES: readonly ApiRole[] = ['borrowing', 'lending', 'hub', 'auditor'];

type Scope = 'own' | 'other';
interface Cell {
  readonly role: ApiRole;
  readonly scope: Scope;
  readonly key: string | undefined;
}
interface Row {
  readonly endpoint: string;
  /** What the cell acts on, made before the log's head is read (a fresh request where the endpoint changes one). */
  prepare?(cell: Cell): Promise<string>;
  /** Sends the request of the cell. */
  send(cell: Cell, target: string | undefined): Promise<Reply>;
  /** Expected status per role, for the key's own library and for another library (absent: the endpoint has no "another"). */
  readonly expect: Record<ApiRole, { own: number; other?: number }>;
}

let api: ApiHarness;
const keys = {} as Record<ApiRole, string>;
let helperKeys: { lib1: string; lib2: string; lib3: string; lib5: string };

beforeAll(async () => {
  api = await ApiHarness.start();
  for (const role of ROLES) keys[role] = await api.key(KEY_LIBRARY[role], role);
  helperKeys = {
    lib1: await api.key('LIB1', 'borrowing'),
    lib2: await api.key('LIB2', 'lending'),
    lib3: await api.key('LIB3', 'borrowing'),
    lib5: await api.key('LIB5', 'lending'),
  };
});
afterAll(() => api.close());

/** A request with its lender asked: LIB1 -> LIB2 (own), LIB3 -> LIB5 (another library's). */
const freshRequest = (scope: Scope): Promise<string> =>
  scope === 'own' ? api.requestWithLender(helperKeys.lib1, 'LIB2') : api.requestWithLender(helperKeys.lib3, 'LIB5');

let sharedRequests: Record<Scope, string> | undefined;
async function shared(scope: Scope): Promise<string> {
  sharedRequests ??= { own: await freshRequest('own'), other: await freshRequest('other') };
  return sharedRequests[scope];
}

const libraryOf = (cell: Cell): string => (cell.scope === 'own' ? KEY_LIBRARY[cell.role] : OTHER_LIBRARY);
const get = (url: string, cell: Cell) => api.call('GET', url, { key: cell.key });
const command = (type: string, body: unknown) => ({
  prepare: (cell: Cell) => freshRequest(cell.scope),
  send: (cell: Cell, id: string | undefined) => api.call('POST', `/v1/requests/${id}/commands/${type}`, { key: cell.key, body }),
});
const all = (own: number, other?: number) => ({ own, ...(other === undefined ? {} : { other }) });
/** Reads of another library's data: the library's own keys only; hub and auditor see everything. */
const libraryScoped = { borrowing: all(200, 403), lending: all(200, 403), hub: all(200, 200), auditor: all(200, 200) };
/** A request the key's library has nothing to do with is "not found" to it. */
const requestScoped = { borrowing: all(200, 404), lending: all(200, 404), hub: all(200, 200), auditor: all(200, 200) };
const everyone = (status: number) => ({ borrowing: all(status, status), lending: all(status, status), hub: all(status, status), auditor: all(status, status) });

const ROWS: Row[] = [
  { endpoint: 'GET /v1/me', send: (c) => get('/v1/me', c), expect: { borrowing: all(200), lending: all(200), hub: all(200), auditor: all(200) } },
  {
    endpoint: 'POST /v1/requests (submit)',
    send: (c) => api.call('POST', '/v1/requests', { key: c.key, body: sampleRequest() }),
    // A lending key may not submit (the domain: only a borrowing library or hub staff); auditors change nothing.
    expect: { borrowing: all(201), lending: all(403), hub: all(201), auditor: all(403) },
  },
  { endpoint: 'POST /v1/requests/{id}/commands/cancel (borrower)', ...command('cancel', { reason: 'patron no longer needs it' }), expect: { borrowing: all(200, 404), lending: all(403, 404), hub: all(200, 200), auditor: all(403, 403) } },
  { endpoint: 'POST /v1/requests/{id}/commands/willSupply (lender)', ...command('willSupply', {}), expect: { borrowing: all(403, 404), lending: all(200, 404), hub: all(200, 200), auditor: all(403, 403) } },
  { endpoint: 'POST /v1/requests/{id}/commands/close (hub)', ...command('close', { reason: 'closed by staff' }), expect: { borrowing: all(403, 404), lending: all(403, 404), hub: all(200, 200), auditor: all(403, 403) } },
  { endpoint: 'GET /v1/requests?library=', send: (c) => get(`/v1/requests?library=${libraryOf(c)}`, c), expect: libraryScoped },
  { endpoint: 'GET /v1/requests/{id}', send: async (c) => get(`/v1/requests/${await shared(c.scope)}`, c), expect: requestScoped },
  { endpoint: 'GET /v1/requests/{id}/history', send: async (c) => get(`/v1/requests/${await shared(c.scope)}/history`, c), expect: requestScoped },
  { endpoint: 'GET /v1/queues?library=', send: (c) => get(`/v1/queues?library=${libraryOf(c)}`, c), expect: libraryScoped },
  { endpoint: 'GET /v1/libraries/{code}/history', send: (c) => get(`/v1/libraries/${libraryOf(c)}/history`, c), expect: libraryScoped },
  { endpoint: 'GET /v1/stats?library=', send: (c) => get(`/v1/stats?library=${libraryOf(c)}`, c), expect: libraryScoped },
  { endpoint: 'GET /v1/directory', send: (c) => get('/v1/directory', c), expect: { borrowing: all(200), lending: all(200), hub: all(200), auditor: all(200) } },
  { endpoint: 'GET /v1/directory/{code}', send: (c) => get(`/v1/directory/${libraryOf(c)}`, c), expect: everyone(200) },
  { endpoint: 'GET /v1/lifecycle', send: (c) => get('/v1/lifecycle', c), expect: { borrowing: all(200), lending: all(200), hub: all(200), auditor: all(200) } },
  {
    endpoint: 'GET /v1/live (SSE)',
    send: async (c) => {
      // The stream does not end: the status line is all this cell needs.
      const abort = new AbortController();
      const res = await fetch(`${api.url}/v1/live`, { headers: c.key ? { authorization: `Bearer ${c.key}` } : {}, signal: abort.signal });
      const reply: Reply = { status: res.status, headers: {}, body: res.status === 200 ? undefined : await res.json(), text: '' };
      abort.abort();
      return reply;
    },
    expect: { borrowing: all(200), lending: all(200), hub: all(200), auditor: all(200) },
  },
];

describe('the access matrix', () => {
  it('answers every role × endpoint × (own library, another library, no key) as expected, and writes nothing on a denial', async () => {
    const failures: string[] = [];
    let cells = 0;
    let denials = 0;
    const check = async (row: Row, cell: Cell, expected: number) => {
      let res: Reply;
      let before = 0;
      try {
        const target = await row.prepare?.(cell);
        before = await api.head();
        res = await row.send(cell, target);
      } catch (error) {
        failures.push(`${row.endpoint} ${cell.role}/${cell.key ? cell.scope : 'no key'}: threw ${(error as Error).message}`);
        return;
      }
      cells++;
      const where = `${row.endpoint} as ${cell.role} (${cell.key ? `${cell.scope} library` : 'no key'})`;
      if (res.status !== expected) failures.push(`${where}: expected ${expected}, got ${res.status} ${res.text.slice(0, 200)}`);
      if (expected >= 400) {
        denials++;
        if (res.body?.status !== expected || typeof res.body?.detail !== 'string') failures.push(`${where}: not a problem body: ${res.text.slice(0, 200)}`);
        const after = await api.head();
        if (after !== before) failures.push(`${where}: the log moved from ${before} to ${after} on a denial`);
      }
    };
    for (const row of ROWS) {
      for (const role of ROLES) {
        const expected = row.expect[role];
        await check(row, { role, scope: 'own', key: keys[role] }, expected.own);
        if (expected.other !== undefined) await check(row, { role, scope: 'other', key: keys[role] }, expected.other);
        await check(row, { role, scope: 'own', key: undefined }, 401);
      }
    }
    console.log(`access matrix: ${cells} cells checked (${ROWS.length} endpoints × ${ROLES.length} roles × own/another/no key), ${denials} denials (each also checked: nothing written)`);
    expect(failures).toEqual([]);
    expect(cells).toBeGreaterThan(100);
  }, 120_000);
});
