import { normalizeConnectionString, redactConnectionString } from './connectionString';
import { openKurrentDb } from './openKurrentDb';

describe('connection strings', () => {
  it('passes KurrentDB connection strings through', () => {
    for (const s of ['kurrentdb://localhost:2113?tls=false', 'kurrentdb+discover://admin:changeit@cluster.example.org:2113', 'kdb://a:2113,b:2113?nodePreference=leader', 'kurrent://h:1']) {
      expect(normalizeConnectionString(s)).toBe(s);
    }
  });

  it('rewrites the EventStoreDB schemes esdb:// and esdb+discover:// (the client would warn on every connection)', () => {
    expect(normalizeConnectionString(' esdb://localhost:2113?tls=false ')).toBe('kurrentdb://localhost:2113?tls=false');
    expect(normalizeConnectionString('ESDB+DISCOVER://admin:pw@h:2113')).toBe('kurrentdb+discover://admin:pw@h:2113');
  });

  it('refuses other schemes, no scheme or no host, naming the string with its password masked', () => {
    for (const [bad, why] of [['postgres://u:secret@h/db', "scheme 'postgres'"], ['localhost:2113', 'no scheme'], ['kurrentdb://', 'no host'], ['kurrentdb://admin:secret@?tls=false', 'no host'], ['', 'no scheme']] as const) {
      let error: unknown;
      try {
        normalizeConnectionString(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'VALIDATION', message: expect.stringContaining(why), details: { issues: [expect.objectContaining({ path: 'connectionString' })] } });
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('masks passwords', () => {
    expect(redactConnectionString('kurrentdb://admin:changeit@h:2113?tls=true')).toBe('kurrentdb://admin:***@h:2113?tls=true');
    expect(redactConnectionString('kurrentdb://h:2113')).toBe('kurrentdb://h:2113');
  });
});

describe('openKurrentDb', () => {
  it('makes a client lazily (no server needed until the first call) and closes it with the store', async () => {
    const handle = openKurrentDb('esdb://127.0.0.1:1?tls=false', { streamPrefix: 'ill-' });
    expect(handle.connection).toBe('kurrentdb://127.0.0.1:1?tls=false');
    expect(handle.events.streamPrefix).toBe('ill-');
    await handle.close();
    await handle.close();
    await expect(handle.events.headPosition()).rejects.toMatchObject({ code: 'STORE', message: expect.stringContaining('kurrentdb://127.0.0.1:1') });
  });

  it('refuses a connection string that is not KurrentDB before making a client', () => {
    expect(() => openKurrentDb('sqlite:./data/interlend.db')).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
  });
});
