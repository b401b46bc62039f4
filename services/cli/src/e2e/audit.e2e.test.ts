/**
 * `interlend audit verify` and the chain line of `history`, end to end: an event edited in the
 * database file is named, by request, revision, position, id and type; the check opens the file
 * read-only and changes nothing; an anchor taken earlier catches what the chain alone cannot.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { illRequestWorkflow } from '@interlend/ill';
import { removeWorkspaces, requireBuiltBinary, workspace, BIN, type Workspace } from './__tests__/cliHarness';

interface Failure {
  streamId: string;
  revision: number;
  position: number;
  eventId: string;
  type: string;
  problem: string;
  message: string;
  description: string;
}
interface AuditJson {
  ok: boolean;
  events: number;
  streams: number;
  headPosition: number;
  logDigest: string | null;
  failures: Failure[];
  heads: { streamId: string; revision: number; hash: string; verified: boolean }[];
}
interface Target {
  streamId: string;
  revision: number;
  position: number;
  id: string;
  type: string;
}

afterAll(removeWorkspaces);

let simulated: string;
beforeAll(async () => {
  const ws = workspace();
  expect((await ws.run('simulate', '--requests', '12', '--seed', '9')).code).toBe(0);
  simulated = ws.dbPath;
});

function copy(): Workspace {
  const ws = workspace();
  ws.copyDatabaseFrom(simulated);
  return ws;
}

/** The event at revision 3 of a request that has one. */
const eventAtRevision3 = (ws: Workspace): Target =>
  ws.sql(
    (db) =>
      db
        .prepare("SELECT stream_id AS streamId, revision, position, event_id AS id, type FROM events WHERE revision = 3 AND json_extract(metadata, '$.workflow') = ? ORDER BY position LIMIT 1")
        .get(illRequestWorkflow.name) as Target,
  );

const streamCount = (ws: Workspace): number => ws.sql((db) => db.prepare('SELECT count(DISTINCT stream_id) FROM events').pluck().get() as number);

/** Runs `audit verify` and parses its JSON, whatever the exit code. */
async function audit(ws: Workspace, ...args: string[]): Promise<{ code: number; json: AuditJson }> {
  const result = await ws.run('audit', 'verify', ...args, '--json');
  expect(result.stderr).toBe('');
  return { code: result.code, json: JSON.parse(result.stdout) as AuditJson };
}

describe('interlend audit verify', () => {
  it('verifies an untouched database: exit 0, every request, the head of every stream and a log digest, and no byte of the file changed', async () => {
    const ws = copy();
    const bytes = readFileSync(ws.dbPath);
    const mtime = statSync(ws.dbPath).mtimeMs;
    const streams = streamCount(ws);
    const text = await ws.run('audit', 'verify');
    expect(text).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^Verified \\d+ events in ${streams} streams: every hash chain is intact and the log is in order\\.\nLog head: position \\d+, digest [0-9a-f]{64}\n`)), stderr: '' });
    const { code, json } = await audit(ws);
    expect(code).toBe(0);
    expect(json).toMatchObject({ ok: true, streams, failures: [], logDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(json.heads.every((h) => h.verified && /^[0-9a-f]{64}$/.test(h.hash))).toBe(true);
    expect(json.events).toBe(json.headPosition);
    expect(readFileSync(ws.dbPath).equals(bytes)).toBe(true);
    expect(statSync(ws.dbPath).mtimeMs).toBe(mtime);
  });

  it('names an event whose stored data was changed with SQL, exits 1, and history shows that chain broken and the others verified', async () => {
    const ws = copy();
    const target = eventAtRevision3(ws);
    // A tamperer drops the append-only triggers (schema 4) first.
    ws.sql((db) => db.exec('DROP TRIGGER events_no_update').prepare("UPDATE events SET data = json_set(data, '$.note', 'edited') WHERE position = ?").run(target.position));

    const expected = `request ${target.streamId}: event at revision 3 (position ${target.position}, id ${target.id}, ${target.type}) does not match its hash: its content was changed after it was written`;
    const text = await ws.run('audit', 'verify');
    expect({ code: text.code, stderr: text.stderr, lines: text.stdout.split('\n') }).toEqual({
      code: 1,
      stderr: '',
      lines: [expected, expect.stringMatching(new RegExp(`^1 of ${streamCount(ws)} streams does not verify \\(\\d+ events read\\)\\.$`)), ''],
    });
    const { code, json } = await audit(ws);
    expect(code).toBe(1);
    expect(json.failures).toEqual([{ streamId: target.streamId, revision: 3, position: target.position, eventId: target.id, type: target.type, problem: 'content', message: expect.any(String), description: expected }]);

    const one = await ws.run('audit', 'verify', '--request', target.streamId);
    expect(one.code).toBe(1);
    expect(one.stdout.split('\n')[0]).toBe(expected);
    const other = json.heads.find((h) => h.streamId !== target.streamId && h.verified)!;
    expect((await ws.run('audit', 'verify', '--request', other.streamId)).code).toBe(0);

    const broken = await ws.run('history', target.streamId);
    expect(broken.code).toBe(0);
    expect(broken.stdout).toContain(`\nchain: BROKEN at revision 3: event at revision 3 (position ${target.position}, id ${target.id}, ${target.type}) does not match its hash`);
    const brokenJson = await ws.json<{ chain: { verified: boolean; failure: { revision: number; problem: string } } }>('history', target.streamId);
    expect(brokenJson.chain).toMatchObject({ verified: false, failure: { revision: 3, problem: 'content' } });
    const fine = await ws.json<{ chain: { verified: boolean; events: number; headHash: string } }>('history', other.streamId);
    expect(fine.chain).toEqual({ verified: true, events: other.revision + 1, headHash: other.hash, failure: null });
    expect((await ws.run('history', other.streamId)).stdout).toContain(`\nchain: verified (${other.revision + 1} events, head hash ${other.hash.slice(0, 12)}…)\n`);
  });

  it('passes a request cut short by a careful forger, and fails it against an anchor taken before; refuses an anchor file that was changed', async () => {
    const ws = copy();
    const anchorFile = ws.writeJson('anchor.json', (await audit(ws)).json);
    const target = eventAtRevision3(ws);
    ws.sql((db) => {
      // The careful forger drops the append-only trigger (schema 4) and cuts the tail: the store keeps no other record of it.
      db.exec('DROP TRIGGER events_no_delete');
      db.prepare('DELETE FROM events WHERE stream_id = ? AND revision >= 3').run(target.streamId);
    });
    expect((await audit(ws)).code).toBe(0);
    const anchored = await audit(ws, '--anchor', anchorFile);
    expect(anchored.code).toBe(1);
    expect(anchored.json.failures).toMatchObject([{ streamId: target.streamId, revision: 2, problem: 'anchor', description: expect.stringContaining('events were removed from its end') }]);

    const forged = JSON.parse(readFileSync(`${ws.dir}/${anchorFile}`, 'utf8')) as AuditJson;
    forged.heads = forged.heads.filter((h) => h.streamId !== target.streamId);
    const result = await ws.run('audit', 'verify', '--anchor', ws.writeJson('forged.json', forged));
    expect(result).toEqual({ code: 1, stdout: '', stderr: expect.stringContaining('the anchor file was changed') });
  });

  it('refuses what it cannot do as usage errors: no subcommand, no database, an unknown request', async () => {
    const ws = copy();
    expect((await ws.run('audit')).code).toBe(2);
    expect(await ws.run('audit', 'verify', '--db', 'missing.db')).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining('no database at') });
    expect(await ws.run('audit', 'verify', '--request', 'REQ-NONE')).toEqual({ code: 2, stdout: '', stderr: expect.stringContaining("no request 'REQ-NONE'") });
  });
});

describe('the interlend binary', () => {
  beforeAll(requireBuiltBinary);

  it('exits 1 naming the edited event, and 0 on an untouched copy', () => {
    const ws = copy();
    expect(ws.bin(['audit', 'verify', '--db', ws.dbPath])).toMatchObject({ code: 0, stderr: '' });
    const target = eventAtRevision3(ws);
    ws.sql((db) => db.exec('DROP TRIGGER events_no_update').prepare("UPDATE events SET type = 'Forged' WHERE position = ?").run(target.position));
    const result = ws.bin(['audit', 'verify', '--db', ws.dbPath]);
    expect(result).toMatchObject({ code: 1, stderr: '' });
    expect(result.stdout).toContain(`request ${target.streamId}: event at revision 3 (position ${target.position}, id ${target.id}, Forged) does not match its hash`);
  });

  // Root reads any file whatever its mode; an unprivileged user shows a read-only directory for real.
  // That user must reach the checkout: not so when it lies under a directory only root may enter (mktemp -d).
  const AS_NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  const unprivileged =
    process.getuid?.() === 0 &&
    spawnSync('setpriv', ['--version']).status === 0 &&
    spawnSync('setpriv', [...AS_NOBODY, process.execPath, '-e', `require('node:fs').accessSync(${JSON.stringify(BIN)}, require('node:fs').constants.R_OK)`], { cwd: '/' }).status === 0;
  if (process.getuid?.() === 0 && !unprivileged) console.warn(`audit.e2e: the read-only directory check is skipped: no setpriv, or user 65534 cannot read ${BIN}`);
  (unprivileged ? it : it.skip)('verifies, as a user who may not write it, a database in a read-only directory with no -wal or -shm file', () => {
    const ws = copy();
    const target = eventAtRevision3(ws); // a connection that closes cleanly: no -wal or -shm left
    const streams = streamCount(ws);
    expect(readdirSync(ws.dir)).toEqual(['interlend.db']);
    chmodSync(ws.dbPath, 0o444);
    chmodSync(ws.dir, 0o555);
    try {
      const bytes = readFileSync(ws.dbPath);
      const run = (args: string[]) => spawnSync('setpriv', [...AS_NOBODY, process.execPath, BIN, ...args], { cwd: '/', encoding: 'utf8', timeout: 30_000 });
      const verified = run(['audit', 'verify', '--db', ws.dbPath]);
      expect({ code: verified.status, stderr: verified.stderr }).toEqual({ code: 0, stderr: '' });
      expect(verified.stdout).toMatch(new RegExp(`^Verified \\d+ events in ${streams} streams`));
      const history = run(['history', target.streamId, '--db', ws.dbPath]);
      expect({ code: history.status, stderr: history.stderr }).toEqual({ code: 0, stderr: '' });
      expect(history.stdout).toContain('chain: verified');
      expect(readFileSync(ws.dbPath).equals(bytes)).toBe(true);
      expect(readdirSync(ws.dir)).toEqual(['interlend.db']);
    } finally {
      chmodSync(ws.dir, 0o755);
      chmodSync(ws.dbPath, 0o644);
    }
  });
});
