/**
 * A log written before versioned events (schema version 1, commit 2281547) still folds, replays,
 * rebuilds, verifies and answers `history` (docs/events.md). The fixture is a copy of
 * packages/ill/src/__fixtures__/v1-log.db (scripts/make-fixture-v1-log.sh); the states beside it
 * were recorded by folding it with that commit's own workflow (scripts/v1-fixture-states.js).
 * The stored file is never opened in place: every test works on a copy in a temporary directory.
 */
import { fold, type StoredEvent } from '@interlend/engine';
import { illRequestWorkflow, type Closure, type IllContext, type RotaEntryState } from '@interlend/ill';
import Database from 'better-sqlite3';
import { copyFileSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { removeWorkspaces, workspace, type Workspace } from './__tests__/cliHarness';

const FIXTURES = path.resolve(__dirname, '../../../../packages/ill/src/__fixtures__');
/** The log digest `audit verify` printed when the fixture was written: the stored bytes are untouched. */
const FIXTURE_LOG_DIGEST = 'd2a7e43282c1af5694959cc4c4f23447ed88168ff7eac950746075da9f84df13';
/** The walkthrough's request left with its first lender (LIB002, preferred after LIB017, which does not lend). */
const OPEN_REQUEST = '2499d571-a1cc-5a87-9071-6eba0cfe87cb';

interface Recorded {
  state: string;
  revision: number;
  context: IllContext;
}
const recorded = (JSON.parse(readFileSync(path.join(FIXTURES, 'v1-log.states.json'), 'utf8')) as { requests: Record<string, Recorded> }).requests;

interface HistoryJson {
  events: { revision: number; type: string; stateBefore: string; stateAfter: string; data: Record<string, unknown> }[];
  state: string;
  context: IllContext;
}

function fixtureCopy(): Workspace {
  const ws = workspace();
  copyFileSync(path.join(FIXTURES, 'v1-log.db'), ws.dbPath);
  return ws;
}

/** The stored events of every request, straight from the file (no interlend code between). */
function storedRequests(file: string): Map<string, StoredEvent[]> {
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare('SELECT stream_id, revision, position, event_id, type, data, metadata FROM events ORDER BY position').all() as { stream_id: string; revision: number; position: number; event_id: string; type: string; data: string; metadata: string }[];
    const streams = new Map<string, StoredEvent[]>();
    for (const r of rows) {
      const metadata = JSON.parse(r.metadata) as StoredEvent['metadata'];
      if (metadata.workflow !== illRequestWorkflow.name) continue;
      const events = streams.get(r.stream_id) ?? [];
      events.push({ id: r.event_id, streamId: r.stream_id, revision: r.revision, position: r.position, type: r.type, data: JSON.parse(r.data), metadata });
      streams.set(r.stream_id, events);
    }
    return streams;
  } finally {
    db.close();
  }
}

/**
 * A context recorded at version 1, in today's shape. Only what RotaBuilt version 2 made the
 * directory's may differ (docs/events.md): the rota keeps its candidates (a candidate's reason only
 * where the borrower preferred it or it is a lender of last resort) and, of the skipped libraries,
 * those the borrower preferred; the borrower's closures moved from its rota entry to
 * `borrowerClosures`. Everything else must be equal as recorded.
 */
function inTodaysShape(context: IllContext): IllContext {
  const preferred = context.preferredLenders;
  const borrowerEntry = context.rota.find((e) => e.status === 'skipped' && e.reason === 'is the borrower');
  const rota: RotaEntryState[] = context.rota
    .filter((e) => e.status === 'candidate' || preferred.includes(e.library))
    .map((e, i): RotaEntryState => {
      if (e.status === 'skipped') return { position: i + 1, library: e.library, status: e.status, reason: e.reason, requestedAt: e.requestedAt, answeredAt: e.answeredAt, lastAnswer: e.lastAnswer, outcome: e.outcome, leftAt: e.leftAt };
      const { reason, ...rest } = e;
      const kept = preferred.includes(e.library) ? 'preferred by borrower' : e.lastResort ? 'lender of last resort' : null;
      expect(kept === null || kept === reason).toBe(true);
      return { ...rest, ...(kept ? { reason: kept } : {}) };
    });
  const borrowerClosures: Closure[] = context.rota.length ? (borrowerEntry?.closures ?? []) : [];
  return { ...context, rota, borrowerClosures };
}

/**
 * The state a request folds to now: as recorded, except that a wrong item returned and checked in
 * (stored as `completed`) ends `wrongItemReturned` since issue 11 (item 6): the stored stateAfter
 * is a recorded fact; the fold decides the state now.
 */
function stateNow(then: Recorded, events: readonly StoredEvent[]): string {
  return then.state === 'completed' && events.some((e) => e.type === 'WrongItemReported') ? 'wrongItemReturned' : then.state;
}

afterEach(() => removeWorkspaces());

describe('a log written before versioned events (v1 fixture)', () => {
  it('folds every request to the state recorded when the fixture was written', () => {
    const ws = fixtureCopy();
    const streams = storedRequests(ws.dbPath);
    expect([...streams.keys()].sort()).toEqual(Object.keys(recorded).sort());
    expect(streams.size).toBe(45);
    for (const [id, events] of streams) {
      const then = recorded[id]!;
      const now = fold(illRequestWorkflow, id, events);
      expect({ id, state: now.stateName, revision: now.revision }).toEqual({ id, state: stateNow(then, events), revision: then.revision });
      const wrongItemReportedAt = events.find((e) => e.type === 'WrongItemReported')?.metadata.time ?? null;
      // Lender clocks (issue 11, item 1) add context the fixture predates: none fell due in it.
      const { supplyBy: _s, cancelAnswerBy: _c, aging, ...folded } = now.snapshot.context;
      expect(aging).toBeNull();
      expect(folded).toEqual({ ...inTodaysShape(then.context), wrongItemReportedAt });
    }
  });

  it('holds RotaBuilt events at version 1 with every library, and events that store their stateBefore', () => {
    const ws = fixtureCopy();
    const events = [...storedRequests(ws.dbPath).values()].flat();
    const rotas = events.filter((e) => e.type === 'RotaBuilt');
    expect(rotas.length).toBeGreaterThan(30);
    expect(rotas.every((e) => e.metadata.v === undefined && Array.isArray(e.data.entries) && (e.data.entries as unknown[]).length === 24)).toBe(true);
    expect(events.every((e) => typeof e.metadata.stateBefore === 'string')).toBe(true);
  });

  it('answers history for every request: today’s shapes, the stored states before, the recorded state', async () => {
    const ws = fixtureCopy();
    const streams = storedRequests(ws.dbPath);
    expect([...streams.values()].filter((events) => stateNow(recorded[events[0]!.streamId]!, events) === 'wrongItemReturned')).toHaveLength(1);
    for (const [id, then] of Object.entries(recorded)) {
      const history = await ws.json<HistoryJson>('history', id);
      expect(history.state).toBe(stateNow(then, streams.get(id)!));
      expect(history.events).toHaveLength(then.revision + 1);
      expect(history.events[0]!.stateBefore).toBe('new');
      history.events.slice(1).forEach((e, i) => expect(e.stateBefore).toBe(history.events[i]!.stateAfter));
      const rota = history.events.find((e) => e.type === 'RotaBuilt');
      if (rota) expect(rota.data).toEqual({ candidates: expect.any(Array), ...(rota.data.skipped ? { skipped: expect.any(Array) } : {}), ...(rota.data.borrowerClosures ? { borrowerClosures: expect.any(Array) } : {}) });
    }
    const text = await ws.run('history', OPEN_REQUEST);
    expect(text.stdout).toMatch(/rota: 1 LIB002, /);
    // An upcast version 1 event keeps every skipped library it stored (the fold keeps the preferred ones).
    expect(text.stdout).toMatch(/skipped: does not lend: LIB017 LIB007; .*is the borrower: LIB005/);
  });

  it('rebuilds its read models to exactly what was stored, and its hash chains verify over the stored bytes', async () => {
    const ws = fixtureCopy();
    expect((await ws.run('rebuild', '--verify')).code).toBe(0);
    expect((await ws.run('rebuild')).code).toBe(0);
    expect((await ws.run('rebuild', '--verify')).code).toBe(0);
    const audit = await ws.run('audit', 'verify', '--json');
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout)).toMatchObject({ ok: true, failures: [], logDigest: FIXTURE_LOG_DIGEST });
  });

  it('goes on with new events after the old ones: versions mix in one stream, and everything still verifies', async () => {
    const ws = fixtureCopy();
    expect((await ws.run('act', OPEN_REQUEST, 'willSupply', '--as', 'LIB002')).code).toBe(0);
    const history = await ws.json<HistoryJson>('history', OPEN_REQUEST);
    expect(history.state).toBe('withLender.willSupply');
    const last = history.events.at(-1)!;
    expect([last.type, last.stateBefore, last.stateAfter]).toEqual(['WillSupplyAnswered', 'withLender.requested', 'withLender.willSupply']);
    const stored = storedRequests(ws.dbPath).get(OPEN_REQUEST)!.at(-1)!;
    expect(stored.metadata).toMatchObject({ v: 1, stateAfter: 'withLender.willSupply' });
    expect(stored.metadata.stateBefore).toBeUndefined();
    expect((await ws.run('rebuild', '--verify')).code).toBe(0);
    expect((await ws.run('audit', 'verify')).code).toBe(0);
  });
});
