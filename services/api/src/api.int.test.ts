/**
 * The HTTP API over a real SQLite file: every endpoint, every error, and nothing written on any
 * error (the log's head position before and after).
 */
import { ConcurrencyError } from '@interlend/engine';
import { COMMAND_PARTY, type IllCommandType } from '@interlend/ill';
import { sampleRequest, sampleShipment } from '@interlend/ill/testing';
import { ApiHarness, type Reply } from './__tests__/apiHarness';
import { PEOPLE_COMMANDS } from './schemas';

let api: ApiHarness;
let lib1: string; // LIB1 borrowing
let lib2: string; // LIB2 lending
let lib3: string; // LIB3 borrowing: a library with nothing to do with LIB1's requests
let auditor: string;
let hub: string;

beforeAll(async () => {
  api = await ApiHarness.start();
  [lib1, lib2, lib3, auditor, hub] = await Promise.all([
    api.key('LIB1', 'borrowing'),
    api.key('LIB2', 'lending'),
    api.key('LIB3', 'borrowing'),
    api.key('LIB4', 'auditor'),
    api.key('LIB8', 'hub'),
  ]);
});
afterAll(() => api.close());

/** ApiHarness.refused, and the problem's body has its RFC 9457 members. */
async function refused(send: () => Promise<Reply>, status: number, code: string): Promise<Reply> {
  const res = await api.refused(send, status, code);
  expect(res.body).toEqual(expect.objectContaining({ type: expect.stringMatching(/^urn:interlend:problem:/), title: expect.any(String), status, detail: expect.any(String), instance: expect.any(String) }));
  return res;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('who am I', () => {
  it('GET /v1/me names the key, its library (with the directory name) and role', async () => {
    const res = await api.call('GET', '/v1/me', { key: lib1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ keyId: lib1.split('_')[1], library: 'LIB1', libraryName: 'Borrowing Branch', role: 'borrowing', label: expect.stringMatching(/^test key/) });
  });
});

describe('submitting and acting', () => {
  it('submits a request as the key’s library: 201 with its state, events and what the borrower may do now', async () => {
    const before = await api.head();
    const res = await api.call('POST', '/v1/requests', { key: lib1, body: sampleRequest() });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      requestId: expect.any(String),
      commandId: expect.any(String),
      duplicate: false,
      state: 'networkCheck',
      events: [{ type: 'RequestSubmitted', revision: 0, position: before + 1 }],
      allowed: expect.arrayContaining(['notAvailableLocally', 'fillLocally', 'cancel']),
    });
    expect(res.body.allowed.every((t: IllCommandType) => ['borrower', 'involved'].includes(COMMAND_PARTY[t]))).toBe(true);
  });

  it('records the authenticated key as the actor of every event, with its key id', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    await api.command(lib2, id, 'willSupply');
    const events = await api.app.events.readStream(id);
    const actors = events.map((e) => e.metadata.actor);
    expect(actors).toEqual([
      { id: 'LIB1', role: 'borrowing', key: lib1.split('_')[1] },
      { id: 'LIB1', role: 'borrowing', key: lib1.split('_')[1] },
      { id: 'LIB1', role: 'borrowing', key: lib1.split('_')[1] },
      { id: 'LIB2', role: 'lending', key: lib2.split('_')[1] },
    ]);
  });

  it('refuses an actor sent in the body: who acts is the key, never a field (422, nothing written)', async () => {
    const res = await refused(() => api.call('POST', '/v1/requests', { key: lib1, body: { ...sampleRequest(), actor: { id: 'LIB5', role: 'hub' } } }), 422, 'VALIDATION');
    expect(res.body.errors).toEqual([expect.objectContaining({ path: 'body' })]);
    expect(res.body.detail).toMatch(/actor/);
  });

  it('an Idempotency-Key sent again returns the first result (duplicate: true) and writes nothing', async () => {
    const headers = { 'idempotency-key': 'submit-once-1' };
    const first = await api.call('POST', '/v1/requests', { key: lib1, body: sampleRequest(), headers });
    expect(first.status).toBe(201);
    const before = await api.head();
    const again = await api.call('POST', '/v1/requests', { key: lib1, body: sampleRequest(), headers });
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    expect(await api.head()).toBe(before);

    const cmd = { 'idempotency-key': 'nal-once-1' };
    const sent = await api.call('POST', `/v1/requests/${first.body.requestId}/commands/notAvailableLocally`, { key: lib1, body: { preferredLenders: ['LIB2'] }, headers: cmd });
    expect(sent.status).toBe(200);
    const head = await api.head();
    const resent = await api.call('POST', `/v1/requests/${first.body.requestId}/commands/notAvailableLocally`, { key: lib1, body: { preferredLenders: ['LIB2'] }, headers: cmd });
    expect(resent.body).toEqual({ ...sent.body, duplicate: true });
    expect(await api.head()).toBe(head);
  });

  it('refuses an Idempotency-Key already used for another command (422 naming the header)', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const headers = { 'idempotency-key': 'answer-1' };
    await api.call('POST', `/v1/requests/${id}/commands/willSupply`, { key: lib2, headers, body: {} });
    const res = await refused(() => api.call('POST', `/v1/requests/${id}/commands/cannotSupply`, { key: lib2, headers, body: { reason: 'NotHeld' } }), 422, 'VALIDATION');
    expect(res.body.errors[0].path).toBe('headers.idempotency-key');
    const long = await refused(() => api.call('POST', `/v1/requests/${id}/commands/willSupply`, { key: lib2, headers: { 'idempotency-key': 'k'.repeat(129) }, body: {} }), 422, 'VALIDATION');
    expect(long.body.errors[0].path).toBe('headers.idempotency-key');
  });

  it('drives a request from submit to receipt through the command routes, each answering the state and what the caller may do next', async () => {
    const id = await api.submit(lib1);
    const asked = await api.command(lib1, id, 'notAvailableLocally', { preferredLenders: ['LIB2'] });
    expect(asked.body).toMatchObject({ state: 'withLender.requested', events: [{ type: 'NotAvailableLocally' }, { type: 'RotaBuilt' }] });
    expect(asked.body.allowed).toContain('cancel');
    const willSupply = await api.command(lib2, id, 'willSupply');
    expect(willSupply.body.allowed).toEqual(expect.arrayContaining(['ship', 'answerConditional']));
    const shipped = await api.command(lib2, id, 'ship', sampleShipment({ dueDate: '2099-01-31' }));
    expect(shipped.body.state).toBe('shipped');
    expect(shipped.body.allowed).not.toContain('receive'); // the lender may not receive
    const received = await api.command(lib1, id, 'receive');
    expect(received.body.state).toBe('onLoan.received');
  });

  it('accepts a command without a body when its data is all optional', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const res = await api.call('POST', `/v1/requests/${id}/commands/expectToSupply`, { key: lib2 });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('withLender.expectsToSupply');
  });
});

describe('reading', () => {
  it('GET /v1/requests/{id}: state, parties, context, costs, rota, revision and what this caller may send', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const asBorrower = await api.call('GET', `/v1/requests/${id}`, { key: lib1 });
    expect(asBorrower.status).toBe(200);
    expect(asBorrower.body).toMatchObject({ requestId: id, state: 'withLender.requested', borrower: 'LIB1', lender: 'LIB2', revision: 2 });
    expect(asBorrower.body.costs).toMatchObject({ maximum: { amount: 25, currency: 'USD' } });
    expect(asBorrower.body.rota[0]).toMatchObject({ library: 'LIB2', position: 1 });
    expect(asBorrower.body.allowed).toEqual(['amend', 'cancel']);
    const asLender = await api.call('GET', `/v1/requests/${id}`, { key: lib2 });
    expect(asLender.body.allowed).toEqual(expect.arrayContaining(['willSupply', 'ship', 'cannotSupply']));
    expect(asLender.body.allowed).not.toContain('cancel');
    const asAuditor = await api.call('GET', `/v1/requests/${id}`, { key: auditor });
    expect(asAuditor.status).toBe(200);
    expect(asAuditor.body.allowed).toEqual([]);
  });

  it('GET /v1/requests/{id}/history: every event with its actor and states; ?at shows it as it stood then', async () => {
    const id = await api.submit(lib1);
    await sleep(5);
    await api.command(lib1, id, 'notAvailableLocally', { preferredLenders: ['LIB2'] });
    const all = await api.call('GET', `/v1/requests/${id}/history`, { key: lib1 });
    expect(all.status).toBe(200);
    expect(all.body.events.map((e: { type: string }) => e.type)).toEqual(['RequestSubmitted', 'NotAvailableLocally', 'RotaBuilt']);
    expect(all.body.events[0]).toMatchObject({ revision: 0, actor: { id: 'LIB1', role: 'borrowing' }, stateBefore: expect.any(String), stateAfter: 'networkCheck', data: expect.objectContaining({ borrower: 'LIB1' }) });
    expect(all.body).toMatchObject({ at: null, state: 'withLender.requested', laterEvents: 0 });

    const at = all.body.events[0].time as string;
    const then = await api.call('GET', `/v1/requests/${id}/history?at=${encodeURIComponent(at)}`, { key: lib1 });
    expect(then.status).toBe(200);
    expect(then.body).toMatchObject({ at, state: 'networkCheck', laterEvents: 2 });
    expect(then.body.events).toHaveLength(1);
    expect(then.body.context).toMatchObject({ borrower: 'LIB1', rota: [] });

    const bad = await refused(() => api.call('GET', `/v1/requests/${id}/history?at=yesterday`, { key: lib1 }), 422, 'VALIDATION');
    expect(bad.body.errors[0].path).toBe('querystring.at');
  });

  it('GET /v1/requests pages with an opaque cursor, newest first, without repeats or gaps', async () => {
    const mine = [];
    for (let i = 0; i < 5; i++) mine.push(await api.submit(lib3, { material: { format: 'book', title: `Paging ${i}` } }));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/requests?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.call('GET', url, { key: lib3 });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((r: { requestId: string }) => r.requestId));
      cursor = res.body.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...mine].reverse());
    const first = await api.call('GET', '/v1/requests?limit=1', { key: lib3 });
    expect(first.body.items[0]).toEqual({ requestId: mine[4], state: 'networkCheck', borrower: 'LIB3', lender: null, title: 'Paging 4', submittedAt: expect.any(String), updatedAt: expect.any(String) });
    const bad = await refused(() => api.call('GET', '/v1/requests?cursor=not-a-cursor', { key: lib3 }), 422, 'VALIDATION');
    expect(bad.body.errors[0].path).toBe('querystring.cursor');
    const tooMany = await refused(() => api.call('GET', '/v1/requests?limit=201', { key: lib3 }), 422, 'VALIDATION');
    expect(tooMany.body.errors[0].path).toBe('querystring.limit');
  });

  it('GET /v1/requests filters by state and by role (borrowed or asked to lend)', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const lending = await api.call('GET', '/v1/requests?role=lending&state=withLender.requested&limit=200', { key: lib2 });
    expect(lending.body.items.map((r: { requestId: string }) => r.requestId)).toContain(id);
    expect(lending.body.items.every((r: { state: string; borrower: string }) => r.state === 'withLender.requested' && r.borrower !== 'LIB2')).toBe(true);
    const borrowing = await api.call('GET', '/v1/requests?role=borrowing&limit=200', { key: lib2 });
    expect(borrowing.body.items).toEqual([]);
  });

  it('GET /v1/queues: the library’s queues, counts and request ids', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const res = await api.call('GET', '/v1/queues?role=lending', { key: lib2 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ library: 'LIB2', role: 'lending', at: expect.any(String) });
    const entry = res.body.entries.find((e: { requestIds: string[] }) => e.requestIds.includes(id));
    expect(entry).toMatchObject({ library: 'LIB2', role: 'lending' });
    const count = res.body.counts.find((c: { queue: string }) => c.queue === entry.queue);
    expect(count.count).toBe(entry.requestIds.length);
    const hubView = await api.call('GET', '/v1/queues', { key: hub });
    expect(new Set(hubView.body.counts.map((c: { library: string }) => c.library))).toEqual(new Set(['LIB1', 'LIB2', 'LIB3']));
  });

  it("GET /v1/queues counts 'closed' without listing it; queue=closed lists it a page at a time", async () => {
    const lib7 = await api.key('LIB7', 'borrowing');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await api.submit(lib7);
      await api.command(lib7, id, 'cancel', { reason: 'patron left' });
      ids.push(id);
    }
    const open = await api.submit(lib7);
    const whole = await api.call('GET', '/v1/queues', { key: lib7 });
    expect(whole.status).toBe(200);
    expect(whole.body.counts).toContainEqual({ library: 'LIB7', role: 'borrowing', queue: 'closed', count: 3 });
    expect(whole.body.entries.map((e: { queue: string }) => e.queue)).not.toContain('closed');
    expect(whole.body.entries).toContainEqual({ library: 'LIB7', role: 'borrowing', queue: 'needs review', requestIds: [open] });
    expect(whole.body.next).toBeNull();
    const first = await api.call('GET', '/v1/queues?queue=closed&limit=2', { key: lib7 });
    expect(first.body).toMatchObject({ library: 'LIB7', counts: [{ library: 'LIB7', role: 'borrowing', queue: 'closed', count: 3 }], next: expect.any(String) });
    expect(first.body.entries).toEqual([{ library: 'LIB7', role: 'borrowing', queue: 'closed', requestIds: ids.slice().sort().slice(0, 2) }]);
    const rest = await api.call('GET', `/v1/queues?queue=closed&limit=2&cursor=${first.body.next}`, { key: lib7 });
    expect(rest.body.entries).toEqual([{ library: 'LIB7', role: 'borrowing', queue: 'closed', requestIds: ids.slice().sort().slice(2) }]);
    expect(rest.body.next).toBeNull();
    const hubView = await api.call('GET', '/v1/queues?queue=closed&limit=200', { key: hub });
    expect(hubView.body.entries.find((e: { library: string }) => e.library === 'LIB7').requestIds).toEqual(ids.slice().sort());
    expect((await refused(() => api.call('GET', '/v1/queues?queue=shelved', { key: lib7 }), 422, 'VALIDATION')).body.errors[0].path).toBe('querystring.queue');
    expect((await refused(() => api.call('GET', '/v1/queues?queue=closed&cursor=nope', { key: lib7 }), 422, 'VALIDATION')).body.errors[0].path).toBe('querystring.cursor');
  });

  it('GET /v1/libraries/{code}/history: what it borrowed and what it was asked to lend, paged', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const page = await api.call('GET', '/v1/libraries/LIB2/history?limit=1', { key: lib2 });
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ library: 'LIB2', items: [{ kind: 'lent', requestId: id, borrower: 'LIB1' }], next: expect.any(String) });
    const next = await api.call('GET', `/v1/libraries/LIB2/history?limit=200&cursor=${page.body.next}`, { key: lib2 });
    expect(next.body.items.map((r: { requestId: string }) => r.requestId)).not.toContain(id);
    expect(next.body.next).toBeNull();
    await refused(() => api.call('GET', '/v1/libraries/NOPE/history', { key: hub }), 404, 'NOT_FOUND');
  });

  it('GET /v1/stats: turnaround buckets and fill rate per lender, and everything `interlend stats --json` gives', async () => {
    const id = await api.shipped(lib1, 'LIB5', await api.key('LIB5', 'lending'));
    await api.command(lib1, id, 'receive');
    const res = await api.call('GET', '/v1/stats?library=LIB5', { key: hub });
    expect(res.status).toBe(200);
    expect(res.body.turnaround).toMatchObject({ under48h: 1, from48to72h: 0, over72h: 0, requestToReceipt: expect.any(Object) });
    expect(res.body.fillRateByLender).toEqual([{ lender: 'LIB5', asked: 1, supplied: 1, rate: 1 }]);
    expect(res.body).toMatchObject({ library: 'LIB5', requests: expect.objectContaining({ received: 1 }), byLender: expect.any(Array) });
    // LIB5 is outside the delivery network: the borrower owes its return shipping (its directory default, 8 USD).
    expect(res.body.costs.byLender).toEqual([{ lender: 'LIB5', paid: [expect.objectContaining({ currency: 'USD' })], returnShipping: [{ amount: 8, currency: 'USD' }], shipments: 1 }]);
  });

  it('GET /v1/directory and /v1/directory/{code}', async () => {
    const all = await api.call('GET', '/v1/directory', { key: lib3 });
    expect(all.body.libraries.map((l: { code: string }) => l.code)).toEqual(['LIB1', 'LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB6', 'LIB7', 'LIB8']);
    const one = await api.call('GET', '/v1/directory/LIB7', { key: lib3 });
    expect(one.body).toMatchObject({ code: 'LIB7', name: 'Special Collections', lendingPolicy: 'doesNotLend' });
    await refused(() => api.call('GET', '/v1/directory/NOPE', { key: lib3 }), 404, 'NOT_FOUND');
  });

  it('GET /v1/lifecycle: the statechart as Mermaid, from the machine', async () => {
    const res = await api.call('GET', '/v1/lifecycle', { key: auditor });
    expect(res.status).toBe(200);
    expect(res.body.mermaid).toMatch(/^stateDiagram/);
    expect(res.body.mermaid).toContain('networkCheck');
    expect(res.body.states).toContain('withLender.requested');
  });
});

describe('service endpoints', () => {
  it('/health answers without a key; /ready says the store answers and the read models are caught up', async () => {
    const health = await api.call('GET', '/health', { headers: { 'x-request-id': 'probe-1' } });
    expect(health.body).toEqual({ status: 'ok' });
    expect(health.headers['x-request-id']).toBe('probe-1');
    const ready = await api.call('GET', '/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', head: await api.head() });
    expect(ready.body.projections.map((p: { name: string }) => p.name)).toEqual(['ill.requests', 'ill.queues', 'ill.request-summaries']);
  });

  it('/ready answers 503 naming the read models that are behind the log', async () => {
    const strict = await ApiHarness.start({ readyMaxLag: 0 });
    try {
      // An event appended without the runtime (as another process would): the read models lag until settled.
      await strict.app.events.appendToStream('other-stream', [{ id: strict.app.ids.next(), type: 'Noted', data: {}, metadata: { workflow: 'other' } }], { expectedRevision: 'no_stream' });
      const res = await strict.call('GET', '/ready');
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('UNAVAILABLE');
      expect(res.body.detail).toMatch(/ill\.requests at \d+/);
      await strict.app.runtime.settle();
      expect((await strict.call('GET', '/ready')).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  it('/openapi.json is OpenAPI 3.1, generated from the zod schemas, with every lifecycle command as its own operation and schema', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    expect(doc.openapi).toBe('3.1.0');
    for (const type of PEOPLE_COMMANDS) expect(doc.paths[`/v1/requests/{id}/commands/${type}`]?.post?.operationId).toBe(type);
    expect(doc.paths['/v1/requests/{id}/commands/deadlineReached']).toBeUndefined();
    const ship = doc.paths['/v1/requests/{id}/commands/ship'].post.requestBody.content['application/json'].schema;
    expect(ship.required).toEqual(expect.arrayContaining(['itemIds', 'dueDate', 'cost']));
    const submit = doc.paths['/v1/requests'].post.requestBody.content['application/json'].schema;
    expect(submit.properties.material.properties.title.maxLength).toBe(1000);
    for (const path of ['/v1/me', '/v1/requests/{id}', '/v1/requests/{id}/history', '/v1/queues', '/v1/libraries/{code}/history', '/v1/stats', '/v1/directory', '/v1/directory/{code}', '/v1/lifecycle']) {
      expect(doc.paths[path]?.get).toBeDefined();
    }
    // The Scalar page itself (an ES module jest cannot load) is checked in e2e/serve.e2e.test.ts.
  });
});

describe('errors, with nothing written', () => {
  it('400 for malformed JSON', async () => {
    const res = await refused(() => api.call('POST', '/v1/requests', { key: lib1, raw: '{"serviceType": "Loan",' }), 400, 'MALFORMED_JSON');
    expect(res.body.instance).toBe('/v1/requests');
  });

  it('422 naming the field for a schema violation, at the edge and from the engine', async () => {
    const { material: _m, ...noMaterial } = sampleRequest();
    const missing = await refused(() => api.call('POST', '/v1/requests', { key: lib1, body: { ...noMaterial, material: { format: 'book' } } }), 422, 'VALIDATION');
    expect(missing.body.errors).toEqual([{ path: 'body.material.title', message: expect.any(String) }]);
    const id = await api.submit(lib1);
    const engine = await refused(() => api.call('POST', `/v1/requests/${id}/commands/notAvailableLocally`, { key: lib1, body: { preferredLenders: ['LIB2', 'NOPE'] } }), 422, 'VALIDATION');
    expect(engine.body.errors).toEqual([{ path: 'body.preferredLenders[1]', message: expect.stringMatching(/unknown library 'NOPE'/) }]);
  });

  it('401 without a key, with a malformed one, and with a revoked one (WWW-Authenticate: Bearer)', async () => {
    const none = await refused(() => api.call('GET', '/v1/me'), 401, 'UNAUTHORIZED');
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    const wrong = await refused(() => api.call('GET', '/v1/me', { key: `${lib1.slice(0, -2)}xx` }), 401, 'UNAUTHORIZED');
    expect(wrong.headers['www-authenticate']).toMatch(/^Bearer.*invalid_token/);
    await refused(() => api.call('GET', '/v1/me', { headers: { authorization: 'Basic TElCMTpMSUIx' } }), 401, 'UNAUTHORIZED');
    await refused(() => api.call('POST', '/v1/requests', { body: sampleRequest() }), 401, 'UNAUTHORIZED');
    const key = await api.key('LIB6', 'borrowing');
    expect((await api.call('GET', '/v1/me', { key })).status).toBe(200);
    await api.keys.revoke(key.split('_')[1]!, { actor: { id: 'operator', role: 'admin' } });
    await refused(() => api.call('GET', '/v1/me', { key }), 401, 'UNAUTHORIZED');
  });

  it('403 for a command the key’s role may not send, for an auditor, and for another library’s queues', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const borrowerAsLender = await refused(() => api.call('POST', `/v1/requests/${id}/commands/willSupply`, { key: lib1, body: {} }), 403, 'FORBIDDEN');
    expect(borrowerAsLender.body.detail).toMatch(/lender/);
    await refused(() => api.call('POST', `/v1/requests/${id}/commands/cancel`, { key: auditor, body: { reason: 'no' } }), 403, 'FORBIDDEN');
    await refused(() => api.call('POST', '/v1/requests', { key: auditor, body: sampleRequest() }), 403, 'FORBIDDEN');
    await refused(() => api.call('POST', `/v1/requests/${id}/commands/close`, { key: lib1, body: { reason: 'done' } }), 403, 'FORBIDDEN');
    await refused(() => api.call('GET', '/v1/queues?library=LIB2', { key: lib1 }), 403, 'FORBIDDEN');
  });

  it('404 for a request that does not exist and for one the key may not see, alike', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const missing = await refused(() => api.call('GET', '/v1/requests/no-such-request', { key: lib3 }), 404, 'NOT_FOUND');
    const hidden = await refused(() => api.call('GET', `/v1/requests/${id}`, { key: lib3 }), 404, 'NOT_FOUND');
    expect(hidden.body.detail.replace(id, 'X')).toBe(missing.body.detail.replace('no-such-request', 'X'));
    await refused(() => api.call('POST', `/v1/requests/${id}/commands/cancel`, { key: lib3, body: { reason: 'mine now' } }), 404, 'NOT_FOUND');
    await refused(() => api.call('GET', '/v1/nothing-here', { key: lib3 }), 404, 'NOT_FOUND');
  });

  it('409 for a command the state does not allow, naming the state and what this caller may send', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    const res = await refused(() => api.call('POST', `/v1/requests/${id}/commands/receive`, { key: lib1, body: {} }), 409, 'ILLEGAL_STATE');
    expect(res.body.state).toBe('withLender.requested');
    expect(res.body.allowed).toEqual(['amend', 'cancel']);
    expect(res.body.detail).toMatch(/withLender\.requested/);
  });

  it('409 lists only what this key may send now: never the command just refused, never the timer’s', async () => {
    const id = await api.requestWithLender(lib1, 'LIB2');
    await api.command(lib1, id, 'cancel', { reason: 'patron left' });
    const again = await refused(() => api.call('POST', `/v1/requests/${id}/commands/cancel`, { key: lib1, body: { reason: 'really' } }), 409, 'ILLEGAL_STATE');
    expect(again.body.state).toBe('withLender.cancelPending');
    expect(again.body.allowed).toEqual(['amend']);
    expect(again.body.detail).toMatch(/a cancel is already pending.*; allowed now: amend/);
    const asLender = await refused(() => api.call('POST', `/v1/requests/${id}/commands/willSupply`, { key: lib2, body: {} }), 409, 'ILLEGAL_STATE');
    expect(asLender.body.allowed).toEqual(expect.arrayContaining(['ship', 'acceptCancel', 'refuseCancel']));
    expect(asLender.body.allowed).not.toContain('willSupply');
    expect(asLender.body.allowed).not.toContain('deadlineReached');
    const shown = await api.call('GET', `/v1/requests/${id}`, { key: lib1 });
    expect(shown.body.allowed).toEqual(['amend']); // what the refusal listed (no cancel: one is pending)
  });

  it('409 for a lost concurrency race (the engine’s ConcurrencyError after its retries)', async () => {
    const racing = await ApiHarness.start({
      sender: { mode: 'embedded', send: () => Promise.reject(new ConcurrencyError("stream moved on: expected revision 3, found 4 after 5 attempts", { streamId: 'x' })) },
    });
    try {
      const key = await racing.key('LIB1', 'borrowing');
      const before = await racing.head();
      const res = await racing.call('POST', '/v1/requests', { key, body: sampleRequest() });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'CONCURRENCY', detail: expect.stringMatching(/send the command again/) });
      expect(await racing.head()).toBe(before);
    } finally {
      await racing.close();
    }
  });

  it('413 for a body over the limit', async () => {
    const huge = { ...sampleRequest(), note: 'x'.repeat(200_000) };
    const res = await refused(() => api.call('POST', '/v1/requests', { key: lib1, body: huge }), 413, 'PAYLOAD_TOO_LARGE');
    expect(res.body.detail).toMatch(/131,072 bytes/);
  });

  it('415 for a body that is not JSON', async () => {
    await refused(() => api.call('POST', '/v1/requests', { key: lib1, raw: 'serviceType=Loan', headers: { 'content-type': 'text/plain' } }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('429 with Retry-After when one key floods the API; other keys go on', async () => {
    const limited = await ApiHarness.start({ rateLimit: { max: 3, timeWindowMs: 60_000 } });
    try {
      const flooder = await limited.key('LIB1', 'borrowing');
      const other = await limited.key('LIB1', 'borrowing');
      for (let i = 0; i < 3; i++) expect((await limited.call('GET', '/v1/me', { key: flooder })).status).toBe(200);
      const before = await limited.head();
      const res = await limited.call('POST', '/v1/requests', { key: flooder, body: sampleRequest() });
      expect(res.status).toBe(429);
      expect(res.body.code).toBe('RATE_LIMITED');
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(await limited.head()).toBe(before);
      expect((await limited.call('GET', '/v1/me', { key: other })).status).toBe(200);
      // Without a valid key, by address: guessing keys is limited too.
      for (let i = 0; i < 3; i++) expect((await limited.call('GET', '/v1/me', { key: 'ilk_0000000000000000_guess' })).status).toBe(401);
      expect((await limited.call('GET', '/v1/me', { key: 'ilk_0000000000000000_guess' })).status).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
