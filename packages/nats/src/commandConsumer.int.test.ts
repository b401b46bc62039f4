import { jetstream } from '@nats-io/jetstream';
import { StoreError, type CommandInput, type EventStore } from '@interlend/engine';
import { CommandConsumer, NatsCommandBus, encode, readDeadLetters, subjectsOf, toEnvelope, type CommandConsumerEvent, type HandledCommand } from '@interlend/nats';
import { approvalHandler, commandIdsInStore, openCommand, startWorld, streamMessageCount, until, type World } from './__tests__/world';

jest.setTimeout(30_000);

/** An event store whose first append fails as a store that is briefly down does. */
function failingOnce(store: EventStore): EventStore & { failures: number } {
  const wrapper = Object.create(store) as EventStore & { failures: number };
  wrapper.failures = 0;
  wrapper.appendToStream = async (...args) => {
    if (wrapper.failures++ === 0) throw new StoreError('database is locked (simulated)', { transient: true });
    return store.appendToStream(...args);
  };
  return wrapper;
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a worker on the command queue', () => {
  let world: World;
  beforeAll(async () => {
    // Short ack wait and few deliveries so that the failure paths run in seconds.
    world = await startWorld({ commands: { ackWaitMs: 1_000, maxDeliver: 4 } });
  });
  afterAll(() => world.close());

  test('dead-letters malformed, invalid, refused and poison messages with the reason, stores nothing of them, and goes on', async () => {
    const events: CommandConsumerEvent[] = [];
    const handler = approvalHandler(world.store, world.clock);
    const consumer = new CommandConsumer(await world.connect(), {
      settings: world.settings,
      handle: async (c) => {
        if (c.streamId === 'poison-1') throw new TypeError("Cannot read properties of undefined (reading 'x')");
        if (c.streamId === 'down-1') throw new StoreError('the store is down (simulated)');
        return handler.handle(c);
      },
      poisonAfter: 2,
      retryDelayMs: () => 50,
      onEvent: (e) => events.push(e),
    });
    await consumer.start();
    const nc = await world.connect();
    const js = jetstream(nc);
    const subjects = subjectsOf(world.settings);
    const raw = (subject: string, body: Uint8Array | string) => js.publish(subject, body);

    await raw(subjects.command('alice', 'open'), 'not json {');
    await raw(subjects.command('alice', 'open'), JSON.stringify({ v: 1, streamId: 'x-1', type: 'open', actor: { id: 'alice', role: 'author' } }));
    // the subject names alice, the envelope mallory: refused (what subject permissions rely on)
    await raw(subjects.command('alice', 'open'), encode(toEnvelope({ ...openCommand('x-2'), actor: { id: 'mallory', role: 'author' } })));
    // a well-formed envelope whose data fails the workflow's schema
    await raw(subjects.command('alice', 'open'), encode(toEnvelope({ ...openCommand('x-3'), data: { title: '' } })));
    const bus = new NatsCommandBus(nc, { settings: world.settings });
    await bus.publish(openCommand('poison-1'));
    await bus.publish(openCommand('down-1'));
    await bus.publish(openCommand('good-1'));

    await until(async () => (await streamMessageCount(nc, world.settings, 'DEAD_LETTERS')) === 6, 'six dead letters', 15_000);
    await until(async () => (await streamMessageCount(nc, world.settings, 'COMMANDS')) === 0, 'the work queue empty');
    await consumer.stop();

    const letters = await readDeadLetters(js, subjects, { origin: 'commands' });
    const byKind = (kind: string) => letters.filter((l) => l.kind === kind);
    expect(letters.map((l) => l.kind).sort()).toEqual(['exhausted', 'invalid', 'invalid', 'malformed', 'poison', 'refused']);
    expect(byKind('malformed')[0]).toMatchObject({ reason: { code: 'VALIDATION', details: { malformed: true } }, payload: 'not json {', payloadEncoding: 'utf8' });
    expect(byKind('invalid').map((l) => l.reason.details.issues)).toEqual(
      expect.arrayContaining([expect.arrayContaining([expect.objectContaining({ path: 'commandId' })]), [expect.objectContaining({ path: 'data.title' })]]),
    );
    expect(byKind('refused')[0]!.reason).toMatchObject({ code: 'FORBIDDEN', details: { actor: 'mallory' } });
    expect(byKind('poison')[0]).toMatchObject({ reason: { code: 'STORE', details: { internal: true } }, source: { deliveries: 2 } });
    expect(byKind('poison')[0]!.reason.message).toContain('Cannot read properties');
    // a store that stays down: nak'ed with a delay each time, dead-lettered at max_deliver (4)
    expect(byKind('exhausted')[0]).toMatchObject({ source: { deliveries: 4, subject: subjects.command('alice', 'open') } });
    expect(events.filter((e) => e.type === 'retry' && e.commandId === 'open:down-1')).toHaveLength(3);
    // nothing but the good command reached the store; the worker went on after each
    expect([...(await commandIdsInStore(world.store)).keys()]).toEqual(['open:good-1']);
    expect(consumer.stats).toMatchObject({ applied: 1, deadLettered: 6 });
  });

  test('naks a transient store error and applies the command when it comes back', async () => {
    const store = failingOnce(world.store);
    const handler = approvalHandler(store, world.clock);
    const events: CommandConsumerEvent[] = [];
    const consumer = new CommandConsumer(await world.connect(), { settings: world.settings, handle: (c) => handler.handle(c), onEvent: (e) => events.push(e) });
    await consumer.start();
    const nc = await world.connect();
    await new NatsCommandBus(nc, { settings: world.settings }).publish(openCommand('flaky-1'));
    await until(async () => (await world.store.readStream('flaky-1')).length === 1 && (await streamMessageCount(nc, world.settings, 'COMMANDS')) === 0, 'flaky-1 applied');
    await consumer.stop();

    expect(store.failures).toBe(2);
    expect(events.filter((e) => e.type !== 'applied')).toEqual([
      { type: 'retry', commandId: 'open:flaky-1', deliveries: 1, delayMs: 250, error: expect.objectContaining({ code: 'STORE' }) },
    ]);
    expect(events.find((e) => e.type === 'applied')).toMatchObject({ commandId: 'open:flaky-1', duplicate: false, events: 1 });
    expect((await world.store.readStream('flaky-1')).map((e) => e.type)).toEqual(['Opened']);
  });

  test('keeps a long command and one waiting for a slot past the ack wait (working()), and stop() finishes what is in hand', async () => {
    const calls: { worker: string; commandId: string; at: number }[] = [];
    const handlerA = approvalHandler(world.store, world.clock);
    const handlerB = approvalHandler(world.store, world.clock);
    const handle = (worker: string, ms: number, h: typeof handlerA) => async (c: CommandInput): Promise<HandledCommand> => {
      calls.push({ worker, commandId: c.commandId, at: Date.now() });
      await delay(ms);
      return h.handle(c);
    };
    // A: two at a time, each 2.5 s, against an ack wait of 1 s.
    const a = new CommandConsumer(await world.connect(), { settings: world.settings, concurrency: 2, handle: handle('A', 2_500, handlerA) });
    await a.start();
    const nc = await world.connect();
    const bus = new NatsCommandBus(nc, { settings: world.settings });
    for (const id of ['slow-1', 'slow-2', 'slow-3']) await bus.publish(openCommand(id));
    await until(() => calls.length === 2, 'A working on two commands');
    // B joins; for 1.5 s (past the ack wait) nothing A holds may be delivered to it.
    const b = new CommandConsumer(await world.connect(), { settings: world.settings, handle: handle('B', 0, handlerB) });
    await b.start();
    await delay(1_500);
    expect(calls.map((c) => c.worker)).toEqual(['A', 'A']);

    // SIGTERM on A: the third command (in hand, not started) goes back and B takes it at once;
    // stop() resolves only once A's two commands are applied and acknowledged.
    const stopping = Date.now();
    await a.stop();
    const stopped = Date.now();
    for (const id of ['slow-1', 'slow-2']) expect(await world.store.readStream(id)).toHaveLength(1);
    expect(stopped - calls[0]!.at).toBeGreaterThanOrEqual(2_400);
    await until(async () => (await world.store.readStream('slow-3')).length === 1, 'B applied slow-3');
    expect(calls.find((c) => c.commandId === 'open:slow-3')).toMatchObject({ worker: 'B' });
    expect(calls.find((c) => c.commandId === 'open:slow-3')!.at - stopping).toBeLessThan(500);
    await until(async () => (await streamMessageCount(nc, world.settings, 'COMMANDS')) === 0, 'the work queue empty');
    await delay(1_200); // past another ack wait: still nothing delivered again
    await b.stop();
    expect(calls.map((c) => c.commandId).sort()).toEqual(['open:slow-1', 'open:slow-2', 'open:slow-3']);
    expect(a.stats).toMatchObject({ applied: 2, retried: 0 });
    expect(b.stats).toMatchObject({ applied: 1, duplicates: 0 });
  });
});
