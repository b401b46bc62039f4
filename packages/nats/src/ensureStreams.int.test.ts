import { jetstreamManager } from '@nats-io/jetstream';
import { connectNats, ensureStreams, subjectsOf } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';

describe('ensureStreams', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server.stop());

  test('creates the streams, the shared consumer and the lease bucket with explicit settings, and brings them to new settings when run again', async () => {
    const nc = await connectNats(server.url);
    const jsm = await jetstreamManager(nc);
    const settings = await ensureStreams(jsm);
    const s = subjectsOf(settings);
    const commands = await jsm.streams.info(s.streamName('COMMANDS'));
    expect(commands.config).toMatchObject({ name: 'INTERLEND_COMMANDS', subjects: ['interlend.commands.>'], retention: 'workqueue', discard: 'new', storage: 'file', duplicate_window: 120e9, num_replicas: 1 });
    expect((await jsm.streams.info(s.streamName('EVENTS'))).config).toMatchObject({ subjects: ['interlend.events.>'], retention: 'limits', duplicate_window: 600e9, max_age: 7 * 86_400e9 });
    expect((await jsm.streams.info(s.streamName('EFFECTS'))).config).toMatchObject({ subjects: ['interlend.effects.>'] });
    expect((await jsm.streams.info(s.streamName('DEAD_LETTERS'))).config).toMatchObject({ subjects: ['interlend.dead.>'], max_age: 90 * 86_400e9 });
    const consumer = await jsm.consumers.info(s.streamName('COMMANDS'), 'workers');
    expect(consumer.config).toMatchObject({ durable_name: 'workers', ack_policy: 'explicit', ack_wait: 30e9, max_deliver: 20, max_ack_pending: 256, max_batch: 64 });
    expect(consumer.config.backoff ?? []).toEqual([]);
    expect((await jsm.streams.info('KV_interlend-leases')).config).toMatchObject({ max_age: 15e9, max_msgs_per_subject: 1 });

    // Safe to run from every worker at start, and it applies changed settings.
    await ensureStreams(jsm);
    await ensureStreams(jsm, { commands: { ackWaitMs: 60_000, maxAckPending: 64 }, events: { duplicateWindowMs: 20 * 60_000 } });
    expect((await jsm.consumers.info(s.streamName('COMMANDS'), 'workers')).config).toMatchObject({ ack_wait: 60e9, max_ack_pending: 64 });
    expect((await jsm.streams.info(s.streamName('EVENTS'))).config.duplicate_window).toBe(1_200e9);
    expect((await jsm.streams.list().next()).length).toBe(5);
    await nc.close();
  });

  test('names streams and subjects after another prefix, beside the first', async () => {
    const nc = await connectNats(server.url);
    const jsm = await jetstreamManager(nc);
    await ensureStreams(jsm, { prefix: 'acme.ill' });
    expect((await jsm.streams.info('ACME_ILL_COMMANDS')).config.subjects).toEqual(['acme.ill.commands.>']);
    await nc.close();
  });

  test('eight workers starting at once on separate connections all set up the same streams (a lost creation race is tried again)', async () => {
    const conns = await Promise.all(Array.from({ length: 8 }, () => connectNats(server.url)));
    const results = await Promise.allSettled(conns.map(async (nc) => ensureStreams(await jetstreamManager(nc), { prefix: 'race.ill' })));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const jsm = await jetstreamManager(conns[0]!);
    expect((await jsm.consumers.info('RACE_ILL_COMMANDS', 'workers')).config.durable_name).toBe('workers');
    await Promise.all(conns.map((nc) => nc.close()));
  });

  test('a permanent refusal is not tried again: replicas beyond the cluster size fail at once, naming the cause', async () => {
    const nc = await connectNats(server.url);
    const started = Date.now();
    await expect(ensureStreams(await jetstreamManager(nc), { prefix: 'wide.ill', replicas: 3 })).rejects.toMatchObject({ code: 'STORE', message: expect.stringMatching(/^cannot set up the JetStream streams: .*replicas/i) });
    expect(Date.now() - started).toBeLessThan(5_000);
    await nc.close();
  });

  test('fails with the engine StoreError when the server cannot be reached', async () => {
    await expect(connectNats('nats://127.0.0.1:1', { maxReconnectAttempts: 0, timeout: 500 })).rejects.toMatchObject({ code: 'STORE', details: { servers: ['nats://127.0.0.1:1'] } });
  });
});
