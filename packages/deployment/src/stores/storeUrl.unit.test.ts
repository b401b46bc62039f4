import { describeStore, parseStoreUrl, storeFlagsFor, storeUrlOf } from './storeUrl';

describe('parseStoreUrl', () => {
  test.each([
    ['sqlite:./data/interlend.db', '/srv/app/data/interlend.db'],
    ['sqlite:data/x.db', '/srv/app/data/x.db'],
    ['sqlite:///var/lib/interlend/log.db', '/var/lib/interlend/log.db'],
    ['sqlite:/var/lib/interlend/log.db', '/var/lib/interlend/log.db'],
    ['./plain/path.db', '/srv/app/plain/path.db'],
    ['/abs/path.db', '/abs/path.db'],
  ])('%s is the SQLite file %s', (input, file) => {
    expect(parseStoreUrl(input, '/srv/app')).toEqual({ kind: 'sqlite', path: file });
  });

  test.each(['postgres://u:p@127.0.0.1:5432/ill', 'postgresql://127.0.0.1/ill?sslmode=disable'])('%s is PostgreSQL, kept as given', (url) => {
    expect(parseStoreUrl(url, '/')).toEqual({ kind: 'postgres', url });
  });

  test.each(['kurrentdb://127.0.0.1:2113?tls=false', 'kurrentdb+discover://a:2113,b:2113', 'esdb://127.0.0.1:2113?tls=false'])('%s is KurrentDB', (url) => {
    expect(parseStoreUrl(url, '/')).toEqual({ kind: 'kurrentdb', url });
  });

  test.each([
    ['', /is empty/],
    ['mysql://h/db', /'mysql:' is not a store this build knows/],
    ['sqlite:', /names no file/],
    ['postgres://[bad', /is not a URL/],
  ])("'%s' is refused, naming the setting", (input, why) => {
    expect(() => parseStoreUrl(input, '/', 'INTERLEND_STORE')).toThrow(expect.objectContaining({ code: 'VALIDATION', message: expect.stringMatching(why) }));
    expect(() => parseStoreUrl(input, '/', 'INTERLEND_STORE')).toThrow(/^INTERLEND_STORE: /);
  });

  test('describeStore hides a password', () => {
    expect(describeStore(parseStoreUrl('postgres://ill:s3cret@db:5432/ill', '/'))).toBe('postgres://ill:***@db:5432/ill');
    expect(describeStore(parseStoreUrl('sqlite:x.db', '/w'))).toBe('sqlite:/w/x.db');
  });
});

describe('storeUrlOf and storeFlagsFor', () => {
  it('gives a URL that parses back to the same location (for a child process), a file path with % included', () => {
    for (const input of ['sqlite:/srv/a 100%.db', 'postgres://u:secret@h:5432/db', 'kurrentdb://h:2113?tls=false']) {
      const location = parseStoreUrl(input.replace('%', '%25'), '/w');
      expect(parseStoreUrl(storeUrlOf(location), '/elsewhere')).toEqual(location);
    }
  });

  it('names the stores as flags for a hint, never with the password', () => {
    expect(storeFlagsFor({ events: parseStoreUrl('sqlite:x.db', '/w') })).toBe('--db /w/x.db');
    expect(storeFlagsFor({ events: parseStoreUrl('postgres://u:secret@h/db', '/w') })).toBe('--store postgres://u:***@h/db');
    expect(storeFlagsFor({ events: parseStoreUrl('kurrentdb://h:2113', '/w'), readModels: parseStoreUrl('postgres://u:secret@h/rm', '/w') })).toBe(
      '--store kurrentdb://h:2113 --read-models postgres://u:***@h/rm',
    );
  });
});
