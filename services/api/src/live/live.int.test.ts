import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { CommandInput } from '@interlend/engine';
import { saveDirectory } from '@interlend/ill';
import { sampleDirectoryJson, sampleRequest, sampleShipment } from '@interlend/ill/testing';
import { ApiKeys, openEmbedded, type App, type ApiRole } from '@interlend/deployment';
import { LiveFeed, SseConnection, livePlugin } from './index';
import { SseTestClient } from './__tests__/sseClient';
import { StalledSink } from './__tests__/stalledSink';

/** The data of a `change` message. */
interface Change {
  position: number;
  requestId: string | null;
  eventType: string;
  time: string | null;
  state: string | null;
  borrower: string | null;
  lender: string | null;
  left: string | null;
  changed: string[];
}

const report = (line: string) => process.stdout.write(`  [live] ${line}\n`);

let dir: string;
let app: App;
let server: FastifyInstance;
let base: string;
let keys: ApiKeys;
const key: Record<string, string> = {};
let seq = 0;

const borrowing = (id: string) => ({ id, role: 'borrowing' });
const lending = (id: string) => ({ id, role: 'lending' });

/** Runs a command through the runtime (append, effects, read models), as the API does. */
async function act(streamId: string, type: string, actor: { id: string; role: string }, data: unknown = {}): Promise<void> {
  const command: CommandInput = { commandId: `cmd-${++seq}`, streamId, type, data, actor };
  await app.runtime.execute(command);
}

/** Submits a request of `borrower` and sends it to the rota, LIB2 first: the request is with LIB2 (state withLender.requested). */
async function toLender(requestId: string, borrower: string): Promise<void> {
  await act(requestId, 'submit', borrowing(borrower), sampleRequest());
  await act(requestId, 'notAvailableLocally', borrowing(borrower), { preferredLenders: ['LIB2'] });
}

/** A change every key sees (the directory imported again): once a client has it, it has had everything before it. */
async function sentinel(): Promise<number> {
  await saveDirectory(app.events, sampleDirectoryJson(), { actor: { id: 'HUB', role: 'hub' }, time: new Date().toISOString(), eventId: `directory-${++seq}` });
  await app.runtime.settle(); // the read models pass it (the directory is no read model, but the stream waits for them all the same)
  return app.events.headPosition();
}

const dueIn60Days = () => new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);

const projectionNames = () => app.runtime.projections.map((p) => p.name);

async function buildServer(options: { heartbeatMs?: number } = {}): Promise<{ server: FastifyInstance; base: string }> {
  const s = Fastify({ logger: false });
  s.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id); // as the API does: the stream must keep it
  });
  await s.register(livePlugin, {
    events: app.events,
    readModels: app.readModels,
    projections: projectionNames(),
    heartbeatMs: options.heartbeatMs,
    async authenticate(request) {
      const header = request.headers.authorization ?? '';
      const match = /^Bearer (\S+)$/.exec(header);
      const principal = match ? await keys.authenticate(match[1]!) : undefined;
      if (!principal) throw Object.assign(new Error(match ? 'the API key is not valid' : 'an API key is required (Authorization: Bearer <key>)'), { statusCode: 401 });
      return principal;
    },
  });
  const address = await s.listen({ port: 0, host: '127.0.0.1' });
  return { server: s, base: address };
}

const open = (who: string, extra: Record<string, string> = {}, query = '') => SseTestClient.open(`${base}/v1/live${query}`, { Authorization: `Bearer ${key[who]}`, ...extra });
const positions = (client: SseTestClient) => client.changes<Change>().map((c) => c.position);
const head = () => app.events.headPosition();

/** Waits until `client` has had a change at `position` or later (every change up to it then arrived). */
const until = (client: SseTestClient, position: number, what = `a change at ${position} or later`) =>
  client.waitFor((m) => m.event === 'change' && Number(m.id) >= position, what);

jest.setTimeout(60_000);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'interlend-live-'));
  const file = path.join(dir, 'live.db');
  const first = await openEmbedded(file);
  await saveDirectory(first.events, sampleDirectoryJson(), { actor: { id: 'HUB', role: 'hub' }, time: new Date().toISOString(), eventId: 'directory-1' });
  await first.close();
  app = await openEmbedded(file); // loads the directory just saved
  keys = new ApiKeys(app.events, { hashParams: { logN: 10 } });
  const admin = { id: 'admin', role: 'hub' };
  const make: [string, string, ApiRole][] = [
    ['LIB1', 'LIB1', 'borrowing'],
    ['LIB2', 'LIB2', 'lending'],
    ['LIB3', 'LIB3', 'lending'],
    ['LIB7', 'LIB7', 'borrowing'],
    ['hub', 'LIB8', 'hub'],
    ['auditor', 'LIB5', 'auditor'],
  ];
  for (const [name, library, role] of make) key[name] = (await keys.create({ library, role, actor: admin })).key;
  ({ server, base } = await buildServer());
});

afterAll(async () => {
  await server?.close();
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('GET /v1/live', () => {
  it('refuses a missing or bad key with 401 before any stream bytes', async () => {
    const none = await fetch(`${base}/v1/live`);
    const bad = await fetch(`${base}/v1/live`, { headers: { Authorization: 'Bearer ilk_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' } });
    for (const response of [none, bad]) {
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).not.toMatch(/event-stream/);
      await response.text();
    }
    report(`401 without a key and with a bad key`);
  });

  it('refuses a Last-Event-ID that is not a log position with 400', async () => {
    const response = await fetch(`${base}/v1/live`, { headers: { Authorization: `Bearer ${key.LIB1}`, 'Last-Event-ID': 'yesterday' } });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Last-Event-ID/);
  });

  it('without Last-Event-ID starts at the head with a ready event, then sends only what comes after', async () => {
    await toLender('REQ-HEAD-OLD', 'LIB1'); // before the client connects: never sent
    const at = await head();
    const client = await open('LIB1');
    expect(client.response.status).toBe(200);
    expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(client.response.headers.get('cache-control')).toBe('no-cache');
    expect(client.response.headers.get('x-accel-buffering')).toBe('no');
    expect(client.response.headers.get('x-request-id')).toBeTruthy();
    const ready = await client.waitFor((m) => m.event === 'ready', 'ready');
    expect(Number(ready.id)).toBe(at);
    expect(JSON.parse(ready.data)).toMatchObject({ position: at, head: at });
    await act('REQ-HEAD-OLD', 'cannotSupply', lending('LIB2'), { reason: 'NotHeld' });
    const next = await until(client, at + 1);
    const change = JSON.parse(next.data) as Change;
    expect(change.position).toBeGreaterThan(at);
    expect(change).toMatchObject({ requestId: 'REQ-HEAD-OLD', eventType: 'LenderUnfilled', borrower: 'LIB1' });
    expect(client.changes<Change>().every((c) => c.position > at)).toBe(true);
    report(`ready at head ${at}; first change at ${change.position} (${change.eventType} -> ${change.state})`);
    await client.close();
  });

  it("shows a borrower its own request's changes and not another library's; the hub and the auditor see both", async () => {
    const lib1 = await open('LIB1');
    const lib7 = await open('LIB7');
    const hub = await open('hub');
    const auditor = await open('auditor');
    for (const c of [lib1, lib7, hub, auditor]) await c.waitFor((m) => m.event === 'ready', 'ready');
    await toLender('REQ-VIS-1', 'LIB1');
    await toLender('REQ-VIS-7', 'LIB7');
    await act('REQ-VIS-1', 'willSupply', lending('LIB2'));
    const mark = await sentinel();
    for (const c of [lib1, lib7, hub, auditor]) await until(c, mark, 'the directory change at the end');
    const of = (c: SseTestClient) => c.changes<Change>().filter((x) => x.requestId !== null).map((x) => x.requestId);
    expect(hub.changes<Change>().find((c) => c.position === mark)).toMatchObject({ requestId: null, eventType: 'DirectoryImported', changed: ['directory'] });
    expect(new Set(of(lib1))).toEqual(new Set(['REQ-VIS-1']));
    expect(new Set(of(lib7))).toEqual(new Set(['REQ-VIS-7']));
    expect(new Set(of(hub))).toEqual(new Set(['REQ-VIS-1', 'REQ-VIS-7']));
    expect(positions(auditor)).toEqual(positions(hub));
    // every event of the two requests, once each, in log order
    const logged = (await app.events.readAll({ after: Number((await hub.waitFor((m) => m.event === 'ready', 'ready')).id) })).filter((e) => e.streamId.startsWith('REQ-VIS'));
    const requestPositions = (c: SseTestClient) => c.changes<Change>().filter((x) => x.requestId !== null).map((x) => x.position);
    expect(requestPositions(hub)).toEqual(logged.map((e) => e.position));
    expect(requestPositions(lib1)).toEqual(logged.filter((e) => e.streamId === 'REQ-VIS-1').map((e) => e.position));
    // what the borrower is told to re-read: its request, its queues and history, never the lender's
    const willSupply = lib1.changes<Change>().find((c) => c.eventType === 'WillSupplyAnswered')!;
    expect(willSupply).toMatchObject({ state: 'withLender.willSupply', borrower: 'LIB1', lender: 'LIB2' });
    expect(willSupply.changed).toEqual(['request:REQ-VIS-1', 'queues:LIB1', 'history:LIB1', 'stats']);
    expect(hub.changes<Change>().find((c) => c.eventType === 'WillSupplyAnswered')!.changed).toEqual(['request:REQ-VIS-1', 'queues:LIB1', 'queues:LIB2', 'history:LIB1', 'history:LIB2', 'stats']);
    report(`visibility: LIB1 ${lib1.changes().length} changes, LIB7 ${lib7.changes().length}, hub ${hub.changes().length}, auditor ${auditor.changes().length} (positions ${positions(hub).join(',')})`);
    await Promise.all([lib1, lib7, hub, auditor].map((c) => c.close()));
  });

  it('shows a lender the request arrive, and leave when the rota moves on; then nothing more of it', async () => {
    const lib2 = await open('LIB2');
    const lib3 = await open('LIB3');
    await lib2.waitFor((m) => m.event === 'ready', 'ready');
    await lib3.waitFor((m) => m.event === 'ready', 'ready');
    await toLender('REQ-ROTA', 'LIB1');
    const arrived = JSON.parse((await lib2.waitFor((m) => m.event === 'change' && JSON.parse(m.data).lender === 'LIB2', 'the request arriving at LIB2')).data) as Change;
    expect(arrived).toMatchObject({ requestId: 'REQ-ROTA', state: 'withLender.requested', lender: 'LIB2', left: null });
    expect(arrived.changed).toContain('queues:LIB2');
    const queueOfLib2 = async () => (await app.readModels.query('ill.queues', { index: 'library:LIB2' })).map((d) => d.key);
    expect(await queueOfLib2()).toContain('REQ-ROTA');

    await act('REQ-ROTA', 'cannotSupply', lending('LIB2'), { reason: 'NotHeld' });
    const left = JSON.parse((await lib2.waitFor((m) => m.event === 'change' && JSON.parse(m.data).left === 'LIB2', 'the request leaving LIB2')).data) as Change;
    expect(left.lender).toBeNull(); // LIB2 is not told who was asked next
    expect(left.changed).toEqual(['request:REQ-ROTA', 'queues:LIB2', 'history:LIB2', 'stats']);
    expect(await queueOfLib2()).not.toContain('REQ-ROTA');
    const atLib3 = JSON.parse((await lib3.waitFor((m) => m.event === 'change' && JSON.parse(m.data).lender === 'LIB3', 'the request arriving at LIB3')).data) as Change;
    expect(atLib3.position).toBe(left.position);
    expect(atLib3.left).toBeNull(); // LIB3 is not told who declined before it

    await act('REQ-ROTA', 'willSupply', lending('LIB3'));
    await until(lib3, await head());
    // A later request that comes to LIB2: its stream is in log order, so once that arrived, anything of REQ-ROTA would have too.
    await toLender('REQ-ROTA-2', 'LIB1');
    await until(lib2, await head());
    expect(lib2.changes<Change>().filter((c) => c.requestId === 'REQ-ROTA').map((c) => c.position)).toEqual([arrived.position, left.position]);
    report(`lender: LIB2 saw REQ-ROTA arrive at ${arrived.position} and leave at ${left.position}; LIB3 took it at ${atLib3.position}`);
    await Promise.all([lib2.close(), lib3.close()]);

    // The same, replayed from the log by a lender that reconnects from before the request arrived.
    const again = await open('LIB2', { 'Last-Event-ID': String(arrived.position - 1) });
    await until(again, left.position);
    const replayed = again.changes<Change>().filter((c) => c.requestId === 'REQ-ROTA');
    expect(replayed).toEqual(lib2.changes<Change>().filter((c) => c.requestId === 'REQ-ROTA'));
    await again.close();
  });

  it('replays the whole log from Last-Event-ID 0: every request and directory change once, in order, and no API-key event', async () => {
    const mark = await sentinel();
    const hub = await open('hub', { 'Last-Event-ID': '0' });
    await until(hub, mark);
    const log = await app.events.readAll({ after: 0, maxCount: 100_000 });
    const shown = log.filter((e) => e.metadata.workflow === 'ill-request' || e.streamId === 'directory').filter((e) => e.position <= mark);
    expect(positions(hub)).toEqual(shown.map((e) => e.position));
    expect(hub.changes<Change>().map((c) => c.eventType)).not.toContain('ApiKeyCreated');
    report(`replay from 0: ${positions(hub).length} changes of ${log.filter((e) => e.position <= mark).length} events (the rest: API keys)`);
    await hub.close();
  });

  it('announces a change only once the read models have passed it: a client that re-reads the queue sees it', async () => {
    const hub = await open('hub');
    await hub.waitFor((m) => m.event === 'ready', 'ready');
    const names = projectionNames();
    // Append without bringing the read models up (a worker that has not run yet).
    await app.runtime.handler.handle({ commandId: `cmd-${++seq}`, streamId: 'REQ-CP', type: 'submit', data: sampleRequest(), actor: borrowing('LIB1') });
    const appended = await head();
    const checkpoints = await Promise.all(names.map((n) => app.readModels.checkpoint(n)));
    expect(Math.min(...checkpoints)).toBeLessThan(appended);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the feed polls every 25 ms: it had time to (wrongly) send it
    expect(positions(hub)).not.toContain(appended);

    // On receipt, re-read at once: the checkpoints and the queue document must show the change.
    const seen = new Promise<{ checkpoints: number[]; queueState: unknown; announced: string | null }>((resolve, reject) => {
      hub
        .waitFor((m) => m.event === 'change' && Number(m.id) === appended, 'the held-back change')
        .then(async (message) => {
          const cps = await Promise.all(names.map((n) => app.readModels.checkpoint(n)));
          const doc = (await app.readModels.getMany('ill.queues', ['REQ-CP'])).get('REQ-CP') as { state?: string } | undefined;
          resolve({ checkpoints: cps, queueState: doc?.state, announced: (JSON.parse(message.data) as Change).state });
        }, reject);
    });
    await app.runtime.settle();
    const { checkpoints: after, queueState, announced } = await seen;
    expect(Math.min(...after)).toBeGreaterThanOrEqual(appended);
    expect(announced).toBeTruthy();
    expect(queueState).toBe(announced); // the queue document is already in the state the change announced
    report(`held back position ${appended} while checkpoints were at ${Math.min(...checkpoints)}; sent once they reached ${Math.min(...after)}`);
    await hub.close();
  });

  it('resumes with Last-Event-ID (and ?after=) after disconnects with exactly the missed changes, while commands keep flowing', async () => {
    const steady = await open('LIB1'); // never disconnects: the reference
    const ready = await steady.waitFor((m) => m.event === 'ready', 'ready');
    let flowing = true;
    let commands = 0;
    const driver = (async () => {
      for (let i = 0; flowing || i < 6; i++) {
        const id = `REQ-FLOW-${i}`;
        await toLender(id, i % 3 === 2 ? 'LIB7' : 'LIB1'); // a third of them another library's
        await act(id, 'willSupply', lending('LIB2'));
        await act(id, 'ship', lending('LIB2'), sampleShipment({ dueDate: dueIn60Days() }));
        commands += 4;
        await new Promise((resolve) => setImmediate(resolve)); // the store is synchronous underneath: let the server and the clients run
      }
    })();

    // First connection: from the steady client's start, cut after a few changes.
    const received: Change[] = [];
    let resumeFrom = ready.id;
    const sessions: string[] = [];
    for (let round = 0; round < 3; round++) {
      const viaQuery = round === 2;
      const client = viaQuery ? await open('LIB1', {}, `?after=${resumeFrom}`) : await open('LIB1', { 'Last-Event-ID': resumeFrom });
      await client.waitFor((m) => m.event === 'change', 'a change', 20_000);
      await client.waitFor(() => client.changes().length >= 3, 'three changes', 20_000);
      await client.close();
      // A resumed stream's ready comes once the missed changes were replayed, with the position reached.
      const readies = client.messages.filter((m) => m.event === 'ready');
      expect(readies).toHaveLength(1);
      expect(JSON.parse(readies[0]!.data)).toMatchObject({ resumed: true, position: Number(readies[0]!.id) });
      const before = client.messages.slice(0, client.messages.indexOf(readies[0]!)).filter((m) => m.event === 'change');
      expect(before.every((m) => Number(m.id) <= Number(readies[0]!.id))).toBe(true);
      expect(client.changes<Change>()[0]!.position).toBeGreaterThan(Number(resumeFrom));
      received.push(...client.changes<Change>());
      sessions.push(`${viaQuery ? '?after=' : 'Last-Event-ID: '}${resumeFrom} -> ${client.changes().length} changes, last id ${client.lastId}`);
      resumeFrom = client.lastId;
      if (round < 2) await act(`REQ-GAP-${round}`, 'submit', borrowing('LIB1'), sampleRequest()); // happens while disconnected
    }
    flowing = false;
    await driver;
    await app.runtime.settle(); // concurrent commands: a settle that lost a race left the rest to the next one
    const final = await sentinel();
    const last = await open('LIB1', { 'Last-Event-ID': resumeFrom });
    await until(last, final);
    await until(steady, final);
    received.push(...last.changes<Change>());

    const got = received.map((c) => c.position);
    expect(new Set(got).size).toBe(got.length); // no duplicate
    expect(got).toEqual(positions(steady)); // no gap: exactly what a client that never left received
    // ...and what the log says LIB1 should see: every event of its requests after the steady client's start (it is never a lender here)
    const logged = (await app.events.readAll({ after: Number(ready.id), maxCount: 100_000 })).filter((e) => e.metadata.workflow === 'ill-request');
    const requestChanges = got.filter((p) => received.find((c) => c.position === p)!.requestId !== null);
    const borrowerOf = new Map<string, unknown>();
    for (const e of logged) if (!borrowerOf.has(e.streamId)) borrowerOf.set(e.streamId, (await app.events.readStream(e.streamId, { maxCount: 1 }))[0]!.data.borrower);
    expect(requestChanges).toEqual(logged.filter((e) => borrowerOf.get(e.streamId) === 'LIB1').map((e) => e.position));
    const gap = received.filter((c) => c.requestId?.startsWith('REQ-GAP')).length; // made while no connection was open
    expect(gap).toBe(logged.filter((e) => e.streamId.startsWith('REQ-GAP')).length);
    expect(gap).toBeGreaterThanOrEqual(2);
    for (const line of sessions) report(`resume: ${line}`);
    report(`resume: ${commands} commands while reconnecting; ${got.length} changes over 4 connections = ${positions(steady).length} on the steady stream, positions ${got[0]}..${got[got.length - 1]}`);
    await Promise.all([last.close(), steady.close()]);
  });

  it('sends heartbeats that carry the position reached past invisible changes', async () => {
    const { server: quick, base: quickBase } = await buildServer({ heartbeatMs: 50 });
    try {
      const client = await SseTestClient.open(`${quickBase}/v1/live`, { Authorization: `Bearer ${key.LIB7}` });
      const ready = await client.waitFor((m) => m.event === 'ready', 'ready');
      await toLender('REQ-HB', 'LIB1'); // LIB7 is not concerned
      const at = await head();
      const deadline = Date.now() + 15_000;
      while (Number(client.lastId) < at && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(Number(client.lastId)).toBe(at);
      expect(client.changes()).toHaveLength(0);
      expect(client.comments).toBeGreaterThan(0);
      report(`heartbeats: ${client.comments} comments; last id moved from ${ready.id} to ${client.lastId} with no change shown`);
      await client.close();
    } finally {
      await quick.close();
    }
  });

  it('cuts off a client that leaves more than maxBuffered messages unread, and forgets a client that hangs up', async () => {
    const feed = new LiveFeed({ events: app.events, readModels: app.readModels, projections: projectionNames() });
    const hub = (await keys.authenticate(key.hub!))!;
    const slowSink = new StalledSink();
    const slow = new SseConnection(slowSink, 4, 0);
    const goneSink = new StalledSink();
    const gone = new SseConnection(goneSink, 1_000, 0);
    try {
      await feed.subscribe(hub, slow, undefined); // the ready event: 1 unread message
      await feed.subscribe(hub, gone, undefined);
      expect(feed.clients).toBe(2);
      goneSink.hangUp();
      expect(feed.clients).toBe(1); // its subscription is dropped at once
      expect(gone.closeReason).toBe('client');
      for (let i = 0; i < 3; i++) await toLender(`REQ-SLOW-${i}`, 'LIB1'); // 2 changes each, none read
      const deadline = Date.now() + 15_000;
      while (!slow.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(slow.closeReason).toBe('slow');
      expect(slowSink.destroyed).toBe(true);
      expect(feed.clients).toBe(0);
      const sent = slowSink.chunks.filter((c) => c.includes('event: change')).length;
      expect(sent).toBe(3); // 1 ready + 3 changes = the bound of 4; the 5th message cut it off
      report(`slow client: cut off after ${sent} unread changes (maxBuffered 4); a client that hung up was dropped`);
    } finally {
      await feed.stop();
    }
  });

  it('ends every stream when the server closes', async () => {
    const { server: closing, base: closingBase } = await buildServer();
    const clients = await Promise.all(['LIB1', 'hub'].map((who) => SseTestClient.open(`${closingBase}/v1/live`, { Authorization: `Bearer ${key[who]}` })));
    for (const c of clients) await c.waitFor((m) => m.event === 'ready', 'ready');
    await closing.close(); // would wait forever on open streams if they were not ended
    for (const c of clients) await c.untilEnded();
    expect(clients.every((c) => c.ended)).toBe(true);
    const refused = await fetch(`${closingBase}/v1/live`, { headers: { Authorization: `Bearer ${key.LIB1}` } }).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(refused).toBe('refused');
    report(`server close ended ${clients.length} streams`);
  });
});
