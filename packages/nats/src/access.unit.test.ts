import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subjects, natsAuthorization, natsPermissions, type NatsUser } from '@interlend/nats';

/** The users of the committed sample configurations in deploy/nats/ (LIB001: a code of the simulator's directory). */
const SAMPLE: NatsUser[] = [
  { user: 'worker', password: 'change-me-worker', role: 'worker' },
  { user: 'api', password: 'change-me-api', role: 'api' },
  { user: 'dashboard-LIB001', password: 'change-me-dashboard-LIB001', role: 'library', library: 'LIB001' },
  { user: 'auditor', password: 'change-me-auditor', role: 'auditor' },
];

const DEPLOY = join(__dirname, '..', '..', '..', 'deploy', 'nats');

/**
 * Is a subject allowed by a permission pattern, as nats-server 2.9 decides: the subject's tokens are
 * taken literally (a subscription's own `*` or `>` is just a token), the pattern's `*` matches any
 * one token and its `>` one or more.
 */
function covers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
const allowed = (patterns: readonly string[] | undefined, subject: string) => (patterns ?? []).some((p) => covers(p, subject));

describe('natsAuthorization: the committed sample configurations', () => {
  const block = natsAuthorization({ users: SAMPLE });

  test.each(['nats.conf', 'cluster/n1.conf', 'cluster/n2.conf', 'cluster/n3.conf'])('deploy/nats/%s holds the block generated for the sample users, verbatim', (file) => {
    const conf = readFileSync(join(DEPLOY, file), 'utf8');
    // On a mismatch, the expected block is printed: paste it into the file.
    expect(conf).toContain(block);
  });

  test('the block names each user once, with its password', () => {
    for (const u of SAMPLE) expect(block).toContain(`user: "${u.user}"\n      password: "${u.password}"`);
    expect(block.match(/^\s+user: /gm)).toHaveLength(SAMPLE.length);
    expect(block).toContain('allow_responses: true'); // the worker's only
    expect(block.match(/allow_responses/g)).toHaveLength(1);
  });
});

describe('natsPermissions: each role follows the subject scheme', () => {
  const s = new Subjects();

  test('a library reads its own events (either party slot), effects and news, and publishes nothing', () => {
    const perms = natsPermissions({ role: 'library', library: 'LIB001' });
    expect(perms.subscribe.allow).toEqual([...s.eventsOf('LIB001'), s.effectsOf('LIB001'), s.newsOf('LIB001')]);
    expect(perms.subscribe.allow).toEqual(['interlend.events.LIB001.*.*.*', 'interlend.events.*.LIB001.*.*', 'interlend.effects.LIB001.>', 'interlend.news.LIB001.>']);
    expect(perms.publish).toEqual({ deny: ['>'] });
    expect(perms.allowResponses).toBeUndefined();

    const mine = [s.event(['LIB001', 'LIB002'], 'req-1', 'Requested'), s.event(['LIB002', 'LIB001'], 'req-1', 'Shipped'), s.effect('LIB001', 'notifyLender'), s.news('LIB001', 'ill.requests')];
    const theirs = [
      s.event(['LIB002', 'LIB003'], 'req-2', 'Shipped'),
      s.event(['LIB002'], 'req-3', 'Requested'),
      s.effect('LIB002', 'notifyLender'),
      s.effect(undefined, 'sendMail'),
      s.news('LIB002', 'ill.requests'),
      s.news(undefined, 'ill.requests'),
      s.dead('commands', 'invalid'),
      s.command('LIB001', 'submit'),
      s.rpc('LIB001', 'submit'),
      '_INBOX.abc.1',
      '$JS.API.CONSUMER.CREATE.INTERLEND_EFFECTS.x.interlend.effects.LIB001.>',
    ];
    for (const subject of mine) expect([subject, allowed(perms.subscribe.allow, subject)]).toEqual([subject, true]);
    for (const subject of theirs) expect([subject, allowed(perms.subscribe.allow, subject)]).toEqual([subject, false]);
    // broader subscriptions are not covered either
    for (const wide of ['interlend.>', 'interlend.events.>', 'interlend.events.*.*.*.*', 'interlend.effects.*.notifyLender', 'interlend.news.>', '_INBOX.>']) {
      expect([wide, allowed(perms.subscribe.allow, wide)]).toEqual([wide, false]);
    }
  });

  test("odd library codes go through token(): one whole token, no wildcard, no other library's subjects", () => {
    const odd = 'LIB.A*>~ b';
    const perms = natsPermissions({ role: 'library', library: odd });
    expect(perms.subscribe.allow).toEqual([
      'interlend.events.LIB%2EA%2A%3E%7E%20b.*.*.*',
      'interlend.events.*.LIB%2EA%2A%3E%7E%20b.*.*',
      'interlend.effects.LIB%2EA%2A%3E%7E%20b.>',
      'interlend.news.LIB%2EA%2A%3E%7E%20b.>',
    ]);
    expect(allowed(perms.subscribe.allow, s.effect(odd, 'notifyLender'))).toBe(true);
    expect(allowed(perms.subscribe.allow, s.effect('LIB', 'notifyLender'))).toBe(false);
    expect(allowed(perms.subscribe.allow, s.event(['LIB', 'A'], 'r', 'Shipped'))).toBe(false);
    // '~' (no party) is a library code like any other, never the "no party" token
    expect(natsPermissions({ role: 'library', library: '~' }).subscribe.allow).toContain('interlend.effects.%7E.>');
    // and the block quotes it as it is
    const text = natsAuthorization({ users: [{ user: 'dash "odd"', password: 'p\\w', role: 'library', library: odd }] });
    expect(text).toContain('user: "dash \\"odd\\""');
    expect(text).toContain('password: "p\\\\w"');
    expect(text).toContain('"interlend.effects.LIB%2EA%2A%3E%7E%20b.>"');
  });

  test('another prefix and three party slots change every subject and stream name', () => {
    const settings = { prefix: 'acme.ill', partySlots: 3 };
    expect(natsPermissions({ role: 'library', library: 'L1' }, settings).subscribe.allow).toEqual([
      'acme.ill.events.L1.*.*.*.*',
      'acme.ill.events.*.L1.*.*.*',
      'acme.ill.events.*.*.L1.*.*',
      'acme.ill.effects.L1.>',
      'acme.ill.news.L1.>',
    ]);
    const api = natsPermissions({ role: 'api' }, settings);
    expect(api.publish.allow).toEqual(expect.arrayContaining(['acme.ill.commands.>', 'acme.ill.rpc.>', '$JS.API.CONSUMER.CREATE.ACME_ILL_EVENTS.>', '$JS.API.CONSUMER.MSG.NEXT.ACME_ILL_EFFECTS.*']));
    expect(natsPermissions({ role: 'worker' }, settings).publish.allow).toContain('$KV.acme_ill-leases.>');
  });

  test('the api sends commands and requests and reads the feed through its own consumers, never the command queue', () => {
    const api = natsPermissions({ role: 'api' });
    for (const ok of [s.command('LIB001', 'submit'), s.rpc('LIB002', 'ship'), '$JS.API.CONSUMER.CREATE.INTERLEND_EVENTS.c1.interlend.events.LIB001.*.*.*', '$JS.API.CONSUMER.MSG.NEXT.INTERLEND_EFFECTS.c1', '$JS.ACK.INTERLEND_EVENTS.c1.1.2.3.4.0']) {
      expect([ok, allowed(api.publish.allow, ok)]).toEqual([ok, true]);
    }
    for (const no of ['$JS.API.CONSUMER.MSG.NEXT.INTERLEND_COMMANDS.workers', '$JS.API.STREAM.DELETE.INTERLEND_EVENTS', '$JS.API.STREAM.PURGE.INTERLEND_COMMANDS', s.event(['LIB001'], 'r', 'Shipped'), s.dead('x', 'invalid'), '$KV.interlend-leases.deadlines']) {
      expect([no, allowed(api.publish.allow, no)]).toEqual([no, false]);
    }
    expect(api.subscribe.allow).toEqual(['interlend.events.>', 'interlend.effects.>', 'interlend.news.>', '_INBOX.>']);
  });

  test('the auditor reads everything but commands, and sends nothing; the worker answers requests', () => {
    const auditor = natsPermissions({ role: 'auditor' });
    expect(auditor.publish).toEqual({ deny: ['>'] });
    expect(auditor.subscribe.allow).toEqual(['interlend.events.>', 'interlend.effects.>', 'interlend.news.>', 'interlend.dead.>']);
    expect(allowed(auditor.subscribe.allow, s.command('LIB001', 'submit'))).toBe(false);
    const worker = natsPermissions({ role: 'worker' });
    expect(worker.allowResponses).toBe(true);
    expect(worker.publish.allow).toEqual(['interlend.>', '$JS.API.>', '$JS.ACK.>', '$KV.interlend-leases.>', '_INBOX.>']);
  });

  test('refuses what would give a wrong block', () => {
    expect(() => natsPermissions({ role: 'library' })).toThrow("needs its library's code");
    expect(() => natsPermissions({ role: 'library', library: '' })).toThrow("needs its library's code");
    expect(() => natsPermissions({ role: 'api', library: 'LIB001' })).toThrow('only a library user');
    expect(() => natsPermissions({ role: 'admin' as never })).toThrow("unknown role 'admin'");
    expect(() => natsAuthorization({ users: [SAMPLE[0]!, SAMPLE[0]!] })).toThrow("user 'worker' appears twice");
    expect(() => natsAuthorization({ users: [{ ...SAMPLE[0]!, password: 'a\nb' }] })).toThrow('control character');
    expect(() => natsAuthorization({ users: [{ ...SAMPLE[0]!, user: 'w\u0000' }] })).toThrow('control character');
    expect(() => natsAuthorization({ users: [{ ...SAMPLE[0]!, password: 'p\ud800' }] })).toThrow('not well-formed');
    expect(() => natsAuthorization({ users: [{ ...SAMPLE[0]!, user: '' }] })).toThrow('must not be empty');
    expect(() => natsAuthorization({ users: [{ ...SAMPLE[0]!, password: '' }] })).toThrow('has no password');
    expect(() => natsAuthorization({ users: [], settings: { prefix: 'bad prefix' } })).toThrow('dot-separated tokens');
  });
});
