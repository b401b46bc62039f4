import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { PermissionViolationError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { CommandConsumer, KvLease, NatsCommandBus, connectNats, ensureStreams, natsAuthorization, resolveSettings, subjectsOf, type NatsSettings, type NatsUser } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { InMemoryEventStore, ManualClock } from '@interlend/engine';
import { approvalHandler, openCommand, readStreamMessages, T0, until } from './__tests__/world';

jest.setTimeout(20_000);

/** Library A, and a library B whose code needs token() (`B.2` is the one token `B%2E2`). */
const A = 'A';
const B = 'B.2';
const USERS: NatsUser[] = [
  { user: 'worker', password: 'pw-worker', role: 'worker' },
  { user: 'api', password: 'pw-api', role: 'api' },
  { user: 'dashboard-A', password: 'pw-a', role: 'library', library: A },
  { user: 'dashboard-B', password: 'pw-b', role: 'library', library: B },
  { user: 'auditor', password: 'pw-auditor', role: 'auditor' },
];

const enc = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** Permission violations the server reported to a connection (nats.js v3: `nc.status()` events of type 'error'). */
function violationsOf(nc: NatsConnection): PermissionViolationError[] {
  const out: PermissionViolationError[] = [];
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'error' && s.error instanceof PermissionViolationError) out.push(s.error);
  })();
  return out;
}

/** Subscribes and collects the subjects received. */
function collect(nc: NatsConnection, subject: string): { sub: Subscription; got: string[] } {
  const got: string[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => {
      if (m?.subject) got.push(m.subject);
    },
  });
  return { sub, got };
}

/** How a subscription ended: the server's refusal (v3: `sub.closed` resolves to the error), or still open after `ms`. */
async function endOf(sub: Subscription, ms = 1_000): Promise<Error | 'open' | 'closed'> {
  const r = await Promise.race([sub.closed, new Promise<'open'>((res) => setTimeout(() => res('open'), ms))]);
  return r === 'open' ? 'open' : (r ?? 'closed');
}

describe('access control on a real nats-server: the generated authorization block', () => {
  let server: NatsServerHandle;
  let settings: NatsSettings;
  const connections: NatsConnection[] = [];
  const as = async (user: string, extra: { inboxPrefix?: string } = {}) => {
    const u = USERS.find((x) => x.user === user) ?? { user, password: `pw-${user}` };
    const nc = await connectNats(server.url, { user: u.user, pass: u.password, name: user, maxReconnectAttempts: 0, ...extra });
    connections.push(nc);
    return nc;
  };
  let worker: NatsConnection;
  let jsm: JetStreamManager;
  let dashA: NatsConnection;
  let dashB: NatsConnection;
  let violationsA: PermissionViolationError[];
  const figures: string[] = [];

  beforeAll(async () => {
    const block = natsAuthorization({ users: USERS });
    // One more user, outside the generated block, to show what a library would get with JetStream access
    // narrowed as far as 2.9 allows: its own consumer name, with its own filter in the create subject.
    const s0 = subjectsOf(resolveSettings({}));
    const jsDashboard = `    {
      user: "js-dashboard-A"
      password: "pw-js-dashboard-A"
      permissions: {
        publish: { allow: ["$JS.API.CONSUMER.CREATE.${s0.streamName('EFFECTS')}.dash-A.${s0.effectsOf(A)}", "$JS.API.CONSUMER.MSG.NEXT.${s0.streamName('EFFECTS')}.dash-A"] }
        subscribe: { allow: ["_INBOX_A.>"] }
      }
    }
  ]
}
`;
    expect(block.endsWith('  ]\n}\n')).toBe(true);
    server = await startNatsServer({ config: block.slice(0, -'  ]\n}\n'.length) + jsDashboard });
    worker = await as('worker');
    jsm = await jetstreamManager(worker);
    settings = await ensureStreams(jsm, {});
    dashA = await as('dashboard-A');
    dashB = await as('dashboard-B');
    violationsA = violationsOf(dashA);
  });
  afterAll(async () => {
    console.log(`access control: ${figures.join('; ')}`);
    await Promise.all(connections.map((c) => (c.isClosed() ? undefined : c.close())));
    await server?.stop();
  });

  const s = () => subjectsOf(settings);
  const count = async (kind: 'COMMANDS' | 'EVENTS' | 'EFFECTS' | 'DEAD_LETTERS') => (await jsm.streams.info(s().streamName(kind))).state.messages;

  test('without a password, or with a wrong one, nobody connects', async () => {
    await expect(connectNats(server.url, { maxReconnectAttempts: 0 })).rejects.toThrow(/cannot connect/);
    await expect(connectNats(server.url, { user: 'dashboard-A', pass: 'wrong', maxReconnectAttempts: 0 })).rejects.toThrow(/cannot connect/);
  });

  test("a library's dashboard receives its own effects, events (as borrower and as lender) and news, and none of another library's", async () => {
    const mineA = [...s().eventsOf(A), s().effectsOf(A), s().newsOf(A)].map((subject) => collect(dashA, subject));
    const mineB = [...s().eventsOf(B), s().effectsOf(B), s().newsOf(B)].map((subject) => collect(dashB, subject));
    // A tries to read B's subjects, everyone's, and the replies sent to other clients
    const forbidden = [s().effectsOf(B), s().eventsOf(B)[0]!, s().eventsOf(B)[1]!, s().newsOf(B), s().newsOf(undefined), s().eventsAll, s().effectsAll, 'interlend.events.*.*.*.*', s().deadAll, s().commandsAll, s().rpcAll, '_INBOX.>', '$JS.>', '>'];
    const attempts = forbidden.map((subject) => ({ subject, ...collect(dashA, subject) }));
    await dashA.flush();
    await dashB.flush();

    // published as the workers do: effects and events on their streams, news on core NATS
    const js = jetstream(worker);
    await js.publish(s().effect(A, 'notifyLender'), enc({ to: A }));
    await js.publish(s().event([B, A], 'req-1', 'Shipped'), enc({ req: 1 }));
    await js.publish(s().event([A, 'C'], 'req-2', 'Requested'), enc({ req: 2 }));
    worker.publish(s().news(A, 'ill.requests'), enc({ changed: ['req-2'] }));
    await js.publish(s().effect(B, 'notifyBorrower'), enc({ to: B }));
    await js.publish(s().event([B, 'C'], 'req-3', 'Requested'), enc({ req: 3 }));
    await js.publish(s().event(['C', B], 'req-4', 'Shipped'), enc({ req: 4 }));
    worker.publish(s().news(B, 'ill.requests'), enc({ changed: ['req-3'] }));
    worker.publish(s().news(undefined, 'ill.requests'), enc({ changed: ['req-1', 'req-2', 'req-3'] }));
    await js.publish(s().effect(undefined, 'sendMail'), enc({}));
    await worker.flush();

    const gotA = () => mineA.flatMap((m) => m.got).sort();
    const gotB = () => mineB.flatMap((m) => m.got).sort();
    await until(() => gotA().length >= 4 && gotB().length >= 5, 'the dashboards receive their messages', 3_000);
    await new Promise((r) => setTimeout(r, 100)); // anything more would have arrived by now
    expect(gotA()).toEqual(
      [s().effect(A, 'notifyLender'), s().event([B, A], 'req-1', 'Shipped'), s().event([A, 'C'], 'req-2', 'Requested'), s().news(A, 'ill.requests')].sort(),
    );
    expect(gotB()).toEqual(
      [s().effect(B, 'notifyBorrower'), s().event([B, A], 'req-1', 'Shipped'), s().event([B, 'C'], 'req-3', 'Requested'), s().event(['C', B], 'req-4', 'Shipped'), s().news(B, 'ill.requests')].sort(),
    );
    expect(gotB()).toContain('interlend.effects.B%2E2.notifyBorrower'); // the odd code travels as one token

    // every forbidden subscription was refused by the server, and received nothing
    for (const a of attempts) {
      const end = await endOf(a.sub);
      expect([a.subject, end instanceof PermissionViolationError ? `${end.operation} refused` : String(end)]).toEqual([a.subject, 'subscription refused']);
      expect([a.subject, a.got]).toEqual([a.subject, []]);
    }
    expect(violationsA.filter((v) => v.operation === 'subscription').map((v) => v.subject).sort()).toEqual(forbidden.slice().sort());
    // the allowed subscriptions are still open: a refusal closes only its own subscription
    for (const m of mineA) expect(await endOf(m.sub, 10)).toBe('open');
    figures.push(`library A received ${gotA().length}/4 of its messages and 0 of B's; ${attempts.length}/${forbidden.length} foreign subscriptions refused`);
  });

  test('a library cannot send commands or requests: the publish is refused and nothing reaches the queue or a worker', async () => {
    const watch = [collect(worker, s().commandsAll), collect(worker, s().rpcAll)];
    await worker.flush();
    const before = violationsA.length;
    const queued = await count('COMMANDS');
    const command = enc({ v: 1, commandId: 'c-a', streamId: 'req-9', type: 'submit', data: {}, actor: { id: A, role: 'borrowing' }, sentAt: T0 });
    dashA.publish(s().command(A, 'submit'), command);
    dashA.publish(s().rpc(A, 'submit'), command);
    dashA.publish(s().command(B, 'submit'), command);
    dashA.publish(s().effect(B, 'notifyBorrower'), enc({ forged: true }));
    dashA.publish(s().news(B, 'ill.requests'), enc({ forged: true }));
    await dashA.flush();
    await until(() => violationsA.length >= before + 5, 'the server reports five publish violations', 3_000);
    expect(violationsA.slice(before).map((v) => `${v.operation} ${v.subject}`)).toEqual([
      `publish ${s().command(A, 'submit')}`,
      `publish ${s().rpc(A, 'submit')}`,
      `publish ${s().command(B, 'submit')}`,
      `publish ${s().effect(B, 'notifyBorrower')}`,
      `publish ${s().news(B, 'ill.requests')}`,
    ]);
    // a request fails too (it cannot even listen for the answer)
    await expect(dashA.request(s().rpc(A, 'submit'), command, { timeout: 1_000 })).rejects.toThrow(/Permissions Violation for Subscription to "_INBOX\./);
    await until(() => violationsA.length === before + 7, "the request's two refusals (its inbox, its publish)", 3_000);
    expect(violationsA.slice(before + 5).map((v) => v.operation)).toEqual(['subscription', 'publish']);
    expect(await count('COMMANDS')).toBe(queued);
    expect(watch.flatMap((w) => w.got)).toEqual([]);
    expect(dashA.isClosed()).toBe(false); // a violation does not close the connection
    figures.push(`library A's 5 publishes and 1 request refused, COMMANDS stayed at ${queued} messages`);
  });

  test("a library cannot read another library's effects through JetStream either: it has no JetStream API at all", async () => {
    const consumers = async () => (await jsm.consumers.list(s().streamName('EFFECTS')).next()).length;
    const before = await consumers();
    const start = violationsA.length;
    const create = (filter: string) => `$JS.API.CONSUMER.CREATE.${s().streamName('EFFECTS')}.peek.${filter}`;
    for (const filter of [s().effectsOf(B), s().effectsOf(A)]) {
      dashA.publish(create(filter), enc({ stream_name: s().streamName('EFFECTS'), config: { name: 'peek', filter_subject: filter, ack_policy: 'none' } }));
    }
    dashA.publish(`$JS.API.CONSUMER.MSG.NEXT.${s().streamName('EFFECTS')}.peek`, enc({ batch: 10 }));
    dashA.publish('$JS.API.STREAM.MSG.GET.' + s().streamName('EFFECTS'), enc({ last_by_subj: s().effect(B, 'notifyBorrower') }));
    await dashA.flush();
    await until(() => violationsA.length >= start + 4, 'four refused JetStream API calls', 3_000);
    const refused = violationsA.slice(start);
    expect(refused.every((v) => v.operation === 'publish' && v.subject.startsWith('$JS.API.'))).toBe(true);
    // and with nats.js's JetStream client: the manager cannot even ask for the account info
    await expect(jetstreamManager(dashA, { timeout: 500 })).rejects.toThrow();
    expect(await consumers()).toBe(before);
    figures.push(`library A's JetStream API calls refused (${refused.length}), no consumer created`);
  });

  test('the api sends commands and requests that a worker (with only its own permissions) applies; it reads the feed through its own consumers, never the command queue', async () => {
    const store = new InMemoryEventStore();
    const handler = approvalHandler(store, new ManualClock(T0));
    const consumer = new CommandConsumer(worker, { settings, handle: (c) => handler.handle(c) });
    await consumer.start();
    try {
      const api = await as('api');
      const bus = new NatsCommandBus(api, { settings });
      const receipt = await bus.publish(openCommand('q-1'));
      expect(receipt.duplicate).toBe(false);
      const outcome = await bus.request(openCommand('q-2')); // rpc: the worker answers (allow_responses)
      expect(outcome).toMatchObject({ streamId: 'q-2', duplicate: false, state: { name: 'open' } });
      await until(async () => (await store.readStream('q-1')).length === 1, 'the queued command is applied');
      expect(consumer.stats).toMatchObject({ applied: 2, deadLettered: 0 });
      expect(await count('COMMANDS')).toBe(0);

      // the api reads the feed with an ordered consumer of its own (the extended create subject)
      const feed = await readStreamMessages(api, s().streamName('EVENTS'), s().eventsOf(A)[1]!);
      expect(feed.map((m) => m.subject)).toEqual([s().event([B, A], 'req-1', 'Shipped')]);
      // but cannot pull the workers' commands, nor delete a stream
      const violations = violationsOf(api);
      api.publish(`$JS.API.CONSUMER.MSG.NEXT.${s().streamName('COMMANDS')}.${settings.commands.durable}`, enc({ batch: 1 }));
      api.publish(`$JS.API.STREAM.DELETE.${s().streamName('EVENTS')}`);
      await api.flush();
      await until(() => violations.length >= 2, 'two refusals', 3_000);
      expect(violations.map((v) => v.subject)).toEqual([`$JS.API.CONSUMER.MSG.NEXT.${s().streamName('COMMANDS')}.workers`, `$JS.API.STREAM.DELETE.${s().streamName('EVENTS')}`]);

      // the worker holds the deadline lease in the lease bucket
      const lease = new KvLease(await new Kvm(worker).open(s().leaseBucket), 'deadlines', 'worker-1');
      expect(await lease.acquire()).toBe(true);
      await lease.release();
      figures.push(`api: 1 queued + 1 requested command applied by the worker, feed read (${feed.length} event for A as lender)`);
    } finally {
      await consumer.stop();
    }
  });

  test("the auditor reads everyone's effects and dead letters live, and sends nothing", async () => {
    const auditor = await as('auditor');
    const violations = violationsOf(auditor);
    const effects = collect(auditor, s().effectsAll);
    const dead = collect(auditor, s().deadAll);
    await auditor.flush();
    const js = jetstream(worker);
    await js.publish(s().effect(B, 'notifyLender'), enc({}));
    await js.publish(s().dead('commands', 'invalid'), enc({}));
    await until(() => effects.got.length === 1 && dead.got.length === 1, 'the auditor receives both', 3_000);
    auditor.publish(s().command(A, 'submit'), enc({}));
    await auditor.flush();
    await until(() => violations.length === 1, 'a refusal', 3_000);
    expect(violations[0]).toMatchObject({ operation: 'publish', subject: s().command(A, 'submit') });
    expect(await count('COMMANDS')).toBe(0);
    figures.push('auditor: reads everyone live, its publish refused');
  });

  test('why libraries get no JetStream API: 2.9.10 does enforce the filter in the create subject, but any JetStream request makes the server write to the reply subject, the command queue included', async () => {
    const js = await as('js-dashboard-A', { inboxPrefix: '_INBOX_A' });
    const stream = s().streamName('EFFECTS');
    const createSubject = `$JS.API.CONSUMER.CREATE.${stream}.dash-A.${s().effectsOf(A)}`;
    const create = async (filter: string) => JSON.parse((await js.request(createSubject, enc({ stream_name: stream, config: { name: 'dash-A', filter_subject: filter, ack_policy: 'none' } }), { timeout: 2_000 })).string()) as { error?: { err_code: number }; config?: { filter_subject: string } };
    // a body asking for B's effects under A's create subject is refused (10131: filter does not match the subject)
    expect((await create(s().effectsOf(B))).error?.err_code).toBe(10131);
    expect((await create(s().effectsOf(A))).config?.filter_subject).toBe(s().effectsOf(A));
    // a pull delivers with the stream subject on the caller's inbox subscription
    const inbox = collect(js, '_INBOX_A.pull');
    js.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.dash-A`, enc({ batch: 1, no_wait: true }), { reply: '_INBOX_A.pull' });
    await until(() => inbox.got.length === 1, "A's effect pulled", 3_000);
    expect(inbox.got).toEqual([s().effect(A, 'notifyLender')]); // reading works, and only A's...
    // ...but the reply subject is the caller's choice and the server publishes there: into the command queue
    await jetstream(worker).publish(s().effect(A, 'notifyLender'), enc({ to: A, n: 2 }));
    const queued = await count('COMMANDS');
    js.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.dash-A`, enc({ batch: 1, no_wait: true }), { reply: s().command(B, 'submit') });
    await js.flush();
    await until(async () => (await count('COMMANDS')) === queued + 1, 'the server wrote into COMMANDS on behalf of a read-only user', 3_000);
    // stored in COMMANDS under the effect's own subject (2.9.10 routes by the reply subject, keeps the message's subject)
    const state = (await jsm.streams.info(s().streamName('COMMANDS'), { subjects_filter: '>' })).state;
    expect(state.subjects).toEqual({ [s().effect(A, 'notifyLender')]: 1 });
    const landed = await jsm.streams.getMessage(s().streamName('COMMANDS'), { seq: state.last_seq });
    expect(landed?.json()).toEqual({ to: A, n: 2 });
    figures.push(`JetStream for a library: filter enforced (10131), but a pull with a forged reply subject put ${(await count('COMMANDS')) - queued} message into COMMANDS`);
  });
});
