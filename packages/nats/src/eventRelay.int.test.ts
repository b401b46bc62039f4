import { InMemoryReadModelStore, StoreError, type ReadModelStore, type StoredEvent } from '@interlend/engine';
import { EventMessageSchema, EventRelay, HEADERS, decode, subjectsOf, type EventRelayEvent } from '@interlend/nats';
import { approvalHandler, commentCommand, openCommand, readStreamMessages, startWorld, streamMessageCount, until, type World } from './__tests__/world';

jest.setTimeout(30_000);

/** The party an approval stream belongs to in this test: LIB0..LIB2 by its number, the hub second. */
const parties = (e: StoredEvent) => [`LIB${Number(e.streamId.split('-')[1]) % 3}`, 'HUB'];

/** A read-model store whose commits fail from the `n`th on: the relay "dies" after publishing, before its checkpoint moved. */
function dyingAfter(n: number, inner: ReadModelStore): ReadModelStore {
  let commits = 0;
  return Object.assign(Object.create(inner) as ReadModelStore, {
    commit: async (...args: Parameters<ReadModelStore['commit']>) => {
      if (++commits >= n) throw new StoreError('the process died (simulated)');
      return inner.commit(...args);
    },
  });
}

describe('the event relay', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  test('publishes every event exactly once, in order per stream, across a restart mid-stream and a second relay', async () => {
    const handler = approvalHandler(world.store, world.clock);
    const streams = Array.from({ length: 60 }, (_, i) => `doc-${i}`);
    const write = async (from: number, to: number) => {
      for (let n = from; n < to; n++) await Promise.all(streams.map((s) => handler.handle(n === 0 ? openCommand(s) : commentCommand(s, n))));
    };
    await write(0, 4); // 240 events
    const readModels = new InMemoryReadModelStore();
    const nc = await world.connect();

    // Relay 1 publishes batches of 50 and dies on its third checkpoint: 150 published, checkpoint at 100.
    const first = new EventRelay(nc, world.store, dyingAfter(3, readModels), { settings: world.settings, parties, batchSize: 50 });
    await expect(first.catchUp()).rejects.toThrow('the process died');
    expect(await readModels.checkpoint('nats.relay')).toBe(100);
    expect(await streamMessageCount(nc, world.settings, 'EVENTS')).toBe(150);

    // Meanwhile the log grows; two relays start from the checkpoint at once (a restart, and a second instance).
    const writing = write(4, 8); // 240 more
    const log: EventRelayEvent[] = [];
    const stop = new AbortController();
    const relays = [world.nc, await world.connect()].map((c) =>
      new EventRelay(c, world.store, readModels, { settings: world.settings, parties, batchSize: 50, onEvent: (e) => log.push(e) }).run({ signal: stop.signal, pollMs: 100 }),
    );
    await writing;
    await until(async () => (await readModels.checkpoint('nats.relay')) === 480, 'the relays caught up');
    stop.abort();
    await Promise.all(relays);

    expect(log.filter((e) => e.type === 'error')).toEqual([]);
    expect(log.some((e) => e.type === 'checkpoint-moved')).toBe(true); // they met, and neither crashed
    const feed = await readStreamMessages(nc, subjectsOf(world.settings).streamName('EVENTS'));
    expect(feed).toHaveLength(480);
    const events = feed.map((m) => decode(EventMessageSchema, m.data, 'event'));
    expect(new Set(events.map((e) => e.id)).size).toBe(480);
    expect(events.map((e) => e.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 480 }, (_, i) => i + 1));
    for (const s of streams) expect(events.filter((e) => e.streamId === s).map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const [m] = feed;
    const e = events[0]!;
    expect(m!.subject).toBe(`interlend.events.${parties(e as StoredEvent).join('.')}.${e.streamId}.${e.type}`);
    expect(m!.headers?.get(HEADERS.msgId)).toBe(e.id);
    expect(m!.headers?.get(HEADERS.stream)).toBe(e.streamId);
    expect(m!.headers?.get(HEADERS.revision)).toBe(String(e.revision));
    expect(m!.headers?.get(HEADERS.position)).toBe(String(e.position));
    expect(m!.headers?.get(HEADERS.parties)).toBe(parties(e as StoredEvent).join(','));
  });

  test("lets a library's consumer filter to its own events by subject", async () => {
    const nc = await world.connect();
    const subjects = subjectsOf(world.settings);
    const [asFirst, asSecond] = subjects.eventsOf('LIB1');
    const own = await readStreamMessages(nc, subjects.streamName('EVENTS'), asFirst);
    expect(own).toHaveLength(20 * 8);
    expect(own.every((m) => m.headers?.get(HEADERS.parties)?.split(',')[0] === 'LIB1')).toBe(true);
    expect(await readStreamMessages(nc, subjects.streamName('EVENTS'), asSecond)).toHaveLength(0);
    expect(await readStreamMessages(nc, subjects.streamName('EVENTS'), subjects.eventsOf('HUB')[1])).toHaveLength(480);
  });
});
