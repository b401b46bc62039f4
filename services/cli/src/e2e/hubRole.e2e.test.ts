/**
 * Hub staff's powers are never presumed (issue 7, item 3): `close`, `reroute` and
 * `returnMisdelivered` need an explicit `--role hub`, and `--as` must be a library of the directory,
 * whatever the role.
 */
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { removeWorkspaces, workspace, type CliResult, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

interface HistoryJson {
  state: string;
  events: { type: string; actor: { id: string; role: string } }[];
  context: { lender: string | null } | null;
}

const eventCount = (ws: Workspace): number => ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number);

function expectRefused(result: CliResult, code: number, ...mentions: string[]): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr).toMatch(/^interlend act: [^\n]+\n$/);
  for (const text of mentions) expect(result.stderr).toContain(text);
}

/** A request of LIB1's, shipped by its first lender, then misdelivered to another library. */
async function misdeliveredRequest(): Promise<{ ws: Workspace; id: string; lender: string }> {
  const ws = workspace();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  const { requestId: id } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
  await ws.json('act', id, 'notAvailableLocally', '--as', 'LIB1');
  const lender = (await ws.json<HistoryJson>('history', id)).context!.lender!;
  const dueDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  await ws.json('act', id, 'ship', '--as', lender, '--data', JSON.stringify({ itemIds: ['ITEM-1'], dueDate, cost: { amount: 10, currency: 'USD' } }));
  const elsewhere = ['LIB2', 'LIB3', 'LIB4'].find((l) => l !== lender)!;
  await ws.json('act', id, 'reportMisdelivered', '--as', elsewhere, '--data', JSON.stringify({ receivedBy: elsewhere }));
  return { ws, id, lender };
}

describe('hub-only commands', () => {
  it.each([
    ['close', '{"reason":"x"}'],
    ['reroute', '{}'],
    ['returnMisdelivered', '{}'],
  ])("'%s' from a library that did not say --role hub is refused, naming --role hub, and nothing is written", async (command, data) => {
    const { ws, id } = await misdeliveredRequest();
    const events = eventCount(ws);

    expectRefused(await ws.run('act', id, command, '--as', 'LIB7', '--data', data), 1, `only hub staff may send '${command}'`, '--role hub');
    expectRefused(await ws.run('act', id, command, '--as', 'LIB1', '--role', 'borrowing', '--data', data), 1, '--role hub');

    expect(eventCount(ws)).toBe(events);
    expect((await ws.json<HistoryJson>('history', id)).state).toBe('misdelivered');
  });

  it('is taken with --role hub, and the event records the library in the role hub', async () => {
    const { ws, id } = await misdeliveredRequest();

    expect(await ws.json('act', id, 'close', '--as', 'LIB7', '--role', 'hub', '--data', '{"reason":"duplicate request"}')).toMatchObject({ state: 'closed' });

    const history = await ws.json<HistoryJson>('history', id);
    expect(history.events.at(-1)).toMatchObject({ type: 'ManuallyClosed', actor: { id: 'LIB7', role: 'hub' } });
  });
});

describe('--as', () => {
  it('must be a library of the directory, for every role, hub staff included', async () => {
    const { ws, id, lender } = await misdeliveredRequest();
    const events = eventCount(ws);

    expectRefused(await ws.run('act', id, 'close', '--as', 'hub', '--role', 'hub', '--data', '{"reason":"x"}'), 2, "--as: 'hub' is not in the library directory");
    expectRefused(await ws.run('act', id, 'close', '--as', 'hub', '--data', '{"reason":"x"}'), 2, "--as: 'hub' is not in the library directory");
    expectRefused(await ws.run('act', id, 'reroute', '--as', 'NOPE', '--role', 'hub'), 2, "'NOPE' is not in the library directory");
    expectRefused(await ws.run('act', id, 'receive', '--as', 'NOPE', '--role', 'borrowing'), 2, "'NOPE' is not in the library directory");
    expectRefused(await ws.run('act', id, 'reportLost', '--as', `${lender}X`, '--data', '{"kind":"lost"}'), 2, 'is not in the library directory');

    expect(eventCount(ws)).toBe(events);
  });
});

describe('a misdelivery', () => {
  it('to a library that is not in the directory is refused, naming data.receivedBy, and nothing is written', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
    const { requestId: id } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
    await ws.json('act', id, 'notAvailableLocally', '--as', 'LIB1');
    const lender = (await ws.json<HistoryJson>('history', id)).context!.lender!;
    const dueDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await ws.json('act', id, 'ship', '--as', lender, '--data', JSON.stringify({ itemIds: ['ITEM-1'], dueDate, cost: { amount: 10, currency: 'USD' } }));
    const events = eventCount(ws);

    expectRefused(await ws.run('act', id, 'reportMisdelivered', '--as', 'LIB1', '--data', '{"receivedBy":"LIB404"}'), 1, "data.receivedBy: unknown library 'LIB404'");
    expect(eventCount(ws)).toBe(events);
  });
});
