/**
 * `interlend timers schedule-missing` end to end, on a log written before the lender clocks:
 * requests asked and promised (or asked to cancel, or with a need-before date) whose events
 * recorded no deadline for the clock they are in (docs/workflow/lender-clocks.md, "Upgrading").
 * The old log is this release's events with those `scheduleDeadline` / `cancelDeadline` effects
 * taken out of the metadata: what the release before the clocks wrote, appended to the database
 * through the SQLite store (its hash chain included), as that release would have.
 */
import type { Effect, JsonObject, NewEvent } from '@interlend/engine';
import { illHistory, lenderActor, borrowerActor, sampleDirectoryJson, sampleRequest, type HistoryStep } from '@interlend/ill/testing';
import { openSqlite } from '@interlend/store-sqlite';
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';
import { shortTime } from '../format';

afterAll(removeWorkspaces);

const DAY = 86_400_000;
const NEW_CLOCKS = new Set(['supply', 'cancelAnswer', 'needBefore']);
/** Two days ago, on the hour: the old requests were promised then, so their clocks are still running now. */
const START = new Date(Math.floor((Date.now() - 2 * DAY) / 3_600_000) * 3_600_000).toISOString();
const NEED_BEFORE = new Date(Date.now() + 30 * DAY).toISOString().slice(0, 10);

const LIB2 = lenderActor('LIB2');
const toLender: HistoryStep[] = [
  { type: 'submit', data: sampleRequest(), actor: borrowerActor() },
  { type: 'notAvailableLocally', data: { preferredLenders: ['LIB2', 'LIB3'] }, actor: borrowerActor() },
];
const OLD_REQUESTS: Record<string, HistoryStep[]> = {
  'R-CANCEL': [...toLender, { type: 'willSupply', actor: LIB2 }, { type: 'cancel', data: { reason: 'patron left' }, actor: borrowerActor() }],
  'R-NEED': [{ type: 'submit', data: sampleRequest({ needBefore: NEED_BEFORE }), actor: borrowerActor() }],
  'R-SUPPLY': [...toLender, { type: 'expectToSupply', actor: LIB2 }],
};

/** The deadline the fold of this release tracks for each old request's clock. */
const tracked = (id: string) => illHistory(OLD_REQUESTS[id]!, { requestId: id, start: START }).state.snapshot.context.deadlines;

async function oldLog(ws: Workspace): Promise<void> {
  expect((await ws.run('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()))).code).toBe(0);
  const handle = openSqlite(ws.dbPath);
  try {
    for (const [id, steps] of Object.entries(OLD_REQUESTS)) {
      const events: NewEvent[] = illHistory(steps, { requestId: id, start: START }).stored.map((e) => {
        const effects = ((e.metadata.effects ?? []) as unknown as Effect[]).filter((x) => !((x.type === 'scheduleDeadline' || x.type === 'cancelDeadline') && NEW_CLOCKS.has(String(x.params.name))));
        return { id: `${id}:${e.id}`, type: e.type, data: e.data, metadata: { ...e.metadata, effects: effects as unknown as JsonObject[] } };
      });
      await handle.events.appendToStream(id, events, { expectedRevision: 'no_stream' });
    }
  } finally {
    await handle.close();
  }
}

const eventCount = (ws: Workspace): number => ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number);
const pendingClocks = async (ws: Workspace): Promise<string[]> =>
  (await ws.json<{ pending: { streamId: string; name: string; at: string }[] }>('timers', 'list')).pending.filter((t) => NEW_CLOCKS.has(t.name)).map((t) => `${t.streamId} ${t.name} ${t.at}`);

describe('interlend timers schedule-missing', () => {
  it('lists on a dry run what it would schedule and writes nothing; then schedules each once; a second run writes nothing', async () => {
    const ws = workspace();
    await oldLog(ws);
    const before = eventCount(ws);
    expect(await pendingClocks(ws)).toEqual([]);
    const supply = tracked('R-SUPPLY').supply!;
    const cancelAnswer = tracked('R-CANCEL').cancelAnswer!;
    const needBefore = tracked('R-NEED').needBefore!;

    const dry = await ws.run('timers', 'schedule-missing', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stderr).toBe('');
    const rows = dry.stdout.split('\n').filter((l) => l.startsWith('would schedule'));
    expect(rows.map((l) => l.split(/\s{2,}/))).toEqual([
      ['would schedule', 'R-CANCEL', 'withLender.cancelPending', 'cancelAnswer', shortTime(cancelAnswer.at), '1'],
      ['would schedule', 'R-NEED', 'networkCheck', 'needBefore', shortTime(needBefore.at), NEED_BEFORE],
      ['would schedule', 'R-SUPPLY', 'withLender.expectsToSupply', 'supply', shortTime(supply.at), '1'],
    ]);
    expect(dry.stdout).toContain('Would schedule 3 missing deadline(s) of 3 open request(s); nothing written (--dry-run).');
    expect(eventCount(ws)).toBe(before);
    const dryJson = await ws.json<{ dryRun: boolean; checked: number; missing: unknown[]; scheduled: number }>('timers', 'schedule-missing', '--dry-run');
    expect(dryJson).toMatchObject({ dryRun: true, checked: 3, scheduled: 0 });
    expect(dryJson.missing).toHaveLength(3);

    const run = await ws.run('timers', 'schedule-missing');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l.startsWith('scheduled')).map((l) => l.split(/\s{2,}/)[1])).toEqual(['R-CANCEL', 'R-NEED', 'R-SUPPLY']);
    expect(run.stdout).toContain('Scheduled 3 missing deadline(s) of 3 open request(s).');
    expect(eventCount(ws)).toBe(before + 3);
    expect((await pendingClocks(ws)).sort()).toEqual([`R-CANCEL cancelAnswer ${cancelAnswer.at}`, `R-NEED needBefore ${needBefore.at}`, `R-SUPPLY supply ${supply.at}`]);

    const again = await ws.run('timers', 'schedule-missing');
    expect(again.stdout).toBe('Scheduled 0 missing deadline(s) of 3 open request(s).\n');
    expect(eventCount(ws)).toBe(before + 3);
  });

  it('makes the supply clock of a request promised before it existed fall due like any other', async () => {
    const ws = workspace();
    await oldLog(ws);
    const supply = tracked('R-SUPPLY').supply!;
    expect((await ws.run('timers', 'schedule-missing')).code).toBe(0);

    const fired = await ws.run('timers', 'run', '--now', new Date(Date.parse(supply.at) + 60_000).toISOString());
    expect(fired.code).toBe(0);
    const history = await ws.json<{ events: { type: string; actor: { id: string; role: string } }[]; state: string }>('history', 'R-SUPPLY');
    expect(history.events.slice(-2).map((e) => `${e.type} by ${e.actor.role}`)).toEqual(['MissingDeadlineScheduled by system', 'SupplyOverdue by system']);
    expect(history.state).toBe('withLender.expectsToSupply');
    // Fired once: no supply deadline is left pending for it.
    expect((await pendingClocks(ws)).filter((t) => t.startsWith('R-SUPPLY'))).toEqual([]);
  });

  it('is documented in the help and refuses --dry-run elsewhere and a person sending the command by hand', async () => {
    const ws = workspace();
    const help = await ws.run('timers', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('interlend timers schedule-missing [--dry-run]');
    expect(help.stdout).toMatch(/schedule-missing: the one-off repair after upgrading to the lender clocks/);
    const misplaced = await ws.run('timers', 'run', '--dry-run');
    expect(misplaced.code).toBe(2);
    expect(misplaced.stderr).toContain('--dry-run goes with timers schedule-missing only');

    await oldLog(ws);
    const byHand = await ws.run('act', 'R-SUPPLY', 'scheduleMissingDeadline', '--as', 'LIB1', '--data', '{"name":"supply"}');
    expect(byHand.code).toBe(2);
    expect(byHand.stderr).toContain("use 'interlend timers schedule-missing [--dry-run]'");
  });
});
