import { Slots } from './slots';
import { backoffDelay } from './pause';

describe('slots', () => {
  test('lets at most `size` in at once, the rest in arrival order as slots free', async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const a = (await slots.acquire())!;
    const b = (await slots.acquire())!;
    const c = slots.acquire().then((release) => (order.push('c'), release!));
    const d = slots.acquire().then((release) => (order.push('d'), release!));
    await Promise.resolve();
    expect(order).toEqual([]);
    a();
    a(); // a second call frees nothing more
    expect(order).toEqual([]);
    await c;
    expect(order).toEqual(['c']);
    b();
    (await d)();
    expect(order).toEqual(['c', 'd']);
  });

  test('gives up waiting when the signal aborts, and keeps the slot for the next', async () => {
    const slots = new Slots(1);
    const held = (await slots.acquire())!;
    const stop = new AbortController();
    const waiting = slots.acquire(stop.signal);
    const next = slots.acquire();
    stop.abort();
    expect(await waiting).toBeUndefined();
    held();
    expect(await next).toEqual(expect.any(Function));
    expect(await slots.acquire(stop.signal)).toBeUndefined();
  });
});

test('retry delays grow from 250 ms, doubling, to at most 30 s', () => {
  expect([1, 2, 3, 4, 8, 9, 50].map((n) => backoffDelay(n))).toEqual([250, 500, 1_000, 2_000, 30_000, 30_000, 30_000]);
});
