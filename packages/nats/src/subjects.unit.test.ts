import { NO_PARTY, Subjects, token, untoken } from '@interlend/nats';

describe('subjects', () => {
  const s = new Subjects();

  test('makes any string one subject token, reversibly', () => {
    for (const value of ['LIB1', 'req_01-ab', 'a.b', 'x*y>z', 'two words', '~', '', 'Zürich', 'deadline:r-1:due:r1:2026-01-01T00:00:00.000Z']) {
      const t = token(value);
      expect(t).toMatch(/^[A-Za-z0-9_%-]+$/);
      expect(untoken(t)).toBe(value);
    }
    expect(token('a.b')).toBe('a%2Eb');
    expect(token('LIB1')).toBe('LIB1');
  });

  test('lays out the documented scheme', () => {
    expect(s.command('LIB1', 'ship')).toBe('interlend.commands.LIB1.ship');
    expect(s.rpc('LIB1', 'ship')).toBe('interlend.rpc.LIB1.ship');
    expect(s.event(['LIB1', 'LIB3'], 'req-7', 'Shipped')).toBe('interlend.events.LIB1.LIB3.req-7.Shipped');
    expect(s.event(['LIB1'], 'req-7', 'Submitted')).toBe(`interlend.events.LIB1.${NO_PARTY}.req-7.Submitted`);
    expect(s.event([], 'a.b', 'X')).toBe('interlend.events.~.~.a%2Eb.X');
    expect(s.eventsOf('LIB1')).toEqual(['interlend.events.LIB1.*.*.*', 'interlend.events.*.LIB1.*.*']);
    expect(s.effect('LIB3', 'notifyLender')).toBe('interlend.effects.LIB3.notifyLender');
    expect(s.effect(undefined, 'audit')).toBe('interlend.effects.~.audit');
    expect(s.news('LIB1', 'ill.requests')).toBe('interlend.news.LIB1.ill.requests');
    expect(s.newsOf(undefined)).toBe('interlend.news.~.>');
    expect(s.dead('commands', 'poison')).toBe('interlend.dead.commands.poison');
    expect(s.deadFilter(undefined, 'poison')).toBe('interlend.dead.*.poison');
    expect(s.streamName('DEAD_LETTERS')).toBe('INTERLEND_DEAD_LETTERS');
    expect(s.leaseBucket).toBe('interlend-leases');
  });

  test('reads the actor token back from a command or request subject only', () => {
    expect(s.actorTokenOf('interlend.commands.LIB1.ship')).toBe('LIB1');
    expect(s.actorTokenOf('interlend.rpc.a%2Eb.ship')).toBe('a%2Eb');
    expect(s.actorTokenOf('interlend.events.LIB1.ship')).toBeUndefined();
    expect(s.actorTokenOf('other.commands.LIB1.ship')).toBeUndefined();
    expect(s.actorTokenOf('interlend.commands.LIB1.ship.more')).toBeUndefined();
  });

  test('has as many party slots as asked', () => {
    const three = new Subjects('x', { partySlots: 3 });
    expect(three.event(['a', 'b', 'c', 'd'], 's', 'T')).toBe('x.events.a.b.c.s.T');
    expect(three.eventsOf('b')[1]).toBe('x.events.*.b.*.*.*');
  });
});
