import { ManualClock, SeededIds, uuidV7Ids } from '@interlend/engine';
import { ENGINE_ID_NAMESPACE, isUuid, toKurrentEventId, uuidV5 } from './eventId';

describe('event ids', () => {
  it("uses the engine's UUID v7 ids as they are, lower-cased as the server writes them", () => {
    const id = uuidV7Ids.next();
    expect(toKurrentEventId(id)).toBe(id);
    const seeded = new SeededIds(5, new ManualClock('2026-12-02T10:00:00Z')).next();
    expect(toKurrentEventId(seeded)).toBe(seeded);
    expect(toKurrentEventId(id.toUpperCase())).toBe(id);
    expect(toKurrentEventId('00000000-0000-0000-0000-000000000000')).toBe('00000000-0000-0000-0000-000000000000');
  });

  it('maps any other id to the UUID v5 of it, the same every time, different for different ids', () => {
    const mapped = toKurrentEventId('evt-abc-1');
    expect(isUuid(mapped)).toBe(true);
    expect(mapped[14]).toBe('5');
    expect('89ab').toContain(mapped[19]);
    expect(toKurrentEventId('evt-abc-1')).toBe(mapped);
    expect(toKurrentEventId('evt-abc-2')).not.toBe(mapped);
    expect(toKurrentEventId('ïd-🚀')).toBe(uuidV5(ENGINE_ID_NAMESPACE, 'ïd-🚀'));
    // Not a UUID: a UUID with a stray character, braces, no dashes.
    for (const almost of [`${uuidV7Ids.next()}x`, `{${uuidV7Ids.next()}}`, uuidV7Ids.next().replace(/-/g, '')]) expect(toKurrentEventId(almost)).not.toBe(almost);
  });

  it('computes RFC 9562 version 5 UUIDs (the published example)', () => {
    // RFC 9562 appendix A.4 / Python's uuid.uuid5(uuid.NAMESPACE_DNS, 'www.example.com').
    expect(uuidV5('6ba7b810-9dad-11d1-80b4-00c04fd430c8', 'www.example.com')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(() => uuidV5('not-a-uuid', 'x')).toThrow(TypeError);
  });
});
