import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { isValidationError } from '../errors';
import { InMemoryEventStore } from '../eventStore/inMemoryEventStore';
import { verifyStreamEvents } from '../eventStore/verifyChain';
import { ManualClock } from '../ports/clock';
import { SeededIds } from '../ports/ids';
import { fold } from '../workflow/fold';
import { recordedTime, type CommandInput } from '../workflow/types';
import { CommandHandler } from './commandHandler';
import { OCCURRED_AT_SKEW_MS, validateCommand } from './validateCommand';

/**
 * Business time apart from record time: a command may say when what it records happened
 * (`occurredAt`). That is the time the machine sees (deadlines, statistics); the handler's clock
 * is kept beside it as `metadata.recordedAt` where the two differ.
 */

const MONDAY = '2026-03-09T09:12:00.000Z';
const FRIDAY = '2026-03-06T15:30:00.000Z';
const author = { id: 'LIB1', role: 'author' };
const reviewer = { id: 'REV', role: 'reviewer' };
const open = (overrides: Partial<CommandInput> = {}): CommandInput => ({ commandId: 'c1', streamId: 's1', type: 'open', data: { title: 'T' }, actor: author, ...overrides });

function refusal(fn: () => unknown): { message: string; issues: string[] } {
  try {
    fn();
  } catch (error) {
    if (!isValidationError(error)) throw error;
    return { message: error.message, issues: (error.details.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`) };
  }
  throw new Error('expected a ValidationError');
}

async function refusalOf(p: Promise<unknown>): Promise<{ message: string; issues: string[]; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (error) {
    if (!isValidationError(error)) throw error;
    const issues = (error.details.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
    return { message: error.message, issues, details: error.details as Record<string, unknown> };
  }
  throw new Error('expected a ValidationError');
}

describe('validateCommand with occurredAt', () => {
  it('takes an earlier occurredAt as the business time and keeps the clock as recordedAt', () => {
    const command = validateCommand(approvalWorkflow, open({ occurredAt: FRIDAY }), MONDAY);
    expect(command.time).toBe(FRIDAY);
    expect(command.recordedAt).toBe(MONDAY);
  });

  it('writes an occurredAt with an offset in UTC', () => {
    expect(validateCommand(approvalWorkflow, open({ occurredAt: '2026-03-06T16:30+01:00' }), MONDAY).time).toBe(FRIDAY);
  });

  it('without occurredAt, or with one equal to the clock, has one time and no recordedAt', () => {
    const plain = validateCommand(approvalWorkflow, open(), MONDAY);
    expect(plain).toMatchObject({ time: MONDAY });
    expect(plain.recordedAt).toBeUndefined();
    const same = validateCommand(approvalWorkflow, open({ occurredAt: '2026-03-09T10:12:00+01:00' }), MONDAY);
    expect(same.time).toBe(MONDAY);
    expect(same.recordedAt).toBeUndefined();
  });

  it.each([
    ['a date without a time', '2026-03-06'],
    ['a date-time without a zone', '2026-03-06T15:30:00'],
    ['a day the month does not have', '2026-02-30T10:00:00Z'],
    ['words', 'last Friday'],
    ['a number', 1772811000000],
  ])('refuses %s, naming occurredAt', (_, value) => {
    const { issues } = refusal(() => validateCommand(approvalWorkflow, open({ occurredAt: value as string }), MONDAY));
    expect(issues).toEqual([expect.stringMatching(/^occurredAt: .*ISO-8601 date-time with a zone/)]);
  });

  it('refuses a time more than OCCURRED_AT_SKEW_MS after the clock', () => {
    const { issues } = refusal(() => validateCommand(approvalWorkflow, open({ occurredAt: '2026-03-09T09:12:05.001Z' }), MONDAY));
    expect(issues).toEqual([`occurredAt: 2026-03-09T09:12:05.001Z is in the future: it is now ${MONDAY}; a command records what has happened`]);
  });

  it("takes a time up to OCCURRED_AT_SKEW_MS ahead (another machine's clock) as the clock's: business time never passes record time", () => {
    expect(OCCURRED_AT_SKEW_MS).toBe(5_000);
    const command = validateCommand(approvalWorkflow, open({ occurredAt: '2026-03-09T09:12:05.000Z' }), MONDAY);
    expect(command.time).toBe(MONDAY);
  });

  it("refuses occurredAt on the timer's deadline command: a deadline happens at its own time", () => {
    const deadline = { commandId: 'd1', streamId: 's1', type: 'deadlineReached', data: { name: 'review', key: 'r1', at: FRIDAY }, actor: { id: 'system', role: 'system' } };
    expect(validateCommand(approvalWorkflow, deadline, MONDAY).time).toBe(MONDAY);
    const { issues } = refusal(() => validateCommand(approvalWorkflow, { ...deadline, occurredAt: FRIDAY }, MONDAY));
    expect(issues).toEqual([expect.stringMatching(/^occurredAt: not accepted on 'deadlineReached'/)]);
  });
});

describe('CommandHandler with occurredAt', () => {
  function setup() {
    const store = new InMemoryEventStore();
    const clock = new ManualClock(MONDAY);
    const handler = new CommandHandler({ workflow: approvalWorkflow, store, services: { reviewers: ['REV'] }, clock, ids: new SeededIds(1, clock) });
    return { store, clock, handler };
  }

  it('stores both times: time = when it happened, recordedAt = when it was recorded', async () => {
    const { handler, store } = setup();
    const result = await handler.handle(open({ occurredAt: FRIDAY }));
    const [stored] = await store.readStream('s1');
    expect(stored!.metadata).toMatchObject({ time: FRIDAY, recordedAt: MONDAY });
    expect(recordedTime(stored!)).toBe(MONDAY);
    expect(result.events[0]!.metadata).toMatchObject({ time: FRIDAY, recordedAt: MONDAY });
    expect(result.state.lastEventTime).toBe(FRIDAY);
  });

  it('stores no recordedAt for a command without occurredAt (recordedTime is then its time)', async () => {
    const { handler, store } = setup();
    await handler.handle(open());
    const [stored] = await store.readStream('s1');
    expect(stored!.metadata.time).toBe(MONDAY);
    expect('recordedAt' in stored!.metadata).toBe(false);
    expect(recordedTime(stored!)).toBe(MONDAY);
  });

  it("counts the machine's deadline from the business time, not from when it was recorded", async () => {
    const { handler } = setup();
    const result = await handler.handle(open({ occurredAt: FRIDAY }));
    // The approval workflow's review deadline is one day after the request was opened.
    expect(result.events[0]!.metadata.effects).toEqual([{ type: 'scheduleDeadline', params: { name: 'review', at: '2026-03-07T15:30:00.000Z', key: 'r1' } }]);
  });

  it("refuses an occurredAt before the stream's previous event, naming it and its time; nothing is written", async () => {
    const { handler, store, clock } = setup();
    await handler.handle(open({ occurredAt: FRIDAY }));
    clock.advance(60_000);
    const refused = await refusalOf(handler.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer, occurredAt: '2026-03-06T15:29:59.999Z' }));
    expect(refused.issues).toEqual([`occurredAt: 2026-03-06T15:29:59.999Z is before the previous event of approval 's1', which happened at ${FRIDAY}`]);
    expect(refused.details.previousEventTime).toBe(FRIDAY);
    expect(await store.readStream('s1')).toHaveLength(1);
  });

  it("accepts an occurredAt equal to the previous event's time, and a later command without one at the clock's time", async () => {
    const { handler, store, clock } = setup();
    await handler.handle(open({ occurredAt: FRIDAY }));
    await handler.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author, occurredAt: FRIDAY });
    clock.advance(60_000);
    await handler.handle({ commandId: 'c3', streamId: 's1', type: 'approve', actor: reviewer });
    const stored = await store.readStream('s1');
    expect(stored.map((e) => [e.metadata.time, e.metadata.recordedAt])).toEqual([
      [FRIDAY, MONDAY],
      [FRIDAY, MONDAY],
      ['2026-03-09T09:13:00.000Z', undefined],
    ]);
  });

  it('checks the previous event of a stream the handler did not have cached (read from the store)', async () => {
    const { handler, store, clock } = setup();
    await handler.handle(open({ occurredAt: FRIDAY }));
    const other = new CommandHandler({ workflow: approvalWorkflow, store, services: { reviewers: ['REV'] }, clock, ids: new SeededIds(2, clock) });
    const refused = await refusalOf(other.handle({ commandId: 'c2', streamId: 's1', type: 'approve', actor: reviewer, occurredAt: '2026-03-05T12:00:00Z' }));
    expect(refused.issues[0]).toMatch(/^occurredAt: .* is before the previous event/);
  });

  it('answers a resend with the same command id with the first result, later and with another occurredAt', async () => {
    const { handler, store, clock } = setup();
    const first = await handler.handle(open({ occurredAt: FRIDAY }));
    clock.advance(3_600_000);
    const again = await handler.handle(open({ occurredAt: '2026-03-09T10:00:00Z' }));
    expect(again.duplicate).toBe(true);
    expect(again.events.map((e) => e.metadata)).toEqual(first.events.map((e) => e.metadata));
    expect(await store.readStream('s1')).toHaveLength(1);
  });

  it('replays to the same state: the machine sees the business time again on replay', async () => {
    const { handler, store, clock } = setup();
    await handler.handle(open({ occurredAt: FRIDAY }));
    clock.advance(60_000);
    const last = await handler.handle({ commandId: 'c2', streamId: 's1', type: 'comment', data: { text: 'x' }, actor: author, occurredAt: '2026-03-07T08:00:00Z' });
    const replayed = fold(approvalWorkflow, 's1', await store.readStream('s1'));
    expect(replayed.snapshot.context).toEqual(last.state.snapshot.context);
    expect(replayed.stateName).toBe(last.state.stateName);
    expect(replayed.lastEventTime).toBe('2026-03-07T08:00:00.000Z');
    expect(last.state.lastEventTime).toBe('2026-03-07T08:00:00.000Z');
  });

  it('covers recordedAt by the hash chain: changing it afterwards breaks the chain', async () => {
    const { handler, store } = setup();
    await handler.handle(open({ occurredAt: FRIDAY }));
    const events = await store.readStream('s1');
    expect(verifyStreamEvents('s1', events).ok).toBe(true);
    const tampered = events.map((e) => ({ ...e, metadata: { ...e.metadata, recordedAt: FRIDAY } }));
    expect(verifyStreamEvents('s1', tampered).ok).toBe(false);
  });
});
