/**
 * Control characters never reach the terminal (issue 7, item 8): what the CLI prints, human or
 * JSON, output or error, has every control and bidi character escaped; codes holding them are
 * refused.
 */
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { removeWorkspaces, workspace, type CliResult } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

/** Any C0 control but the line feed, DEL, a C1 control or a bidi control, raw. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const RED = '\u001b[31m';

function expectNothingRaw(result: CliResult): void {
  expect(result.stdout).not.toMatch(RAW);
  expect(result.stderr).not.toMatch(RAW);
}

function directoryWithNames(names: Record<string, string>) {
  const json = sampleDirectoryJson();
  for (const library of json.libraries) if (names[library.code]) library.name = names[library.code]!;
  return json;
}

describe('directory list', () => {
  it('prints a library name holding an escape sequence escaped, in the table and in JSON', async () => {
    const ws = workspace();
    const names = { LIB2: `${RED}Red Library`, LIB3: 'Library\u202e3', LIB4: 'Library\u009b4\u007f', LIB5: 'Line\rbreak\ttab' };
    await ws.json('directory', 'import', ws.writeJson('directory.json', directoryWithNames(names)));

    const table = await ws.run('directory', 'list');
    const json = await ws.run('directory', 'list', '--json');

    expect(table.code).toBe(0);
    expectNothingRaw(table);
    expect(table.stdout).toMatch(/^LIB2\s+ILL-LIB2\s+\\x1b\[31mRed Library\s+yes/m);
    expect(table.stdout).toContain('Library\\u202e3');
    expect(table.stdout).toContain('Library\\x9b4\\x7f');
    expect(table.stdout).toContain('Line\\x0dbreak\\x09tab');

    expect(json.code).toBe(0);
    expectNothingRaw(json);
    const listed = (JSON.parse(json.stdout) as { libraries: { code: string; name: string }[] }).libraries;
    for (const [code, name] of Object.entries(names)) expect(listed.find((l) => l.code === code)?.name).toBe(name);
  });

  it('was given a directory whose codes hold control characters: refused, naming the field', async () => {
    const ws = workspace();
    const json = sampleDirectoryJson();
    json.libraries[1]!.code = `LIB${RED}2`;

    const refused = await ws.run('directory', 'import', ws.writeJson('directory.json', json));

    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 1, stdout: '' });
    expect(refused.stderr).toContain('libraries[1].code: must not contain control or bidi characters');
  });
});

describe('error messages', () => {
  it('quote what the caller sent escaped', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));

    const unknownRequest = await ws.run('act', `REQ${RED}1`, '--allowed');
    const unknownLibrary = await ws.run('submit', '--as', `LIB${RED}1`, '--file', ws.writeJson('request.json', {}));
    const unknownCommand = await ws.run(`req${RED}uests`);

    for (const result of [unknownRequest, unknownLibrary, unknownCommand]) {
      expect(result.code).toBe(2);
      expectNothingRaw(result);
    }
    expect(unknownRequest.stderr).toContain("no request 'REQ\\x1b[31m1'");
    expect(unknownLibrary.stderr).toContain("--as: 'LIB\\x1b[31m1' is not in the library directory");
    expect(unknownCommand.stderr).toContain("unknown command 'req\\x1b[31muests'");
  });

  it('of a refused command, which quote sent text, are one escaped line', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
    const { requestId } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
    await ws.json('act', requestId, 'notAvailableLocally', '--as', 'LIB1');
    const { context } = await ws.json<{ context: { lender: string } }>('history', requestId);
    const item = `ITEM${RED}\nFAKE`;
    const shipment = { itemIds: [item, item], dueDate: '2099-01-01', cost: { amount: 1, currency: 'USD' } };

    const refused = await ws.run('act', requestId, 'ship', '--as', context.lender, '--data', JSON.stringify(shipment));

    expect(refused.code).toBe(1);
    expectNothingRaw(refused);
    expect(refused.stderr).toMatch(/^interlend act: [^\n]+\n$/);
    expect(refused.stderr).toContain("data.itemIds[1]: duplicate item id 'ITEM\\x1b[31m\\x0aFAKE'");
  });
});
