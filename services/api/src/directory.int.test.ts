/**
 * Changing one library's profile over HTTP (issue 11, item 8): PUT / PATCH /v1/directory/{code}
 * for hub keys only, GET /v1/directory/{code}/history for any key; the running server uses the new
 * profile for the next rota without a restart, and requests under way keep their rota's terms.
 */
import { ApiHarness, type Reply } from './__tests__/apiHarness';

let api: ApiHarness;
let lib1: string; // LIB1 borrowing
let lib3: string; // LIB3 lending: the library being changed
let auditor: string;
let hub: string;

beforeAll(async () => {
  api = await ApiHarness.start();
  [lib1, lib3, auditor, hub] = await Promise.all([api.key('LIB1', 'borrowing'), api.key('LIB3', 'lending'), api.key('LIB4', 'auditor'), api.key('LIB8', 'hub')]);
});
afterAll(() => api.close());

const refused = (send: () => Promise<Reply>, status: number, code: string): Promise<Reply> => api.refused(send, status, code);

async function requestContext(key: string, id: string): Promise<{ lenderRespondBy: string; rota: { library: string; daysToRespond?: number }[] }> {
  const res = await api.call('GET', `/v1/requests/${id}`, { key });
  expect(res.status).toBe(200);
  return res.body.context;
}

describe('PATCH /v1/directory/{code}', () => {
  it("given a request under way at LIB3, when a hub key changes LIB3's days to respond, then the running server builds the next rota with the new terms and the request under way keeps its deadline", async () => {
    const underWay = await api.requestWithLender(lib1, 'LIB3');
    const before = await requestContext(lib1, underWay);
    expect(before.rota.find((e) => e.library === 'LIB3')?.daysToRespond).toBe(2);

    const res = await api.call('PATCH', '/v1/directory/LIB3', { key: hub, body: { daysToRespond: { loan: 8 } }, headers: { 'idempotency-key': 'lib3-slower' } });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ code: 'LIB3', commandId: 'lib3-slower', duplicate: false, written: true, changes: [{ field: 'daysToRespond.loan', from: 2, to: 8 }], library: { daysToRespond: { loan: 8, copy: 1 } } });
    expect((await api.call('GET', '/v1/directory/LIB3', { key: lib1 })).body.daysToRespond).toEqual({ loan: 8, copy: 1 });
    expect((await requestContext(lib1, underWay)).lenderRespondBy).toBe(before.lenderRespondBy);
    const next = await requestContext(lib1, await api.requestWithLender(lib1, 'LIB3'));
    expect(next.rota.find((e) => e.library === 'LIB3')?.daysToRespond).toBe(8);
    expect(Date.parse(next.lenderRespondBy)).toBeGreaterThan(Date.parse(before.lenderRespondBy) + 5 * 86_400_000);

    const again = await api.call('PATCH', '/v1/directory/LIB3', { key: hub, body: { daysToRespond: { loan: 8 } }, headers: { 'idempotency-key': 'lib3-slower' } });
    expect(again.body).toMatchObject({ duplicate: true, written: false });
  });

  it.each([
    ["the library's own lending key", () => lib3],
    ['a borrowing key', () => lib1],
    ['an auditor key', () => auditor],
  ])('refuses %s with 403, and writes nothing', async (_who, key) => {
    const res = await refused(() => api.call('PATCH', '/v1/directory/LIB3', { key: key(), body: { maxFees: 1 } }), 403, 'FORBIDDEN');
    expect(res.body.detail).toMatch(/hub|auditor/);
    expect((await api.call('GET', '/v1/directory/LIB3', { key: hub })).body.maxFees).toBe(10);
  });

  it('refuses an unknown library with 404, and writes nothing', async () => {
    const res = await refused(() => api.call('PATCH', '/v1/directory/NOPE', { key: hub, body: { maxFees: 1 } }), 404, 'NOT_FOUND');
    expect(res.body.detail).toContain("no library 'NOPE' in the directory");
  });

  it('refuses a bad profile with 422 naming each field under body, and writes nothing', async () => {
    const res = await refused(
      () => api.call('PATCH', '/v1/directory/LIB3', { key: hub, body: { maxFees: -1, closures: [{ from: '2027-02-10', to: '2027-02-01', reason: 'move' }] } }),
      422,
      'VALIDATION',
    );
    expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.maxFees' }), { path: 'body.closures[0].to', message: 'must not be before from' }]));
  });

  it('refuses a request without a key with 401', async () => {
    await refused(() => api.call('PATCH', '/v1/directory/LIB3', { body: { maxFees: 1 } }), 401, 'UNAUTHORIZED');
  });
});

describe('PUT /v1/directory/{code}', () => {
  it('replaces the whole profile', async () => {
    const current = (await api.call('GET', '/v1/directory/LIB5', { key: hub })).body;
    const { lendingFee: _fee, ...withoutFee } = current;
    const res = await api.call('PUT', '/v1/directory/LIB5', { key: hub, body: { ...withoutFee, contact: { name: 'ILL office', phone: '+1 555 0100' } } });
    expect(res.status).toBe(200);
    expect(res.body.changes).toEqual([
      { field: 'lendingFee', from: 12 },
      { field: 'contact.name', to: 'ILL office' },
      { field: 'contact.phone', to: '+1 555 0100' },
    ]);
    expect((await api.call('GET', '/v1/directory/LIB5', { key: lib1 })).body).not.toHaveProperty('lendingFee');
  });
});

describe('GET /v1/directory/{code}/history', () => {
  it('shows the import that added the library and each change, with the key that made it', async () => {
    await api.call('PATCH', '/v1/directory/LIB6', { key: hub, body: { lendingPolicy: 'lastResort' } });
    const res = await api.call('GET', '/v1/directory/LIB6/history', { key: lib1 });
    expect(res.status).toBe(200);
    expect(res.body.changes.map((c: { event: string; kind: string }) => [c.event, c.kind])).toEqual([
      ['DirectoryImported', 'added'],
      ['LibraryUpdated', 'changed'],
    ]);
    expect(res.body.changes[1]).toMatchObject({ actor: { id: 'LIB8', role: 'hub', key: expect.any(String) }, changes: [{ field: 'lendingPolicy', from: 'lends', to: 'lastResort' }] });
  });

  it('is 404 for a library that never was in the directory', async () => {
    await refused(() => api.call('GET', '/v1/directory/NOPE/history', { key: lib1 }), 404, 'NOT_FOUND');
  });

  it('is in the OpenAPI document with the write endpoints', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.paths['/v1/directory/{code}/history']?.get).toBeDefined();
    expect(doc.paths['/v1/directory/{code}']?.patch?.operationId).toBe('updateLibrary');
    expect(doc.paths['/v1/directory/{code}']?.put?.operationId).toBe('replaceLibrary');
  });
});
