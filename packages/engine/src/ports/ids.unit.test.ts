import { ManualClock } from './clock';
import { SeededIds, uuidV7Ids } from './ids';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV7', () => {
  it('given a clock and a seed, makes the same ids each time; given another seed, others', () => {
    const clock = new ManualClock('2026-01-05T09:00:00.000Z');
    const ids = (seed: number) => {
      const generator = new SeededIds(seed, clock);
      return [generator.next(), generator.next(), generator.next()];
    };
    expect(ids(3)).toEqual(ids(3));
    expect(ids(3)).not.toEqual(ids(4));
    for (const id of ids(3)) expect(id).toMatch(V7);
    expect(ids(3)[0]!.startsWith('019b8d62-7a80-7000-8')).toBe(true); // 2026-01-05T09:00Z in milliseconds, then counter 0
  });

  it('from the system: version 7, and in the order made, also within one millisecond', () => {
    const made = Array.from({ length: 5_000 }, () => uuidV7Ids.next());
    for (const id of made) expect(id).toMatch(V7);
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(made.length);
  });
});
