import { HeadWaiters } from './headWaiters';

function setup(initialHead = 0) {
  let head = initialHead;
  let polls = 0;
  const waiters: HeadWaiters = new HeadWaiters({ pollIntervalMs: 5, poll: () => (polls++, waiters.wake(head)), currentHead: () => Promise.resolve(head) });
  return { waiters, setHead: (h: number) => (head = h), polls: () => polls };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('HeadWaiters', () => {
  it('resolves a wait when the head passes its position, and only then', async () => {
    const { waiters } = setup();
    const results: number[] = [];
    void waiters.wait(3).then((h) => results.push(h));
    void waiters.wait(5).then((h) => results.push(h));
    waiters.wake(3);
    await sleep(0);
    expect(results).toEqual([]);
    waiters.wake(4);
    await sleep(0);
    expect(results).toEqual([4]);
    expect(waiters.pending).toBe(1);
    waiters.wake(9);
    await sleep(0);
    expect(results).toEqual([4, 9]);
    expect(waiters.pending).toBe(0);
  });

  it('finds appends of other processes by polling while a wait is pending, and stops polling when none is', async () => {
    const { waiters, setHead, polls } = setup();
    const waiting = waiters.wait(0);
    await sleep(20);
    expect(polls()).toBeGreaterThan(0);
    setHead(2);
    await expect(waiting).resolves.toBe(2);
    const after = polls();
    await sleep(30);
    expect(polls()).toBe(after);
  });

  it('resolves with the head then on a timeout or an abort', async () => {
    const { waiters, setHead } = setup(1);
    setHead(1);
    await expect(waiters.wait(1, { timeoutMs: 10 })).resolves.toBe(1);
    const controller = new AbortController();
    const aborted = waiters.wait(1, { signal: controller.signal });
    controller.abort();
    await expect(aborted).resolves.toBe(1);
    expect(waiters.pending).toBe(0);
  });

  it('settles every pending wait with the given head when the store closes', async () => {
    const { waiters, polls } = setup();
    const all = Promise.all([waiters.wait(0), waiters.wait(7, { timeoutMs: 60_000 })]);
    waiters.settleAll(0);
    await expect(all).resolves.toEqual([0, 0]);
    const after = polls();
    await sleep(20);
    expect(polls()).toBe(after);
  });
});
