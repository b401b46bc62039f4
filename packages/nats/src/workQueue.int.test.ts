import { headers } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { CommandConsumer, NatsCommandBus, encode, readDeadLetters, subjectsOf, toEnvelope } from '@interlend/nats';
import { approvalHandler, commandIdsInStore, commentCommand, openCommand, startWorld, streamMessageCount, until, type World } from './__tests__/world';

jest.setTimeout(60_000);

describe('the command work queue, shared by three workers', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  test('applies 2,000 commands exactly once, though some are published twice with the same id', async () => {
    const consumers: CommandConsumer[] = [];
    for (let w = 0; w < 3; w++) {
      // each worker: its own connection and its own command handler (cache) over the shared store
      const handler = approvalHandler(world.store, world.clock);
      const consumer = new CommandConsumer(await world.connect(), { handle: (c) => handler.handle(c), settings: world.settings, concurrency: 8 });
      await consumer.start();
      consumers.push(consumer);
    }
    const nc = await world.connect();
    const bus = new NatsCommandBus(nc, { settings: world.settings });
    const streams = Array.from({ length: 400 }, (_, i) => `doc-${String(i).padStart(4, '0')}`);
    const opens = streams.map((s) => openCommand(s));
    const comments = streams.flatMap((s) => [1, 2, 3, 4].map((n) => commentCommand(s, n)));
    // Every tenth command is published a second time with the same command id (Nats-Msg-Id).
    const again = (list: typeof opens) => list.filter((_, i) => i % 10 === 0);

    const started = performance.now();
    const openReceipts = await Promise.all([...opens, ...again(opens)].map((c) => bus.publish(c)));
    await until(async () => (await world.store.headPosition()) === 400, 'the 400 streams opened');
    const opened = performance.now();
    const commentReceipts = await Promise.all([...comments, ...again(comments)].map((c) => bus.publish(c)));
    const published = performance.now();
    // Twenty more copies that NATS cannot catch (published without a Nats-Msg-Id, as after the
    // duplicate window): the engine's command-id idempotency must.
    const js = jetstream(nc);
    const h = headers();
    for (const c of comments.slice(0, 20)) await js.publish(subjectsOf(world.settings).command(c.actor.id, c.type), encode(toEnvelope(c)), { headers: h });
    await until(async () => (await world.store.headPosition()) === 2_000 && (await streamMessageCount(nc, world.settings, 'COMMANDS')) === 0, 'every command applied and acknowledged', 30_000);
    const done = performance.now();
    await Promise.all(consumers.map((c) => c.stop()));

    // NATS dropped the copies sent with the same id...
    const receipts = [...openReceipts, ...commentReceipts];
    expect(receipts.filter((r) => r.duplicate)).toHaveLength(40 + 160);
    // ...the engine the ones without; and every command id wrote exactly one event.
    const ids = await commandIdsInStore(world.store);
    expect(ids.size).toBe(2_000);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    const eventIds = new Set((await world.store.readAll({ maxCount: 5_000 })).map((e) => e.id));
    expect(eventIds.size).toBe(2_000);
    for (const s of streams.slice(0, 50)) {
      expect((await world.store.readStream(s)).map((e) => e.type)).toEqual(['Opened', 'Commented', 'Commented', 'Commented', 'Commented']);
    }
    const stats = consumers.map((c) => c.stats);
    expect(stats.reduce((n, s) => n + s.applied, 0)).toBe(2_000);
    expect(stats.reduce((n, s) => n + s.duplicates, 0)).toBe(20);
    expect(stats.every((s) => s.applied > 100)).toBe(true); // the three shared the work
    expect(await readDeadLetters(js, subjectsOf(world.settings))).toEqual([]);

    const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000);
    console.log(
      [
        'work queue, 3 workers x 8 concurrent, in-memory store, one nats-server (file storage):',
        `  400 opens (+40 same-id copies) queued and applied: ${Math.round(opened - started)} ms (${perSecond(400, opened - started)} commands/s)`,
        `  1,600 comments (+160 same-id copies) published in ${Math.round(published - opened)} ms (${perSecond(1_760, published - opened)} publishes/s)`,
        `  all 2,000 applied in ${Math.round(done - started)} ms: ${perSecond(2_000, done - started)} commands/s end to end`,
        `  per worker applied: ${stats.map((s) => s.applied).join(' / ')}; retried after a conflict or failure: ${stats.reduce((n, s) => n + s.retried, 0)}`,
      ].join('\n'),
    );
  });
});
