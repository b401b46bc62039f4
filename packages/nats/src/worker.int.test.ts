/**
 * A whole worker wired from the pieces, as `interlend worker --nats` will wire one: the example
 * docs/nats.md points to (it compiles and runs, so it cannot rot).
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { WorkflowRuntime, type EventStore, type ReadModelStore, type Clock, type StoredEvent } from '@interlend/engine';
import {
  CommandConsumer,
  EffectMessageSchema,
  EventMessageSchema,
  EventRelay,
  NatsCommandBus,
  NatsDeadlines,
  ProjectionNews,
  decode,
  natsEffectHandlers,
  subjectsOf,
  type NatsSettings,
} from '@interlend/nats';
import { T0, approvalWorkflow, openCommand, readStreamMessages, startWorld, until, type World } from './__tests__/world';

jest.setTimeout(30_000);

/** The wiring's knowledge of the domain: who an event concerns (here: the stream's author, then its reviewer). */
const parties = (_event: StoredEvent): string[] => ['alice', 'rita'];

/** What went wrong in the background: nothing, in this test. */
const problems: { name: string; stage: string; error: unknown }[] = [];

async function startWorker(nc: NatsConnection, store: EventStore, stored: ReadModelStore, clock: Clock, settings: NatsSettings, name: string) {
  const readModels = new ProjectionNews(nc, { settings }).wrap(stored);
  const runtime = new WorkflowRuntime({
    workflow: approvalWorkflow,
    services: { reviewers: ['rita'] },
    store,
    readModels,
    clock,
    effectHandlers: natsEffectHandlers(nc, { settings, routes: { notifyAuthor: { deliver: (effect) => String(effect.params.author) } } }),
    onBackgroundError: (problem) => problems.push({ name, stage: problem.stage, error: problem.error }),
  });
  const consumer = new CommandConsumer(nc, {
    settings,
    handle: (command) => runtime.handler.handle(command),
    settle: () => runtime.settleQuietly(),
    onEvent: (event) => {
      if (event.type === 'error' || event.type === 'dead-letter' || event.type === 'retry') problems.push({ name, stage: 'commands', error: event });
    },
  });
  await consumer.start();
  const stop = new AbortController();
  const relay = new EventRelay(nc, store, readModels, {
    settings,
    parties,
    onEvent: (event) => {
      if (event.type === 'error') problems.push({ name, stage: 'relay', error: event.error });
    },
  }).run({ signal: stop.signal, pollMs: 200 });
  const deadlines = new NatsDeadlines(nc, { workflow: approvalWorkflow, runner: runtime.runner, readModels, clock, settings, owner: name }).run({
    signal: stop.signal,
    intervalMs: 100,
    onError: (error) => problems.push({ name, stage: 'deadlines', error }),
  });
  return {
    consumer,
    /** SIGTERM: stop taking commands, finish those in hand, then the loops. */
    stop: async () => {
      await consumer.stop();
      stop.abort();
      await Promise.all([relay, deadlines]);
    },
  };
}

describe('a worker wired from the pieces', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  test('takes a request from a command to its events on the feed, its effect delivered, and its deadline fired', async () => {
    const workers = await Promise.all(['w1', 'w2'].map(async (name) => startWorker(await world.connect(), world.store, world.readModels, world.clock, world.settings, name)));
    const bus = new NatsCommandBus(world.nc, { settings: world.settings });
    await bus.publish(openCommand('doc-1'));
    await bus.publish(openCommand('doc-2'));
    const approved = await bus.request({ commandId: 'approve:doc-1', streamId: 'doc-1', type: 'approve', actor: { id: 'rita', role: 'reviewer' } });
    expect(approved.state.name).toBe('approved');
    world.clock.set(new Date(new Date(T0).getTime() + 2 * 86_400_000)); // doc-2's review deadline passes
    await until(async () => (await world.store.readStream('doc-2')).some((e) => e.type === 'Expired'), 'the deadline fired');

    const subjects = subjectsOf(world.settings);
    await until(async () => (await readStreamMessages(world.nc, subjects.streamName('EVENTS'))).length === 4, 'four events on the feed');
    const feed = (await readStreamMessages(world.nc, subjects.streamName('EVENTS'))).map((m) => decode(EventMessageSchema, m.data, 'event'));
    expect(feed.map((e) => `${e.streamId}:${e.type}`).sort()).toEqual(['doc-1:Approved', 'doc-1:Opened', 'doc-2:Expired', 'doc-2:Opened']);
    await until(async () => (await readStreamMessages(world.nc, subjects.streamName('EFFECTS'))).length === 1, 'the effect delivered');
    const [effect] = await readStreamMessages(world.nc, subjects.streamName('EFFECTS'), subjects.effectsOf('alice'));
    expect(decode(EffectMessageSchema, effect!.data, 'effect')).toMatchObject({ type: 'notifyAuthor', streamId: 'doc-1', party: 'alice' });

    await Promise.all(workers.map((w) => w.stop()));
    expect(workers.reduce((n, w) => n + w.consumer.stats.applied, 0)).toBe(4);
    expect(problems).toEqual([]);
  });
});
