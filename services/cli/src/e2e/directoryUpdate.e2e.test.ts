/**
 * `interlend directory update CODE --file F` and `interlend directory history CODE` (issue 11,
 * item 8): one library's profile changes as an event; requests already under way keep the terms
 * their rota recorded, new rotas use the new profile; the history shows what changed when.
 */
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

interface RequestJson {
  state: string;
  context: { lender: string | null; lenderRespondBy: string | null; rota: { library: string; daysToRespond?: number }[] } | null;
}

const directoryEvents = (ws: Workspace): string[] => ws.sql((db) => db.prepare("SELECT type FROM events WHERE stream_id = 'directory' ORDER BY revision").pluck().all() as string[]);

async function imported(): Promise<Workspace> {
  const ws = workspace();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  return ws;
}

/** A loan request of LIB1's, asked of LIB3 first (LIB1's preferred lender): its id and `history --json`. */
async function requestAskingLib3(ws: Workspace): Promise<{ id: string; request: RequestJson }> {
  const { requestId: id } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest({ serviceType: 'Loan' })));
  await ws.json('act', id, 'notAvailableLocally', '--as', 'LIB1', '--data', JSON.stringify({ preferredLenders: ['LIB3'] }));
  return { id, request: await ws.json<RequestJson>('history', id) };
}

describe('directory update', () => {
  it("given a request under way at LIB3, when LIB3's days to respond to a loan go from 2 to 8, then that request keeps its deadline and a new request gets the new terms", async () => {
    const ws = await imported();
    const { id, request: before } = await requestAskingLib3(ws);
    expect(before.context).toMatchObject({ lender: 'LIB3', rota: expect.arrayContaining([expect.objectContaining({ library: 'LIB3', daysToRespond: 2 })]) });

    const updated = await ws.json('directory', 'update', 'LIB3', '--file', ws.writeJson('lib3.json', { daysToRespond: { loan: 8 } }));
    expect(updated).toMatchObject({ code: 'LIB3', duplicate: false, written: true, changes: [{ field: 'daysToRespond.loan', from: 2, to: 8 }] });

    const sameRequest = await ws.json<RequestJson>('history', id);
    expect(sameRequest.context!.lenderRespondBy).toBe(before.context!.lenderRespondBy);
    expect(sameRequest.context!.rota.find((e) => e.library === 'LIB3')?.daysToRespond).toBe(2);

    const { request: after } = await requestAskingLib3(ws);
    expect(after.context!.rota.find((e) => e.library === 'LIB3')?.daysToRespond).toBe(8);
    expect(Date.parse(after.context!.lenderRespondBy!)).toBeGreaterThan(Date.parse(before.context!.lenderRespondBy!) + 5 * 86_400_000);

    // The log with a LibraryUpdated in it still rebuilds and verifies.
    expect((await ws.run('rebuild', '--verify')).code).toBe(0);
    expect((await ws.run('audit', 'verify')).code).toBe(0);
  });

  it('prints what changed, and the library list shows the new profile', async () => {
    const ws = await imported();
    const result = await ws.run('directory', 'update', 'LIB3', '--file', ws.writeJson('lib3.json', { lendingPolicy: 'lastResort', contact: { email: 'ill@lib3.example.org' }, closures: [{ from: '2027-01-25', to: '2027-01-29', reason: 'moving' }] }));

    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('Updated LIB3 in ');
    expect(result.stdout).toContain('  lendingPolicy: lends -> lastResort\n');
    expect(result.stdout).toContain('  contact.email: (none) -> ill@lib3.example.org\n');
    expect(result.stdout).toContain('  closures: 2026-01-07..2026-01-08 (staff training) -> 2027-01-25..2027-01-29 (moving)\n');
    expect(result.stdout).toMatch(/command id: \S+\n$/);
    const { libraries } = await ws.json<{ libraries: { code: string; lendingPolicy: string; contact?: unknown }[] }>('directory', 'list');
    expect(libraries.find((l) => l.code === 'LIB3')).toMatchObject({ lendingPolicy: 'lastResort', contact: { email: 'ill@lib3.example.org' } });
  });

  it('with --replace takes the file as the whole profile', async () => {
    const ws = await imported();
    const { closures: _c, daysToRespond: _d, ...profile } = sampleDirectoryJson().libraries[2]!;
    const updated = await ws.json<{ changes: { field: string }[] }>('directory', 'update', 'LIB3', '--replace', '--file', ws.writeJson('lib3.json', profile));
    expect(updated.changes.map((c) => c.field)).toEqual(['daysToRespond.loan', 'daysToRespond.copy', 'closures']);
  });

  it('sent twice with one --command-id, stores the update once', async () => {
    const ws = await imported();
    const file = ws.writeJson('lib3.json', { maxFees: 20 });
    await ws.json('directory', 'update', 'LIB3', '--file', file, '--command-id', 'lib3-fees');
    const again = await ws.run('directory', 'update', 'LIB3', '--file', file, '--command-id', 'lib3-fees');

    expect(again.stdout).toContain('command id: lib3-fees (already applied: this is the first result)');
    expect(directoryEvents(ws)).toEqual(['DirectoryImported', 'LibraryUpdated']);
  });

  it('writes nothing when the file changes nothing', async () => {
    const ws = await imported();
    const result = await ws.run('directory', 'update', 'LIB3', '--file', ws.writeJson('lib3.json', { maxFees: 10 }));
    expect(result.stdout).toBe(`LIB3 is unchanged in ${ws.dbPath}: the file matches its profile, nothing was written\n`);
    expect(directoryEvents(ws)).toEqual(['DirectoryImported']);
  });

  it.each([
    ['an unknown library', ['NOPE', '--file', 'x.json'], { maxFees: 1 }, 1, "no library 'NOPE' in the directory"],
    ['a closure that ends before it starts', ['LIB3', '--file', 'x.json'], { closures: [{ from: '2027-02-10', to: '2027-02-01', reason: 'move' }] }, 1, 'closures[0].to: must not be before from'],
    ['two bad fields', ['LIB3', '--file', 'x.json'], { maxFees: -1, daysToRespond: { loan: 3 } }, 1, 'daysToRespond.loan: must be one of 1, 2, 4, 8, 12, 16, 20 (business days); maxFees: must be a number >= 0'],
    ['no --file', ['LIB3'], {}, 2, 'directory update needs --file'],
    ['no code', [], {}, 2, "directory update needs the library's code"],
  ])('refuses %s with one clear line, and writes nothing', async (_name, args, file, code, message) => {
    const ws = await imported();
    ws.writeJson('x.json', file);
    const result = await ws.run('directory', 'update', ...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
    expect(result.stderr).toContain(message);
    expect(directoryEvents(ws)).toEqual(['DirectoryImported']);
  });
  it("'directory list --json' can be imported again as it is: the same directory, updates included, and the history shows no change", async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', { ...sampleDirectoryJson(), maxLenders: 5 }));
    await ws.json('directory', 'update', 'LIB3', '--file', ws.writeJson('lib3.json', { maxFees: 20 }));
    const listed = await ws.json<Record<string, unknown>>('directory', 'list');

    await ws.json('directory', 'import', ws.writeJson('current.json', listed));

    expect(listed.maxLenders).toBe(5);
    expect(await ws.json('directory', 'list')).toEqual(listed);
    expect(directoryEvents(ws)).toEqual(['DirectoryImported', 'LibraryUpdated', 'DirectoryImported']);
    expect((await ws.json<{ changes: unknown[] }>('directory', 'history', 'LIB3')).changes).toHaveLength(2);
  });
});

describe('directory history', () => {
  it('shows the import that added the library and each change, with time, actor and old -> new', async () => {
    const ws = await imported();
    await ws.json('directory', 'update', 'LIB3', '--file', ws.writeJson('a.json', { daysToRespond: { loan: 8 } }), '--command-id', 'slower-lib3');
    await ws.json('directory', 'update', 'LIB4', '--file', ws.writeJson('b.json', { maxFees: 99 }));

    const json = await ws.json<{ code: string; changes: { event: string; kind: string; actor: { id: string }; commandId?: string; changes: unknown[] }[] }>('directory', 'history', 'LIB3');
    expect(json.changes.map((c) => [c.event, c.kind])).toEqual([
      ['DirectoryImported', 'added'],
      ['LibraryUpdated', 'changed'],
    ]);
    expect(json.changes[1]).toMatchObject({ actor: { id: 'hub', role: 'hub' }, commandId: 'slower-lib3', changes: [{ field: 'daysToRespond.loan', from: 2, to: 8 }] });

    const text = await ws.run('directory', 'history', 'LIB3');
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^History of LIB3 in .*:\n\S+Z {2}added by hub \(hub\), directory import/);
    expect(text.stdout).toContain('    name: Library 3\n');
    expect(text.stdout).toMatch(/\S+Z {2}changed by hub \(hub\), directory update \(command id slower-lib3\)\n {4}daysToRespond\.loan: 2 -> 8\n$/);
  });

  it('refuses a library that never was in the directory', async () => {
    const ws = await imported();
    const result = await ws.run('directory', 'history', 'NOPE');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no library 'NOPE' in the directory");
  });
});
