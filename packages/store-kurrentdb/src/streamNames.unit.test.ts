import { checkStreamPrefix, DEFAULT_STREAM_PREFIX, fromKurrentStream, interlendStreamFilter, toKurrentStream } from './streamNames';

describe('stream names and the $all filter', () => {
  it('prefixes engine stream ids and strips the prefix again, and knows streams that are not its own', () => {
    expect(DEFAULT_STREAM_PREFIX).toBe('interlend-');
    expect(toKurrentStream('interlend-', 'stream/ü 🚀:1')).toBe('interlend-stream/ü 🚀:1');
    expect(fromKurrentStream('interlend-', 'interlend-stream/ü 🚀:1')).toBe('stream/ü 🚀:1');
    expect(fromKurrentStream('interlend-', '$stats-127.0.0.1:2113')).toBeUndefined();
    expect(fromKurrentStream('interlend-', 'orders-1')).toBeUndefined();
  });

  it('filters $all on the server by stream-name prefix', () => {
    expect(interlendStreamFilter('interlend-')).toMatchObject({ filterOn: 'streamName', prefixes: ['interlend-'] });
  });

  it('refuses prefixes that are empty, reach system streams or hold control characters', () => {
    expect(checkStreamPrefix('ill-prod-')).toBe('ill-prod-');
    for (const bad of ['', '$', '$et-', 'a\nb']) expect(() => checkStreamPrefix(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION', details: { issues: [expect.objectContaining({ path: 'streamPrefix' })] } }));
  });
});
