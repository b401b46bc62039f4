import { ManualClock } from '@interlend/engine';
import { SimulatedClockSender, connectNats, followSimulatedClock } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';

jest.setTimeout(30_000);

const KEY = 'a'.repeat(64);
const settings = { prefix: 'clocktest' };

describe('the simulated clock over NATS', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(() => server.stop());

  test('moves every worker, waiting for one that subscribes late (a worker reconnecting after losing its server)', async () => {
    const [sim, w1, w2] = await Promise.all([connectNats(server.url), connectNats(server.url), connectNats(server.url)]);
    const c1 = new ManualClock(0);
    const c2 = new ManualClock(0);
    followSimulatedClock(w1, { key: KEY, clock: c1, worker: 'w1', settings });
    await w1.flush();
    const sender = new SimulatedClockSender(sim, { key: KEY, workers: 2, settings, timeoutMs: 20_000 });
    const t = new Date('2026-03-02T10:00:00.000Z');
    const started = Date.now();
    const setting = sender.set(t);
    // w2 answers only after the first attempt has gone out with one responder.
    await new Promise((r) => setTimeout(r, 300));
    followSimulatedClock(w2, { key: KEY, clock: c2, worker: 'w2', settings });
    await setting;
    expect([c1.now().toISOString(), c2.now().toISOString()]).toEqual([t.toISOString(), t.toISOString()]);
    console.log(`simulated clock: the late worker was asked again and both took ${t.toISOString()} after ${Date.now() - started} ms`);
    // The same time again is taken (a resent tick), an earlier one refused by the workers, at once.
    await sender.set(t);
    await expect(sender.set(new Date('2026-03-01T00:00:00.000Z'))).rejects.toThrow(/did not take the simulated time .*the clock only moves forwards/);
    await Promise.all([sim, w1, w2].map((nc) => nc.close()));
  });

  test('a tick signed with another key is refused by the workers; with no worker at all it fails after its timeout, naming the count', async () => {
    const [sim, w] = await Promise.all([connectNats(server.url), connectNats(server.url)]);
    followSimulatedClock(w, { key: KEY, clock: new ManualClock(0), worker: 'w', settings: { prefix: 'keytest' } });
    await w.flush();
    const forger = new SimulatedClockSender(sim, { key: 'b'.repeat(64), workers: 1, settings: { prefix: 'keytest' }, timeoutMs: 5_000 });
    await expect(forger.set(new Date('2026-03-02T00:00:00.000Z'))).rejects.toThrow(/signature does not match/);
    const alone = new SimulatedClockSender(sim, { key: KEY, workers: 1, settings: { prefix: 'nobody' }, timeoutMs: 800 });
    await expect(alone.set(new Date('2026-03-02T00:00:00.000Z'))).rejects.toThrow(/only 0 of 1 workers took it within 800 ms/);
    await Promise.all([sim, w].map((nc) => nc.close()));
  });
});
