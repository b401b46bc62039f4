import { print, printJson, safeText, type CliIo } from './io';

function captured(): { io: CliIo; out: () => string } {
  let out = '';
  return { io: { stdout: { write: (chunk: string) => (out += chunk) }, stderr: { write: () => true }, env: {}, cwd: '/' }, out: () => out };
}

describe('safeText', () => {
  it('escapes C0 controls, DEL, C1 controls and bidi characters, and nothing else', () => {
    expect(safeText('\u001b[31mred\u001b[0m')).toBe('\\x1b[31mred\\x1b[0m');
    expect(safeText('a\u0000b\u0007c\rd\te\u007ff\u0085g\u009bh')).toBe('a\\x00b\\x07c\\x0dd\\x09e\\x7ff\\x85g\\x9bh');
    expect(safeText('\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069')).toBe('\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069');
    expect(safeText('Bibliothèque Ørsted 図書館 📚 \u00a0')).toBe('Bibliothèque Ørsted 図書館 📚 \u00a0');
  });

  it('keeps line breaks, unless the text is one value of a line', () => {
    expect(safeText('one\ntwo')).toBe('one\ntwo');
    expect(safeText('one\ntwo', { oneLine: true })).toBe('one\\x0atwo');
  });
});

describe('print and printJson', () => {
  it('print escapes what a terminal would act on', () => {
    const { io, out } = captured();
    print(io, 'name: \u001b]0;title\u0007x\nnext');
    expect(out()).toBe('name: \\x1b]0;title\\x07x\nnext\n');
  });

  it('printJson leaves no raw control or bidi character, and the JSON reads back the same', () => {
    const { io, out } = captured();
    const value = { name: '\u001b[31m\u007f\u0085\u009b\u202e\u2066 ok', nested: [{ code: 'ÿ€' }] };
    printJson(io, value);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    expect(out()).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(out()).toContain('\\u007f\\u0085\\u009b\\u202e\\u2066');
    expect(JSON.parse(out())).toEqual(value);
  });
});
