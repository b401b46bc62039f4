import type { StoredEvent } from '../eventStore/types';
import { projectInMemory } from '../projections/projectionRunner';
import { deadlineCommandId, firesDeadline, timersProjection, type TimerDoc } from './timersProjection';

let position = 0;
function event(commandId: string, effects: { type: string; params: Record<string, string> }[], streamId = 's1'): StoredEvent {
  position++;
  return { id: `e${position}`, type: 'Something', data: {}, metadata: { commandId, effects }, streamId, revision: position - 1, position, hash: '', previousHash: '' } as unknown as StoredEvent;
}
const schedule = (name: string, at: string, key = '1') => ({ type: 'scheduleDeadline', params: { name, at, key } });
const pending = (events: StoredEvent[]) => [...projectInMemory(timersProjection, events).values()].map((t: TimerDoc) => `${t.streamId}/${t.name}@${t.at}#${t.key}`).sort();

describe('timers projection: a deadline fires once', () => {
  const at = '2026-03-01T00:00:00.000Z';
  const timer = { streamId: 's1', name: 'due', key: '1', at };

  it('ends a pending deadline when the event its timer command wrote is stored, without a cancel effect', () => {
    const events = [event('c1', [schedule('due', at), schedule('other', at)]), event(deadlineCommandId(timer), [])];
    expect(pending(events)).toEqual([`s1/other@${at}#1`]);
  });

  it('keeps the deadline when the same event schedules the name again (a new due time), and the other deadlines', () => {
    const later = '2026-03-08T00:00:00.000Z';
    const events = [event('c1', [schedule('due', at)]), event(deadlineCommandId(timer), [schedule('due', later, '2')])];
    expect(pending(events)).toEqual([`s1/due@${later}#2`]);
  });

  it('leaves a deadline scheduled since the command was sent (another key or due time), and other streams', () => {
    const later = '2026-03-08T00:00:00.000Z';
    const events = [event('c1', [schedule('due', later, '2')]), event('c2', [schedule('due', at)], 's2'), event(deadlineCommandId(timer), [])];
    expect(pending(events)).toEqual([`s1/due@${later}#2`, `s2/due@${at}#1`]);
  });

  it('recognises the timer command by stream, name, key and due instant, however the time is written', () => {
    expect(firesDeadline(timer, deadlineCommandId(timer))).toBe(true);
    expect(firesDeadline(timer, 'deadline:s1:due:1:2026-03-01T01:00:00+01:00')).toBe(true);
    expect(firesDeadline(timer, 'deadline:s1:due:1:2026-03-01T00:00:01.000Z')).toBe(false);
    expect(firesDeadline(timer, 'deadline:s1:due:2:2026-03-01T00:00:00.000Z')).toBe(false);
    expect(firesDeadline(timer, 'deadline:s2:due:1:2026-03-01T00:00:00.000Z')).toBe(false);
    expect(firesDeadline(timer, 'cmd-1')).toBe(false);
    expect(firesDeadline(timer, undefined)).toBe(false);
  });
});
