/**
 * Retrying safely (issue 7, item 9): every command that sends something takes `--command-id`, shows
 * it, and answers a resend with the first result instead of doing it twice. A JSON file may start
 * with a UTF-8 byte order mark.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

interface Submitted {
  requestId: string;
  commandId: string;
  duplicate: boolean;
  state: string;
}
interface Acted extends Submitted {
  events: string[];
}

const eventCount = (ws: Workspace): number => ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get() as number);

async function withDirectory(): Promise<Workspace> {
  const ws = workspace();
  await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
  return ws;
}

describe('submit --command-id', () => {
  it('sent twice makes one request: the second answer is the first one, marked as such', async () => {
    const ws = await withDirectory();
    const file = ws.writeJson('request.json', sampleRequest());

    const first = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', file, '--command-id', 'lib1-2026-0001');
    const events = eventCount(ws);
    const again = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', file, '--command-id', 'lib1-2026-0001');
    const text = await ws.run('submit', '--as', 'LIB1', '--file', file, '--command-id', 'lib1-2026-0001');

    expect(first).toMatchObject({ commandId: 'lib1-2026-0001', duplicate: false, state: 'networkCheck' });
    expect(again).toMatchObject({ requestId: first.requestId, commandId: 'lib1-2026-0001', duplicate: true, state: 'networkCheck' });
    expect(text).toEqual({
      code: 0,
      stdout: `${first.requestId} networkCheck\nallowed now: fillLocally, notAvailableLocally, amend, cancel, close\ncommand id: lib1-2026-0001 (already applied: this is the first result)\n`,
      stderr: '',
    });
    expect(eventCount(ws)).toBe(events);
    const { requests } = await ws.json<{ requests: { requestId: string }[] }>('requests');
    expect(requests.map((r) => r.requestId)).toEqual([first.requestId]);
  });

  it('chosen by two libraries alike makes two requests, one each', async () => {
    const ws = await withDirectory();
    const file = ws.writeJson('request.json', sampleRequest());

    const lib1 = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', file, '--command-id', '1');
    const lib2 = await ws.json<Submitted>('submit', '--as', 'LIB2', '--file', file, '--command-id', '1');

    expect([lib1.duplicate, lib2.duplicate]).toEqual([false, false]);
    expect(lib2.requestId).not.toBe(lib1.requestId);
  });

  it('is made when not given, and shown', async () => {
    const ws = await withDirectory();
    const file = ws.writeJson('request.json', sampleRequest());

    const a = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', file);
    const b = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', file);

    expect(a.commandId).toMatch(/\S/);
    expect(b.commandId).not.toBe(a.commandId);
    expect(b.requestId).not.toBe(a.requestId);
  });

  it('is refused when empty, too long or holding control characters, and nothing is sent', async () => {
    const ws = await withDirectory();
    const file = ws.writeJson('request.json', sampleRequest());
    const events = eventCount(ws);

    for (const [id, says] of [
      ['', '--command-id must have 1 to 128 characters'],
      ['x'.repeat(129), '--command-id must have 1 to 128 characters, not 129'],
      ['id\u001b[2J', '--command-id must not contain control or bidi characters'],
    ]) {
      const refused = await ws.run('submit', '--as', 'LIB1', '--file', file, '--command-id', id!);
      expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 2, stdout: '' });
      expect(refused.stderr).toContain(says);
    }
    expect(eventCount(ws)).toBe(events);
  });
});

describe('act --command-id', () => {
  it('sent twice applies the command once and answers the resend with the first result', async () => {
    const ws = await withDirectory();
    const { requestId } = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));

    const first = await ws.json<Acted>('act', requestId, 'notAvailableLocally', '--as', 'LIB1', '--command-id', 'nal-1');
    const events = eventCount(ws);
    const again = await ws.json<Acted>('act', requestId, 'notAvailableLocally', '--as', 'LIB1', '--command-id', 'nal-1');
    const text = await ws.run('act', requestId, 'notAvailableLocally', '--as', 'LIB1', '--command-id', 'nal-1');

    expect(first).toMatchObject({ commandId: 'nal-1', duplicate: false, state: 'withLender.requested', events: ['NotAvailableLocally', 'RotaBuilt'] });
    expect(again).toMatchObject({ commandId: 'nal-1', duplicate: true, state: 'withLender.requested', events: ['NotAvailableLocally', 'RotaBuilt'] });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`^${requestId} networkCheck -> withLender\\.requested \\(NotAvailableLocally, RotaBuilt\\)\\nallowed now: .+\\ncommand id: nal-1 \\(already applied: this is the first result\\)\\n$`),
    );
    expect(eventCount(ws)).toBe(events);
  });

  it('shows the command id it made', async () => {
    const ws = await withDirectory();
    const { requestId } = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
    const text = await ws.run('act', requestId, 'notAvailableLocally', '--as', 'LIB1');
    expect(text.stdout).toMatch(/\ncommand id: \S+\n$/);
    expect(text.stdout).not.toContain('already applied');
  });

  it('refuses a command id already used on the request for another command, naming it, and writes nothing', async () => {
    const ws = await withDirectory();
    const { requestId } = await ws.json<Submitted>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()), '--command-id', 'c-1');
    const events = eventCount(ws);

    const refused = await ws.run('act', requestId, 'cancel', '--as', 'LIB1', '--data', '{"reason":"no longer needed"}', '--command-id', 'c-1');

    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 1, stdout: '' });
    expect(refused.stderr).toContain(`command id 'c-1' was already used on request ${requestId} for 'submit' by LIB1`);
    expect(eventCount(ws)).toBe(events);
    expect((await ws.json<{ state: string }>('act', requestId, '--allowed')).state).toBe('networkCheck');
  });
});

describe('directory import --command-id', () => {
  it('sent twice stores the directory once', async () => {
    const ws = workspace();
    const file = ws.writeJson('directory.json', sampleDirectoryJson());
    const imports = () => ws.sql((db) => db.prepare("SELECT COUNT(*) FROM events WHERE stream_id = 'directory'").pluck().get());

    const first = await ws.json('directory', 'import', file, '--command-id', 'dir-2026-01');
    const again = await ws.run('directory', 'import', file, '--command-id', 'dir-2026-01');

    expect(first).toMatchObject({ imported: 8, commandId: 'dir-2026-01', duplicate: false });
    expect(again).toEqual({ code: 0, stdout: `Imported 8 libraries into ${ws.dbPath}\ncommand id: dir-2026-01 (already applied: this is the first result)\n`, stderr: '' });
    expect(imports()).toBe(1);
    expect(await ws.json('directory', 'import', file, '--command-id', 'dir-2026-02')).toMatchObject({ duplicate: false });
    expect(imports()).toBe(2);
  });
});

describe('a JSON file with a UTF-8 byte order mark', () => {
  it('is read as the JSON after the mark, for a directory and for a request', async () => {
    const ws = workspace();
    const withBom = (name: string, value: unknown) => {
      writeFileSync(path.join(ws.dir, name), `\ufeff${JSON.stringify(value, null, 2)}`, 'utf8');
      return name;
    };

    expect(await ws.json('directory', 'import', withBom('directory.json', sampleDirectoryJson()))).toMatchObject({ imported: 8 });
    expect(await ws.json('submit', '--as', 'LIB1', '--file', withBom('request.json', sampleRequest()))).toMatchObject({ state: 'networkCheck' });
  });
});
