import { boundHeapGrowth, DEFAULT_HEAP_GROWTH_PERCENT, heapGrowthPercent, LONG_RUNNING } from './heap';
import { UsageError } from './io';

describe('the heap growth bound of long runs', () => {
  it('takes INTERLEND_HEAP_GROWTH as a whole percentage, 0 for V8 own policy, the default when unset or blank', () => {
    expect(heapGrowthPercent({})).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(heapGrowthPercent({ INTERLEND_HEAP_GROWTH: ' ' })).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(heapGrowthPercent({ INTERLEND_HEAP_GROWTH: '0' })).toBe(0);
    expect(heapGrowthPercent({ INTERLEND_HEAP_GROWTH: ' 60 ' })).toBe(60);
  });

  it.each(['lots', '-5', '2.5', '1001', '25%'])('refuses INTERLEND_HEAP_GROWTH=%j, naming the variable', (text) => {
    expect(() => heapGrowthPercent({ INTERLEND_HEAP_GROWTH: text })).toThrow(UsageError);
    expect(() => heapGrowthPercent({ INTERLEND_HEAP_GROWTH: text })).toThrow(/INTERLEND_HEAP_GROWTH .*not/);
  });

  it('applies to the commands that run long, not to a read or to help (they end before V8 grows much)', () => {
    expect([...LONG_RUNNING].sort()).toEqual(['migrate', 'rebuild', 'serve', 'simulate', 'worker']);
    for (const command of [undefined, '--help', 'history', 'queues', 'stats', 'requests']) expect(boundHeapGrowth(command, { INTERLEND_HEAP_GROWTH: 'not checked' })).toBeUndefined();
    expect(boundHeapGrowth('simulate', { INTERLEND_HEAP_GROWTH: '0' })).toBeUndefined();
  });
});
