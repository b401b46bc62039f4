/**
 * Business time apart from record time, end to end: staff record today what happened days ago
 * (`--occurred-at`); `history` shows both times, deadlines count from when it happened, and
 * `history --at` travels by what had been recorded.
 */
import { addBusinessDays } from '@interlend/ill';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';
import { shortTime } from '../format';

interface HistoryJson {
  events: { type: string; time: string; recordedAt?: string }[];
  state: string;
  context: { lender: string | null; lenderRespondBy: string | null } | null;
  laterEvents: number;
}

afterAll(removeWorkspaces);

const DAY = 86_400_000;
/** A time `days` days before now, on the minute (the CLI records at the system clock's now). */
const daysAgo = (days: number, hour: number): string => {
  const d = new Date(Date.now() - days * DAY);
  d.setUTCHours(hour, 0, 0, 0);
  return d.toISOString();
};

async function submittedAndSent(ws: Workspace, submittedAt: string, sentAt: string): Promise<string> {
  expect((await ws.run('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()))).code).toBe(0);
  const { requestId } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()), '--occurred-at', submittedAt);
  await ws.json('act', requestId, 'notAvailableLocally', '--as', 'LIB1', '--data', '{"preferredLenders":["LIB2","LIB3"]}', '--occurred-at', sentAt);
  return requestId;
}

describe('recording later what happened earlier (--occurred-at)', () => {
  // Two days ago: LIB2's deadline (4 business days after sentAt) is still ahead, so no timer fires during a test.
  const submittedAt = daysAgo(2, 9);
  const sentAt = daysAgo(2, 14);

  it('shows both times in history, and counts the lender deadline from when the request was sent', async () => {
    const ws = workspace();
    const before = new Date().toISOString();
    const id = await submittedAndSent(ws, submittedAt, sentAt);

    const history = await ws.json<HistoryJson>('history', id);
    expect(history.events.length).toBeGreaterThanOrEqual(2);
    expect(history.events[0]).toMatchObject({ type: 'RequestSubmitted', time: submittedAt });
    expect(history.events[0]!.recordedAt! >= before).toBe(true);
    for (const event of history.events.slice(1)) expect(event).toMatchObject({ time: sentAt, recordedAt: expect.any(String) });
    // LIB2 answers loans within 4 business days of being asked: of the afternoon it was sent.
    expect(history.context).toMatchObject({ lender: 'LIB2', lenderRespondBy: addBusinessDays(sentAt, 4) });

    const text = await ws.run('history', id);
    expect(text.code).toBe(0);
    const submittedLine = text.stdout.split('\n').find((line) => line.includes('RequestSubmitted'))!;
    expect(submittedLine).toContain(`${shortTime(submittedAt)} (recorded ${shortTime(history.events[0]!.recordedAt!)})`);
  });

  it('shows one time for an event recorded when it happened', async () => {
    const ws = workspace();
    const id = await submittedAndSent(ws, submittedAt, sentAt);
    await ws.json('act', id, 'willSupply', '--as', 'LIB2');
    const history = await ws.json<HistoryJson>('history', id);
    const answer = history.events.at(-1)!;
    expect(answer.type).toBe('WillSupplyAnswered');
    expect(answer.recordedAt).toBeUndefined();
    const line = (await ws.run('history', id)).stdout.split('\n').find((l) => l.includes('WillSupplyAnswered'))!;
    expect(line).toContain(shortTime(answer.time));
    expect(line).not.toContain('recorded');
  });

  it('refuses a time before the previous event, or in the future, naming occurredAt; nothing is written', async () => {
    const ws = workspace();
    const id = await submittedAndSent(ws, submittedAt, sentAt);
    const count = () => ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events WHERE stream_id = ?').pluck().get(id));
    const events = count();

    const early = await ws.run('act', id, 'willSupply', '--as', 'LIB2', '--occurred-at', submittedAt);
    expect(early.code).not.toBe(0);
    expect(early.stderr).toContain(`occurredAt: ${submittedAt} is before the previous event`);
    expect(early.stderr).toContain(sentAt);

    const future = await ws.run('act', id, 'willSupply', '--as', 'LIB2', '--occurred-at', new Date(Date.now() + DAY).toISOString());
    expect(future.code).not.toBe(0);
    expect(future.stderr).toMatch(/occurredAt: .* is in the future/);

    const noZone = await ws.run('act', id, 'willSupply', '--as', 'LIB2', '--occurred-at', sentAt.slice(0, 16));
    expect(noZone.code).not.toBe(0);
    expect(noZone.stderr).toContain('occurredAt');
    expect(count()).toBe(events);
  });

  it('travels in time by what had been recorded: --at before the recording shows none of it', async () => {
    const ws = workspace();
    const id = await submittedAndSent(ws, submittedAt, sentAt);
    // Yesterday at midnight the request had happened (two days ago) but was not recorded yet: nothing was known.
    const then = await ws.json<HistoryJson>('history', id, '--at', daysAgo(1, 0));
    expect(then.events).toEqual([]);
    expect(then.state).toBe('not yet submitted');
    expect(then.laterEvents).toBeGreaterThanOrEqual(2);
    const now = await ws.json<HistoryJson>('history', id, '--at', new Date(Date.now() + 1_000).toISOString());
    expect(now.laterEvents).toBe(0);
    expect(now.state).toBe('withLender.requested');
  });
});
