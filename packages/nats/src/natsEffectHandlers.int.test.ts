import { CommandHandler, EffectDispatcher, ProjectionRunner, timersProjection, type EffectFailure } from '@interlend/engine';
import { CommandConsumer, EffectMessageSchema, HEADERS, decode, natsEffectHandlers, subjectsOf, type EffectRoute } from '@interlend/nats';
import { approvalHandler, approvalWorkflow, openCommand, readStreamMessages, startWorld, streamMessageCount, until, type World } from './__tests__/world';

jest.setTimeout(30_000);

describe('effects over NATS', () => {
  let world: World;
  const streams = Array.from({ length: 20 }, (_, i) => `doc-${i}`);
  beforeAll(async () => {
    world = await startWorld();
    const handler = approvalHandler(world.store, world.clock);
    for (const s of streams) {
      await handler.handle(openCommand(s));
      // approving records a notifyAuthor effect
      await handler.handle({ commandId: `approve:${s}`, streamId: s, type: 'approve', actor: { id: 'rita', role: 'reviewer' } });
    }
  });
  afterAll(() => world.close());

  const deliverToAuthor: EffectRoute = { deliver: (effect) => String(effect.params.author) };

  test("delivers each effect once to its party's subject, however often the dispatcher runs it", async () => {
    const handlers = natsEffectHandlers(world.nc, { settings: world.settings, routes: { notifyAuthor: deliverToAuthor } });
    expect(await new EffectDispatcher(world.store, world.readModels, handlers).catchUp()).toBe(20);
    // A second dispatcher over the same log (another worker; one that crashed before its checkpoint): runs them all again.
    expect(await new EffectDispatcher(world.store, world.readModels, handlers, { name: 'another-worker' }).catchUp()).toBe(20);
    const subjects = subjectsOf(world.settings);
    const delivered = await readStreamMessages(world.nc, subjects.streamName('EFFECTS'), subjects.effectsOf('alice'));
    expect(delivered).toHaveLength(20);
    const messages = delivered.map((m) => decode(EffectMessageSchema, m.data, 'effect'));
    const approvals = (await world.store.readAll({ maxCount: 100 })).filter((e) => e.type === 'Approved');
    // the effect id is the event id and the effect's index among the event's effects (cancelDeadline comes first)
    const effectIndex = (e: (typeof approvals)[number]) => (e.metadata.effects as { type: string }[]).findIndex((x) => x.type === 'notifyAuthor');
    expect(messages.map((m) => m.effectId).sort()).toEqual(approvals.map((e) => `${e.id}:${effectIndex(e)}`).sort());
    expect(messages[0]).toMatchObject({ v: 1, type: 'notifyAuthor', params: { author: 'alice' }, party: 'alice', streamId: 'doc-0' });
    expect(delivered[0]!.subject).toBe('interlend.effects.alice.notifyAuthor');
    expect(delivered[0]!.headers?.get(HEADERS.msgId)).toBe(messages[0]!.effectId);
  });

  test('never carries an effect out during a replay: folding and rebuilding publish nothing', async () => {
    const before = await streamMessageCount(world.nc, world.settings, 'EFFECTS');
    const fresh = new CommandHandler({ workflow: approvalWorkflow, store: world.store, services: { reviewers: ['rita'] } });
    for (const s of streams) expect((await fresh.load(s))?.stateName).toBe('approved');
    await new ProjectionRunner(world.store, world.readModels).rebuild([timersProjection]);
    expect(await streamMessageCount(world.nc, world.settings, 'EFFECTS')).toBe(before);
  });

  test('carries out an effect routed as a command once, through the work queue', async () => {
    const handlers = natsEffectHandlers(world.nc, {
      settings: world.settings,
      routes: {
        notifyAuthor: { command: (_effect, { event }) => ({ streamId: `${event.streamId}-next`, type: 'open', data: { title: 'follow-up' }, actor: { id: 'alice', role: 'author' } }) },
      },
    });
    for (const name of ['cmd-1', 'cmd-2']) expect(await new EffectDispatcher(world.store, world.readModels, handlers, { name }).catchUp()).toBe(20);
    const handler = approvalHandler(world.store, world.clock);
    const consumer = new CommandConsumer(await world.connect(), { settings: world.settings, handle: (c) => handler.handle(c) });
    await consumer.start();
    await until(async () => (await streamMessageCount(world.nc, world.settings, 'COMMANDS')) === 0, 'the follow-ups applied');
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ applied: 20, duplicates: 0 });
    for (const s of streams) {
      const [opened, ...more] = await world.store.readStream(`${s}-next`);
      expect(more).toEqual([]);
      expect(opened!.metadata.commandId).toMatch(/^effect:.+:1$/);
    }
  });

  test('reports an effect whose route cannot be followed as refused for good, and goes on', async () => {
    const failures: EffectFailure[] = [];
    const handlers = natsEffectHandlers(world.nc, {
      settings: world.settings,
      routes: { notifyAuthor: { deliver: () => { throw new TypeError('no author'); } } },
    });
    expect(await new EffectDispatcher(world.store, world.readModels, handlers, { name: 'broken', onFailure: (f) => failures.push(f) }).catchUp()).toBe(0);
    expect(failures).toHaveLength(20);
    expect(failures[0]!.error).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('no author') });
  });
});
