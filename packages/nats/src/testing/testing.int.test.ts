import { jetstreamManager } from '@nats-io/jetstream';
import { CommandConsumer, NatsCommandBus, connectNats, ensureStreams, subjectsOf } from '@interlend/nats';
import { natsServerBinary, startNatsCluster, startNatsServer } from '@interlend/nats/testing';
import { InMemoryEventStore, ManualClock } from '@interlend/engine';
import { approvalHandler, openCommand, until } from '../__tests__/world';

jest.setTimeout(40_000);

describe('the test servers', () => {
  test('without a nats-server binary, says how to install one', () => {
    expect(() => natsServerBinary({ PATH: '/nonexistent' }, [])).toThrow(/apt-get install nats-server.*|install-test-deps\.sh/);
    expect(natsServerBinary({ PATH: '' })).toMatch(/nats-server$/);
  });

  test('a single server on a random loopback port keeps JetStream data across a crash and a restart on the same directory', async () => {
    const server = await startNatsServer();
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connectNats(server.url);
    const settings = await ensureStreams(await jetstreamManager(nc));
    const bus = new NatsCommandBus(nc, { settings });
    await bus.publish(openCommand('kept'));
    await nc.close();
    await server.kill();
    const again = await startNatsServer({ storeDir: server.storeDir });
    const nc2 = await connectNats(again.url);
    const jsm = await jetstreamManager(nc2);
    expect((await jsm.streams.info(subjectsOf(settings).streamName('COMMANDS'))).state.messages).toBe(1);
    await nc2.close();
    await again.stop();
    await server.stop();
  });

  test('three servers form a JetStream cluster with replicated streams, and a command goes round', async () => {
    const cluster = await startNatsCluster();
    try {
      expect(new Set(cluster.nodes.map((n) => n.serverName)).size).toBe(3);
      const nc = await connectNats(cluster.urls);
      const settings = await ensureStreams(await jetstreamManager(nc), { replicas: 3 });
      const info = await (await jetstreamManager(nc)).streams.info(subjectsOf(settings).streamName('COMMANDS'));
      expect(info.config.num_replicas).toBe(3);
      expect(info.cluster?.replicas ?? []).toHaveLength(2);
      const store = new InMemoryEventStore();
      const handler = approvalHandler(store, new ManualClock('2026-01-01'));
      const consumer = new CommandConsumer(nc, { settings, handle: (c) => handler.handle(c) });
      await consumer.start();
      await new NatsCommandBus(nc, { settings }).publish(openCommand('clustered'));
      await until(async () => (await store.readStream('clustered')).length === 1, 'the command applied');
      await consumer.stop();
      await nc.close();
    } finally {
      await cluster.stop();
    }
  });
});
