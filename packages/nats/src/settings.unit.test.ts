import { DEFAULT_SETTINGS, resolveSettings } from '@interlend/nats';

describe('settings', () => {
  test('lays the given values over the defaults, group by group', () => {
    const s = resolveSettings({ replicas: 3, commands: { ackWaitMs: 5_000 }, leases: { ttlMs: 3_000 } });
    expect(s.replicas).toBe(3);
    expect(s.commands).toEqual({ ...DEFAULT_SETTINGS.commands, ackWaitMs: 5_000 });
    expect(s.leases.ttlMs).toBe(3_000);
    expect(s.events).toEqual(DEFAULT_SETTINGS.events);
  });

  test('starts a given backoff with the ack wait, and wants more deliveries than backoff steps', () => {
    expect(resolveSettings({ commands: { ackWaitMs: 10_000, backoffMs: [1, 20_000, 40_000] } }).commands.backoffMs).toEqual([10_000, 20_000, 40_000]);
    expect(() => resolveSettings({ commands: { maxDeliver: 3, backoffMs: [1, 2, 3] } })).toThrow(/maxDeliver \(3\) must exceed/);
  });

  test('refuses a prefix that is not dot-separated subject tokens', () => {
    expect(() => resolveSettings({ prefix: 'inter lend' })).toThrow(/subject prefix/);
    expect(() => resolveSettings({ prefix: 'a.>' })).toThrow(/subject prefix/);
    expect(resolveSettings({ prefix: 'acme.ill' }).prefix).toBe('acme.ill');
  });
});
