import type { NatsConnection } from '@nats-io/transport-node';
import { InMemoryEventStore, InMemoryReadModelStore, ManualClock, ProjectionRunner, type EventStore } from '@interlend/engine';
import { CommandConsumer, NatsDeadlines, type DeadlineScan } from '@interlend/nats';
import { T0, approvalHandler, approvalWorkflow, commandIdsInStore, openCommand, startWorld, streamMessageCount, until, type World } from './__tests__/world';

jest.setTimeout(40_000);

const DAY = 86_400_000;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function expiredCount(store: EventStore, streams: readonly string[]): Promise<number> {
  let n = 0;
  for (const s of streams) n += (await store.readStream(s)).filter((e) => e.type === 'Expired').length;
  return n;
}

describe('deadlines over NATS', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld({ commands: { ackWaitMs: 1_000 }, leases: { ttlMs: 1_500 } });
  });
  afterAll(() => world.close());

  test('three workers apply each due deadline exactly once, and a restart of every worker loses none', async () => {
    const store = new InMemoryEventStore();
    const readModels = new InMemoryReadModelStore();
    const clock = new ManualClock(T0);
    const streams = Array.from({ length: 60 }, (_, i) => `doc-${i}`);
    const opener = approvalHandler(store, clock);
    // Each open schedules 'review' a day later: half fall due a day before the other half.
    for (const s of streams.slice(0, 30)) await opener.handle(openCommand(s));
    clock.advance(DAY);
    for (const s of streams.slice(30)) await opener.handle(openCommand(s));
    clock.advance(DAY / 2); // the first half is due

    const scans: (DeadlineScan & { owner: string })[] = [];
    const startWorker = async (owner: string) => {
      const nc: NatsConnection = await world.connect();
      const handler = approvalHandler(store, clock);
      const consumer = new CommandConsumer(nc, {
        settings: world.settings,
        concurrency: 2,
        handle: async (c) => (await delay(50), handler.handle(c)),
      });
      await consumer.start();
      const deadlines = new NatsDeadlines(nc, { workflow: approvalWorkflow, runner: new ProjectionRunner(store, readModels), readModels, clock, settings: world.settings, owner });
      const stop = new AbortController();
      const scanning = deadlines.run({ signal: stop.signal, intervalMs: 100, onScan: (s) => scans.push({ ...s, owner }) });
      return {
        stop: async () => (stop.abort(), await scanning, await consumer.stop()),
        /** A crash: the connection goes, nothing is finished or handed back. */
        crash: async () => (stop.abort(), await nc.close()),
      };
    };

    const first = await Promise.all(['w1', 'w2', 'w3'].map(startWorker));
    await until(async () => (await expiredCount(store, streams)) >= 10, 'some deadlines applied');
    await Promise.all(first.map((w) => w.crash()));
    const atCrash = await expiredCount(store, streams);
    expect(atCrash).toBeLessThan(30);
    clock.advance(DAY); // while every worker is down, the second half falls due

    const second = await Promise.all(['w4', 'w5', 'w6'].map(startWorker));
    await until(async () => (await expiredCount(store, streams)) === 60, 'every deadline applied', 30_000);
    await until(async () => (await streamMessageCount(world.nc, world.settings, 'COMMANDS')) === 0, 'the queue empty');
    await Promise.all(second.map((w) => w.stop()));

    // exactly once: one Expired per stream, one event per command id
    for (const s of streams) expect((await store.readStream(s)).map((e) => e.type)).toEqual(['Opened', 'Expired']);
    const ids = await commandIdsInStore(store);
    expect(ids.size).toBe(120);
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    // one scanner at a time: the others skipped while the lease was held
    expect(scans.some((s) => !s.scanned)).toBe(true);
    const scanners = new Set(scans.filter((s) => s.scanned).map((s) => s.owner));
    expect(scanners.size).toBe(2); // one before the crash, one after (the dead holder's lease expired)
    console.log(
      `deadlines: ${atCrash} of the 30 due applied when all three workers crashed; 30 more fell due meanwhile; the next three workers applied the other ${60 - atCrash}. ` +
        `scans: ${scans.filter((s) => s.scanned).length} by the lease holder (${[...scanners].join(', ')}), ${scans.filter((s) => !s.scanned).length} skipped; ` +
        `deadline commands queued ${scans.reduce((n, s) => n + s.published, 0)} times, ${scans.reduce((n, s) => n + s.duplicates, 0)} of them dropped by Nats-Msg-Id`,
    );
  });

  test('without the lease, three scanners queue each deadline three times and it is still applied once', async () => {
    const store = new InMemoryEventStore();
    const readModels = new InMemoryReadModelStore();
    const clock = new ManualClock(T0);
    const streams = Array.from({ length: 20 }, (_, i) => `other-${i}`);
    const opener = approvalHandler(store, clock);
    for (const s of streams) await opener.handle(openCommand(s));
    clock.advance(2 * DAY);
    const scanners = await Promise.all(
      [1, 2, 3].map(async () => new NatsDeadlines(await world.connect(), { workflow: approvalWorkflow, runner: new ProjectionRunner(store, readModels), readModels, clock, settings: world.settings, lease: false })),
    );
    const scans = await Promise.all(scanners.map((s) => s.scan()));
    expect(scans.reduce((n, s) => n + s.published, 0)).toBe(60);
    expect(scans.reduce((n, s) => n + s.duplicates, 0)).toBe(40); // the server kept one copy of each
    const handler = approvalHandler(store, clock);
    const consumer = new CommandConsumer(await world.connect(), { settings: world.settings, handle: (c) => handler.handle(c) });
    await consumer.start();
    await until(async () => (await expiredCount(store, streams)) === 20 && (await streamMessageCount(world.nc, world.settings, 'COMMANDS')) === 0, 'deadlines applied');
    // a scan after they were applied finds nothing due
    expect(await scanners[0]!.scan()).toEqual({ scanned: true, published: 0, duplicates: 0 });
    await consumer.stop();
    expect(consumer.stats).toMatchObject({ applied: 20, duplicates: 0 });
  });
});
