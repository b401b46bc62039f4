/**
 * `requests` and `queues` page: `--limit N` prints at most N (requests, or the queues of N
 * requests: the open ones, or with `--queue closed` the closed ones) and the cursor of the next
 * page, `--after CURSOR` goes on from there; walking the pages lists everything once, in
 * request-id order.
 */
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

interface RequestsJson {
  count: number;
  requests: { requestId: string; state: string }[];
  next: string | null;
}

interface QueuesJson {
  totals: { borrowing: Record<string, number>; lending: Record<string, number> };
  queues: { library: string; role: string; queue: string; requestIds: string[] }[];
  requests?: number;
  next?: string | null;
}

let ws: Workspace;

beforeAll(async () => {
  ws = workspace();
  await ws.json('simulate', '--requests', '8', '--seed', '3');
}, 120_000);

/** Follows `next` from the first page until it is null; returns the pages. */
async function walk<T extends { next?: string | null }>(args: readonly string[]): Promise<T[]> {
  const pages: T[] = [];
  for (let after: string | null = null; ; ) {
    const page: T = await ws.json<T>(...args, ...(after === null ? [] : ['--after', after]));
    pages.push(page);
    if (page.next === null) return pages;
    expect(typeof page.next).toBe('string');
    after = page.next!;
    expect(pages.length).toBeLessThan(20);
  }
}

/** The request counts of the pages a walk of `n` requests, `size` a page, gives. */
const pageSizes = (n: number, size: number): number[] => (n === 0 ? [0] : Array.from({ length: Math.ceil(n / size) }, (_, i) => Math.min(size, n - i * size)));

/** One request id per line, for each queue: `LIB role / queue: id`. */
const memberships = (listing: QueuesJson['queues']): string[] => listing.flatMap((l) => l.requestIds.map((id) => `${l.library} ${l.role} / ${l.queue}: ${id}`)).sort();

describe('requests --limit --after', () => {
  it('walks every request once, in request-id order, at most N a page; the last page says there is no next', async () => {
    const all = await ws.json<RequestsJson>('requests');
    expect(all.count).toBe(8);
    expect(all.next).toBeNull();
    const ids = all.requests.map((r) => r.requestId);
    expect(ids).toEqual([...ids].sort());

    const pages = await walk<RequestsJson>(['requests', '--limit', '3']);
    expect(pages.map((p) => p.count)).toEqual([3, 3, 2]);
    expect(pages.flatMap((p) => p.requests)).toEqual(all.requests);
    expect(pages.map((p) => p.next)).toEqual([ids[2], ids[5], null]);
  });

  it('pages within a state, and after the last request there is nothing more', async () => {
    const completed = (await ws.json<RequestsJson>('requests', '--state', 'completed')).requests;
    expect(completed.length).toBeGreaterThan(2);
    const pages = await walk<RequestsJson>(['requests', '--state', 'completed', '--limit', '2']);
    expect(pages.flatMap((p) => p.requests)).toEqual(completed);

    const last = completed[completed.length - 1]!.requestId;
    expect(await ws.json<RequestsJson>('requests', '--after', last, '--state', 'completed')).toEqual({ count: 0, requests: [], next: null });
    const human = await ws.run('requests', '--after', last, '--state', 'completed');
    expect(human).toEqual({ code: 0, stdout: 'No more requests.\n', stderr: '' });
  });

  it('prints the next cursor under the table', async () => {
    const { requests } = await ws.json<RequestsJson>('requests', '--limit', '2');
    const result = await ws.run('requests', '--limit', '2');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`\n2 request(s); next page: --after ${requests[1]!.requestId}\n`);
    const lastPage = await ws.run('requests', '--after', requests[1]!.requestId);
    expect(lastPage.stdout).toMatch(/\n6 request\(s\)\n$/);
  });

  it.each([
    [['--limit', '0'], '--limit must be a whole number from 1 to 10000'],
    [['--limit', 'ten'], "--limit must be a whole number from 1 to 10000, not 'ten'"],
    [['--after', ' '], '--after: the cursor is empty'],
  ])('refuses %j naming the flag, and prints nothing', async (flags, message) => {
    const result = await ws.run('requests', ...flags);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
  });
});

describe('queues --limit --after', () => {
  it.each([[[]], [['--at', '2026-01-20T00:00:00Z']]])("walks the open requests once (%j): the pages together are the whole listing, every queue but 'closed'", async (at) => {
    const whole = await ws.json<QueuesJson>('queues', '--ids', ...at);
    expect(whole.next).toBeUndefined();
    expect(whole.queues.map((l) => l.queue)).not.toContain('closed');
    const open = new Set(whole.queues.flatMap((l) => l.requestIds)).size;
    if (at.length > 0) expect(memberships(whole.queues).length).toBeGreaterThan(3); // mid-period: work in hand

    const pages = await walk<QueuesJson>(['queues', '--ids', '--limit', '3', ...at]);
    expect(pages.map((p) => p.requests)).toEqual(pageSizes(open, 3));
    expect(memberships(pages.flatMap((p) => p.queues))).toEqual(memberships(whole.queues));
  });

  it.each([[[]], [['--at', '2026-01-20T00:00:00Z']]])("lists the 'closed' queue only when asked for by name, a page at a time (%j)", async (at) => {
    const closed = (await ws.json<QueuesJson>('queues', ...at)).totals.borrowing.closed ?? 0;
    if (at.length === 0) expect(closed).toBe(8); // every simulated request ends closed
    const whole = await ws.json<QueuesJson>('queues', '--ids', '--queue', 'closed', ...at);
    expect(whole.queues.every((l) => l.queue === 'closed' && l.role === 'borrowing')).toBe(true);
    expect(memberships(whole.queues)).toHaveLength(closed);

    const pages = await walk<QueuesJson>(['queues', '--ids', '--queue', 'closed', '--limit', '3', ...at]);
    expect(pages.map((p) => p.requests)).toEqual(pageSizes(closed, 3));
    expect(memberships(pages.flatMap((p) => p.queues))).toEqual(memberships(whole.queues));
    if (closed > 0) expect((await ws.run('queues', '--ids', ...at)).stdout).toContain(`closed (${closed}): listed with --queue closed`);
  });

  it('refuses a queue it does not know, or of the other role, naming --queue', async () => {
    for (const flags of [['--queue', 'shelved'], ['--queue', 'closed', '--role', 'lending']]) {
      const result = await ws.run('queues', ...flags);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('--queue:');
    }
  });

  it('pages one library\'s queues, and prints the next cursor', async () => {
    const at = ['--at', '2026-01-20T00:00:00Z']; // mid-period: work in hand
    const whole = await ws.json<QueuesJson>('queues', '--ids', ...at);
    const library = whole.queues[0]!.library;
    const mine = await ws.json<QueuesJson>('queues', '--ids', '--library', library, ...at);
    const pages = await walk<QueuesJson>(['queues', '--ids', '--library', library, '--limit', '1', ...at]);
    expect(memberships(pages.flatMap((p) => p.queues))).toEqual(memberships(mine.queues));

    const first = pages[0]!;
    const human = await ws.run('queues', '--ids', '--library', library, '--limit', '1', ...at);
    expect(human.code).toBe(0);
    if (first.next !== null) expect(human.stdout).toContain(`next page: --after ${first.next}\n`);
    else expect(human.stdout).not.toContain('next page');
  });
});
