/**
 * The CLI end to end: real SQLite files in a fresh temporary directory per test, commands run
 * in-process through `run()` (fast), and the real binary as a child process where the process
 * itself is the point (exit codes, stdout/stderr, the default database path, a crash).
 */
import { canonical, projectInMemory, type StoredEvent } from '@interlend/engine';
import { illProjections, illRequestWorkflow, queuesForState, QUEUE_TABLE, REQUEST_SUMMARIES_PROJECTION, REQUESTS_PROJECTION, TERMINAL_STATES } from '@interlend/ill';
import { sampleDirectoryJson, sampleRequest } from '@interlend/ill/testing';
import { openSqlite, SqliteReadModelStore } from '@interlend/store-sqlite';
import type Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { collect, exited, removeWorkspaces, requireBuiltBinary, sleep, workspace, type CliResult, type Workspace } from './__tests__/cliHarness';

// ---------------------------------------------------------------------------------------------
// The JSON documents the commands print (the parts these tests read)

interface SimulationJson {
  seed: number;
  requests: number;
  reRequests: number;
  finalStates: Record<string, number>;
  notTerminal: string[];
  unexpectedRefusals: unknown[];
  events: number;
  simulatedFrom: string;
  simulatedTo: string;
  elapsedMs: number;
}
interface RequestRow {
  requestId: string;
  state: string;
  borrower: string;
  lender: string | null;
}
interface RequestsJson {
  count: number;
  requests: RequestRow[];
}
interface HistoryEvent {
  position: number;
  revision: number;
  type: string;
  time: string;
  actor: { id: string; role: string };
  stateBefore: string;
  stateAfter: string;
  data: Record<string, unknown>;
}
interface RotaEntry {
  position: number;
  library: string;
  status: string;
}
interface HistoryJson {
  requestId: string;
  at: string | null;
  events: HistoryEvent[];
  state: string;
  context: { lender: string | null; current: number | null; rota: RotaEntry[]; lenderRespondBy: string | null } | null;
  laterEvents: number;
}
type Totals = { borrowing: Record<string, number>; lending: Record<string, number> };
interface QueuesJson {
  at: string;
  totals: Totals;
}
interface AllowedJson {
  state: string;
  allowed: string[];
}
interface TimersJson {
  pending: { streamId: string; name: string; at: string; key: string }[];
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A one-line error: the exit code, nothing on stdout, `interlend <command>: ...` on one line of stderr. */
function expectOneLineError(result: CliResult, code: number, ...mentions: string[]): void {
  expect({ code: result.code, stdout: result.stdout }).toEqual({ code, stdout: '' });
  expect(result.stderr).toMatch(/^interlend [a-z]+: [^\n]+\n$/);
  for (const text of mentions) expect(result.stderr).toContain(text);
}

const TURNAROUNDS = ['requestToShip', 'shipToReceipt', 'requestToReceipt'] as const;

const SIMULATION = ['simulate', '--requests', '60', '--seed', '4'];

/** The simulation summary without what differs between two runs of it. */
function withoutRunDetails({ elapsedMs: _elapsed, ...rest }: SimulationJson): Omit<SimulationJson, 'elapsedMs'> {
  return rest;
}

/** What each queue must hold, derived from request states through the state -> queue table (QUEUE_TABLE). */
function queueTotalsFor(states: readonly string[]): Totals {
  const totals: Totals = { borrowing: {}, lending: {} };
  for (const state of states) {
    const { borrowing, lending } = queuesForState(state);
    for (const queue of borrowing) totals.borrowing[queue] = (totals.borrowing[queue] ?? 0) + 1;
    for (const queue of lending) totals.lending[queue] = (totals.lending[queue] ?? 0) + 1;
  }
  return totals;
}

/** The SQL table holding a projection's documents (one pair of tables per projection, see sqliteReadModelStore.ts). */
function docsTable(db: Database.Database, projection: string): string {
  const tables = new SqliteReadModelStore(db).tableNames(projection);
  if (!tables) throw new Error(`projection '${projection}' has no tables`);
  return tables.docs;
}

const count = (states: readonly string[], which: (state: string) => boolean): number => states.filter(which).length;

/** Imports the sample directory and sends a request to the first lender of its rota: its id, that lender, the next candidate, its history. */
async function requestAtFirstLender(ws: Workspace): Promise<{ id: string; lender: string; next: string; history: HistoryJson }> {
  expect((await ws.run('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()))).code).toBe(0);
  const { requestId } = await ws.json<{ requestId: string }>('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
  expect(await ws.json<AllowedJson>('act', requestId, 'notAvailableLocally', '--as', 'LIB1')).toMatchObject({ state: 'withLender.requested' });
  const history = await ws.json<HistoryJson>('history', requestId);
  const candidates = history.context!.rota.filter((e) => e.status === 'candidate').sort((a, b) => a.position - b.position);
  return { id: requestId, lender: history.context!.lender!, next: candidates[1]!.library, history };
}

/** Every event in the log, from the store's own reader. */
async function readLog(dbPath: string): Promise<StoredEvent[]> {
  const handle = openSqlite(dbPath);
  try {
    const events: StoredEvent[] = [];
    for (let after = 0; ; ) {
      const batch = await handle.events.readAll({ after, maxCount: 5_000 });
      if (!batch.length) return events;
      events.push(...batch);
      after = batch[batch.length - 1]!.position;
    }
  } finally {
    await handle.close();
  }
}

// Simulations of 60 requests take a few seconds on a disk that syncs each commit; the crash test simulates 300.
jest.setTimeout(30_000);
afterAll(removeWorkspaces);

// ---------------------------------------------------------------------------------------------

describe('simulate', () => {
  it('gives the same summary for the same seed on two new databases, with every request at an end', async () => {
    const ws = workspace();
    const first = await ws.json<SimulationJson>(...SIMULATION, '--db', 'first.db');
    const second = await ws.json<SimulationJson>(...SIMULATION, '--db', 'second.db');

    // identical apart from the elapsed time: not even the database path is in it
    expect(withoutRunDetails(second)).toEqual(withoutRunDetails(first));
    expect(typeof first.elapsedMs).toBe('number');
    expect(first.notTerminal).toEqual([]);
    expect(first.unexpectedRefusals).toEqual([]);
    const ended = Object.values(first.finalStates).reduce((a, b) => a + b, 0);
    expect(ended).toBe(first.requests + first.reRequests);
    expect(first.requests).toBe(60);
    for (const state of Object.keys(first.finalStates)) expect(TERMINAL_STATES).toContain(state);
  });

  it('refuses a stray argument (a database path without --db) instead of simulating into the default database', async () => {
    const ws = workspace();
    const result = await ws.run('simulate', '--requests', '5', 'elsewhere.db');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unexpected argument 'elsewhere.db' (the database is --db PATH)");
    expect(existsSync(ws.dbPath)).toBe(false);
    expect(existsSync(path.join(ws.dir, 'elsewhere.db'))).toBe(false);
  });

  it('refuses a database that holds events, naming it and --reset, and starts over with --reset', async () => {
    const ws = workspace();
    const first = await ws.json<SimulationJson>('simulate', '--requests', '5', '--seed', '2');
    const eventsBefore = ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get());

    expectOneLineError(await ws.run('simulate', '--requests', '5', '--seed', '2'), 2, ws.dbPath, '--reset');
    expect(ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get())).toBe(eventsBefore);

    const again = await ws.json<SimulationJson>('simulate', '--requests', '5', '--seed', '2', '--reset');
    expect(withoutRunDetails(again)).toEqual(withoutRunDetails(first));
    expect(ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get())).toBe(eventsBefore);
  });
});

describe('directory', () => {
  it('imports a directory file and lists it', async () => {
    const ws = workspace();
    const imported = await ws.run('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
    expect(imported).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^Imported 8 libraries into ${ws.dbPath}\ncommand id: \\S+\n$`)), stderr: '' });

    const { libraries } = await ws.json<{ libraries: unknown[] }>('directory', 'list');
    expect(libraries).toMatchObject(sampleDirectoryJson().libraries);
    const table = await ws.run('directory', 'list');
    expect(table.stdout).toMatch(/^LIB3\s+ILL-LIB3\s+Library 3\s+yes\s+lends\s+2\/1\s+2026-01-07\.\.2026-01-08$/m);
  });

  it('refuses an invalid directory file, naming the field, and writes nothing', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
    const listed = await ws.json('directory', 'list');
    const directoryEvents = () => ws.sql((db) => db.prepare("SELECT COUNT(*) FROM events WHERE stream_id = 'directory'").pluck().get());
    const eventsBefore = directoryEvents();
    // LIB3 renamed (a change that would show in the list) and answering loans in 3 days (not an allowed value).
    const invalid = { libraries: sampleDirectoryJson().libraries.map((l, i) => (i === 2 ? { ...l, name: 'Renamed Library 3', daysToRespond: { loan: 3, copy: 1 } } : l)) };

    const refused = await ws.run('directory', 'import', ws.writeJson('invalid.json', invalid));

    expectOneLineError(refused, 1, 'invalid directory', 'libraries[2].daysToRespond.loan');
    expect(directoryEvents()).toBe(eventsBefore);
    expect(await ws.json('directory', 'list')).toEqual(listed);
  });
});

describe('submit and act', () => {
  it('submits a request from a file: prints its id and the state networkCheck', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));

    const submitted = await ws.run('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));

    expect(submitted.code).toBe(0);
    const [, id] = /^(\S+) networkCheck\nallowed now: fillLocally, notAvailableLocally, amend, cancel, close\ncommand id: \S+\n$/.exec(submitted.stdout) ?? [];
    expect(id).toBeDefined();
    const { requests } = await ws.json<RequestsJson>('requests');
    expect(requests).toEqual([expect.objectContaining({ requestId: id, state: 'networkCheck', borrower: 'LIB1', lender: null })]);
  });

  it('refuses invalid request data, naming data.maximumCost.amount, and writes nothing', async () => {
    const ws = workspace();
    await ws.json('directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()));
    await ws.json('submit', '--as', 'LIB1', '--file', ws.writeJson('request.json', sampleRequest()));
    const before = await ws.json<RequestsJson>('requests');
    const eventsBefore = ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get());

    const refused = await ws.run('submit', '--as', 'LIB1', '--file', ws.writeJson('bad.json', sampleRequest({ maximumCost: { amount: -1, currency: 'USD' } })));

    expectOneLineError(refused, 1, 'data.maximumCost.amount');
    expect(await ws.json<RequestsJson>('requests')).toEqual(before);
    expect(ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get())).toBe(eventsBefore);
  });

  it('takes a request from the network check through the lender the rota chose to completed', async () => {
    const ws = workspace();
    const { id, lender, history } = await requestAtFirstLender(ws);
    const rotaBuilt = history.events.find((e) => e.type === 'RotaBuilt')!;
    expect((rotaBuilt.data.candidates as { library: string }[])[0]?.library).toBe(lender);
    const dueDate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const shipment = JSON.stringify({ itemIds: ['ITEM-1'], dueDate, cost: { amount: 10, currency: 'USD' }, trackingId: 'TRK1', sentVia: 'courier' });

    const steps: [string[], string][] = [
      [['willSupply', '--as', lender], 'withLender.willSupply'],
      [['ship', '--as', lender, '--data', shipment], 'shipped'],
      [['receive', '--as', 'LIB1'], 'onLoan.received'],
      [['checkOutToPatron', '--as', 'LIB1'], 'onLoan.inUse'],
      [['shipReturn', '--as', 'LIB1'], 'returnShipped'],
      [['checkIn', '--as', lender], 'completed'],
    ];
    const reached: string[] = [];
    for (const [args] of steps) reached.push((await ws.json<AllowedJson>('act', id, ...args)).state);

    expect(reached).toEqual(steps.map(([, state]) => state));
    const done = await ws.run('act', id, '--allowed');
    expect(done).toEqual({ code: 0, stdout: `${id} is completed\nallowed now: none (it has ended)\n`, stderr: '' });
    const final = await ws.json<HistoryJson>('history', id);
    expect(final.state).toBe('completed');
    expect(final.events.find((e) => e.type === 'Shipped')?.data).toMatchObject({ lender, itemIds: ['ITEM-1'], dueDate, trackingId: 'TRK1' });
    expect((await ws.json<RequestsJson>('requests', '--state', 'completed')).requests.map((r) => r.requestId)).toEqual([id]);
  });

  it('lists the commands a request allows now', async () => {
    const ws = workspace();
    const { id } = await requestAtFirstLender(ws);

    const listed = await ws.json<AllowedJson>('act', id, '--allowed');
    const text = await ws.run('act', id, '--allowed');

    expect(listed.state).toBe('withLender.requested');
    expect(listed.allowed).toEqual(expect.arrayContaining(['willSupply', 'cannotSupply', 'ship', 'cancel']));
    expect(listed.allowed).not.toContain('receive');
    expect(text).toEqual({ code: 0, stdout: `${id} is withLender.requested\nallowed now: ${listed.allowed.join(', ')}\n`, stderr: '' });
  });

  it('refuses a command the state does not allow, naming the state and the commands it allows', async () => {
    const ws = workspace();
    const { id } = await requestAtFirstLender(ws);
    const { allowed } = await ws.json<AllowedJson>('act', id, '--allowed', '--as', 'LIB1');
    expect(allowed).toEqual(['amend', 'cancel']); // the borrower's, not the lender's or the timer's

    const refused = await ws.run('act', id, 'receive', '--as', 'LIB1');

    expectOneLineError(refused, 1, "'receive'", 'withLender.requested', `allowed now: ${allowed.join(', ')}`);
    expect((await ws.json<HistoryJson>('history', id)).events).toHaveLength(3);
  });

  it('refuses an answer from a library that is not the current lender, and writes nothing', async () => {
    const ws = workspace();
    const { id, lender, next } = await requestAtFirstLender(ws);
    const eventsBefore = ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get());

    const refused = await ws.run('act', id, 'willSupply', '--as', next);

    expectOneLineError(refused, 1, next, `only the current lender ${lender}`);
    expect(ws.sql((db) => db.prepare('SELECT COUNT(*) FROM events').pluck().get())).toBe(eventsBefore);
    expect((await ws.json<HistoryJson>('history', id)).state).toBe('withLender.requested');
  });

  it('refuses --data that is not JSON as a usage error', async () => {
    const ws = workspace();
    const { id, lender } = await requestAtFirstLender(ws);

    expectOneLineError(await ws.run('act', id, 'willSupply', '--as', lender, '--data', '{not json'), 2, '--data: not valid JSON');
    expect((await ws.json<HistoryJson>('history', id)).events).toHaveLength(3);
  });

  it('refuses an unknown request id in one line', async () => {
    const ws = workspace();
    await requestAtFirstLender(ws);

    expectOneLineError(await ws.run('act', 'no-such-request', '--allowed'), 2, "no request 'no-such-request'", ws.dbPath);
  });
});

describe('deadlines', () => {
  it("lists the lender's response deadline, fires it when due, and moves the request to the next lender", async () => {
    const ws = workspace();
    const { id, lender, next, history } = await requestAtFirstLender(ws);

    const { pending } = await ws.json<TimersJson>('timers', 'list');
    expect(pending).toEqual([expect.objectContaining({ streamId: id, name: 'lenderResponse', key: '1', at: history.context!.lenderRespondBy })]);
    expect((await ws.run('timers', 'list')).stdout).toMatch(new RegExp(`^\\S+ \\S+\\s+${id}\\s+lenderResponse\\s+1$`, 'm'));

    const fired = await ws.json<{ fired: number }>('timers', 'run', '--now', '2099-01-01T00:00:00Z');

    expect(fired.fired).toBe(1);
    const after = await ws.json<HistoryJson>('history', id);
    expect(after.events.at(-1)).toMatchObject({
      type: 'LenderTimedOut',
      actor: { id: 'system', role: 'system' },
      stateBefore: 'withLender.requested',
      stateAfter: 'withLender.requested',
      data: { lender, position: 1 },
    });
    expect(after.context).toMatchObject({ lender: next, current: 2 });
    expect((await ws.run('history', id)).stdout).toMatch(/LenderTimedOut\s+by system \(system\)/);
    expect((await ws.json<TimersJson>('timers', 'list')).pending).toEqual([expect.objectContaining({ streamId: id, name: 'lenderResponse', key: '2' })]);
    expect((await ws.json<RequestsJson>('requests')).requests[0]).toMatchObject({ requestId: id, lender: next });
  });
});

// ---------------------------------------------------------------------------------------------

describe('after a simulation', () => {
  /** One simulation, copied into each test's own workspace. */
  let simulated: { dbPath: string; summary: SimulationJson };
  beforeAll(async () => {
    const ws = workspace();
    simulated = { dbPath: ws.dbPath, summary: await ws.json<SimulationJson>(...SIMULATION) };
  });
  const copyOfSimulation = (): Workspace => {
    const ws = workspace();
    ws.copyDatabaseFrom(simulated.dbPath);
    return ws;
  };
  /** The request with the most events. */
  const longestHistory = async (ws: Workspace): Promise<HistoryJson> => {
    const { requests } = await ws.json<RequestsJson>('requests');
    const histories = await Promise.all(requests.map((r) => ws.json<HistoryJson>('history', r.requestId)));
    return histories.reduce((a, b) => (b.events.length > a.events.length ? b : a));
  };

  it('lists every request, and each state as many as the simulation ended there', async () => {
    const ws = copyOfSimulation();
    const { finalStates, requests, reRequests } = simulated.summary;

    const all = await ws.json<RequestsJson>('requests');

    expect(all.count).toBe(requests + reRequests);
    expect(new Set(all.requests.map((r) => r.requestId)).size).toBe(all.count);
    const byState: Record<string, number> = {};
    for (const r of all.requests) byState[r.state] = (byState[r.state] ?? 0) + 1;
    expect(byState).toEqual(finalStates);
    for (const [state, n] of Object.entries(finalStates)) {
      const only = await ws.json<RequestsJson>('requests', '--state', state);
      expect({ state, count: only.count, states: [...new Set(only.requests.map((r) => r.state))] }).toEqual({ state, count: n, states: [state] });
    }
    expectOneLineError(await ws.run('requests', '--state', 'nowhere'), 2, "unknown state 'nowhere'");
  });

  it("shows a request's history: every event with its number, log position, time, actor and states, then the state", async () => {
    const ws = copyOfSimulation();
    const history = await longestHistory(ws);

    const text = (await ws.run('history', history.requestId)).stdout.split('\n');

    expect(text[0]).toBe(`Request ${history.requestId}`);
    const lines = text.filter((l) => l.startsWith('#'));
    expect(lines).toHaveLength(history.events.length);
    history.events.forEach((e, i) => {
      const time = `${e.time.slice(0, 10)} ${e.time.slice(11, 16)}Z`;
      const states = e.stateBefore === e.stateAfter ? e.stateAfter : `${e.stateBefore} -> ${e.stateAfter}`;
      expect(lines[i]).toMatch(new RegExp(`^#${e.revision + 1}\\s+@${e.position}\\s+${time}\\s+${e.type}\\s+by ${e.actor.id} \\(${e.actor.role}\\)\\s+${states.replace(/\./g, '\\.')}$`));
    });
    expect(text.filter((l) => l !== '').at(-1)).toBe(`State: ${history.state}`);
    // The JSON: revisions 0..n-1 at rising log positions, each event starting where the previous one left off, ending in the state shown.
    expect(history.events.map((e) => e.revision)).toEqual(history.events.map((_, i) => i));
    history.events.slice(1).forEach((e, i) => expect(e.position).toBeGreaterThan(history.events[i]!.position));
    expect(history.events[0]!.stateBefore).toBe('new');
    history.events.slice(1).forEach((e, i) => expect(e.stateBefore).toBe(history.events[i]!.stateAfter));
    expect(history.events.at(-1)!.stateAfter).toBe(history.state);
    expect(TERMINAL_STATES).toContain(history.state);
  });

  it('shows a request as it stood at an earlier time: fewer events and the state it was in then', async () => {
    const ws = copyOfSimulation();
    const full = await longestHistory(ws);
    // A time between two events: the last event of the first half (events at the same instant stay together).
    const at = full.events[Math.floor(full.events.length / 2) - 1]!.time;
    const shown = full.events.filter((e) => e.time <= at);

    const then = await ws.json<HistoryJson>('history', full.requestId, '--at', at);
    const text = await ws.run('history', full.requestId, '--at', at);

    expect(shown.length).toBeLessThan(full.events.length);
    expect(then.at).toBe(at);
    expect(then.events).toEqual(shown);
    expect(then.state).toBe(shown.at(-1)!.stateAfter);
    expect(then.state).not.toBe(full.state);
    expect(then.laterEvents).toBe(full.events.length - shown.length);
    expect(text.stdout).toContain(`Request ${full.requestId} as it stood at ${at.slice(0, 10)} ${at.slice(11, 16)}Z`);
    expect(text.stdout).toContain(`State: ${then.state} (${then.laterEvents} later events not shown)`);
  });

  it('refuses history of an unknown request in one line', async () => {
    const ws = copyOfSimulation();

    expectOneLineError(await ws.run('history', 'no-such-request'), 2, "no request 'no-such-request'", ws.dbPath);
  });

  it('has queue totals that agree with the request states through the state -> queue table', async () => {
    const ws = copyOfSimulation();
    const { requests } = await ws.json<RequestsJson>('requests');
    const states = requests.map((r) => r.state);

    const { totals } = await ws.json<QueuesJson>('queues');

    // Every state is in the table and puts its request in a borrowing queue: no request slips out of every queue.
    for (const state of new Set(states)) expect({ state, borrowing: queuesForState(state).borrowing.length > 0 }).toEqual({ state, borrowing: true });
    expect(totals).toEqual(queueTotalsFor(states));
    // Read backwards: each borrowing queue holds exactly the requests whose state the table sends there.
    for (const [queue, n] of Object.entries(totals.borrowing)) {
      const from = Object.entries(QUEUE_TABLE).filter(([, q]) => (q.borrowing as readonly string[]).includes(queue)).map(([state]) => state);
      expect({ queue, n }).toEqual({ queue, n: count(states, (s) => from.includes(s)) });
    }
    expect(totals.borrowing.closed).toBe(count(states, (s) => s !== 'unfilled'));
  });

  it('shows the queues as they stood in the middle of the simulated period, agreeing with the states then', async () => {
    const ws = copyOfSimulation();
    const { simulatedFrom, simulatedTo } = simulated.summary;
    const at = new Date((Date.parse(simulatedFrom) + Date.parse(simulatedTo)) / 2).toISOString();
    const { requests } = await ws.json<RequestsJson>('requests');
    const then = await Promise.all(requests.map((r) => ws.json<HistoryJson>('history', r.requestId, '--at', at)));
    const states = then.filter((h) => h.events.length > 0).map((h) => h.state);

    const queues = await ws.json<QueuesJson>('queues', '--at', at);

    expect(queues.at).toBe(at);
    const open = Object.entries(queues.totals.borrowing).filter(([queue]) => queue !== 'closed');
    expect(open.length).toBeGreaterThan(0);
    expect(Object.keys(queues.totals.lending).length).toBeGreaterThan(0);
    // 'overdue', 'expiring today' and the aging queues also depend on the time asked: bounded by the states; every other queue exactly as the table says.
    const expected = queueTotalsFor(states);
    const { overdue: overdueB = 0, 'not received': notReceived = 0, 'returned / complete?': returnedComplete = 0, ...borrowing } = queues.totals.borrowing;
    const { overdue: overdueL = 0, 'expiring today': expiring = 0, ...lending } = queues.totals.lending;
    const { overdue: _b, ...expectedBorrowing } = expected.borrowing;
    const { overdue: _l, 'expiring today': _e, ...expectedLending } = expected.lending;
    expect(borrowing).toEqual(expectedBorrowing);
    expect(lending).toEqual(expectedLending);
    const onLoan = count(states, (s) => s.startsWith('onLoan.'));
    for (const overdue of [overdueB, overdueL]) {
      expect(overdue).toBeGreaterThanOrEqual(count(states, (s) => s === 'onLoan.overdue'));
      expect(overdue).toBeLessThanOrEqual(onLoan);
    }
    expect(expiring).toBeLessThanOrEqual(count(states, (s) => s === 'withLender.requested'));
    expect(notReceived).toBeLessThanOrEqual(count(states, (s) => s === 'shipped'));
    expect(returnedComplete).toBeLessThanOrEqual(count(states, (s) => s === 'returnShipped'));
  });

  it('verifies the read models against a rebuild from zero, finds a tampered document by key, and rebuild restores it', async () => {
    const ws = copyOfSimulation();
    expect((await ws.run('rebuild', '--verify')).code).toBe(0);
    const { requests } = await ws.json<RequestsJson>('requests');
    const victim = requests.find((r) => r.state === 'completed')!;
    ws.sql((db) =>
      db.prepare(`UPDATE ${docsTable(db, REQUESTS_PROJECTION)} SET doc = json_set(doc, '$.state', 'lost') WHERE key = ?`).run(victim.requestId),
    );
    expect((await ws.json<RequestsJson>('requests')).requests.find((r) => r.requestId === victim.requestId)?.state).toBe('lost');

    const found = await ws.run('rebuild', '--verify');
    const foundJson = await ws.run('rebuild', '--verify', '--json');

    expect(found.code).toBe(1);
    expect(found.stdout).toContain('1 document(s) differ');
    expect(found.stdout).toContain(`${REQUESTS_PROJECTION} ${victim.requestId}`);
    expect(foundJson.code).toBe(1);
    expect(JSON.parse(foundJson.stdout)).toMatchObject({ differences: 1, first: [{ projection: REQUESTS_PROJECTION, key: victim.requestId }] });

    const rebuilt = await ws.json<{ rebuilt: string[]; events: number }>('rebuild');
    expect(rebuilt.rebuilt).toContain(REQUESTS_PROJECTION);
    expect(rebuilt.events).toBe(ws.sql((db) => db.prepare('SELECT MAX(position) FROM events').pluck().get()));
    expect((await ws.json<RequestsJson>('requests')).requests).toEqual(requests);
    const verified = await ws.run('rebuild', '--verify');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('identical to the incremental read models');
  });

  it('reports a fill rate between 0 and 1 and turnaround times', async () => {
    type Turnaround = (typeof TURNAROUNDS)[number];
    const ws = copyOfSimulation();
    const { count: total } = await ws.json<RequestsJson>('requests');

    const stats = await ws.json<{
      requests: { submitted: number; requested: number; received: number };
      fillRate: number;
      turnaround: Record<Turnaround, { count: number; meanHours: number; medianHours: number; p90Hours: number; buckets: Record<string, number> }> & { averageDaysToReceive: number };
    }>('stats');

    expect(stats.requests.submitted).toBe(total);
    expect(stats.fillRate).toBeGreaterThan(0);
    expect(stats.fillRate).toBeLessThanOrEqual(1);
    expect(stats.fillRate).toBeCloseTo(stats.requests.received / stats.requests.requested, 3);
    expect(stats.turnaround.requestToReceipt.count).toBe(stats.requests.received);
    expect(stats.turnaround.averageDaysToReceive).toBeGreaterThan(0);
    for (const name of TURNAROUNDS) {
      const t = stats.turnaround[name];
      expect({ name, positive: t.count > 0 && t.meanHours > 0 && t.medianHours > 0, ordered: t.medianHours <= t.p90Hours }).toEqual({ name, positive: true, ordered: true });
      expect(Object.values(t.buckets).reduce((a, b) => a + b, 0)).toBe(t.count);
    }
  });

  it("shows a library's history: every request it borrowed, and every request it was asked to lend", async () => {
    const ws = copyOfSimulation();
    const { requests } = await ws.json<RequestsJson>('requests');
    const borrower = requests[0]!.borrower;
    const history = await ws.json<{ library: string; borrowed: { requestId: string; outcome: string }[]; lent: { requestId: string; borrower: string; askedAt: string | null }[] }>('library', borrower);
    const own = requests.filter((r) => r.borrower === borrower);
    expect(history.borrowed.map((r) => r.requestId).sort()).toEqual(own.map((r) => r.requestId).sort());
    const states = new Map(own.map((r) => [r.requestId, r.state]));
    for (const row of history.borrowed) expect(row.outcome).toBe(states.get(row.requestId));
    for (const row of history.lent) {
      expect(row.borrower).not.toBe(borrower);
      expect(row.askedAt).not.toBeNull();
    }
    const unknown = await ws.run('library', 'NOPE');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/'NOPE' is not in the library directory/);
  });
});

// ---------------------------------------------------------------------------------------------

describe('the interlend binary', () => {
  beforeAll(requireBuiltBinary);

  it('exits 0 and prints exactly one JSON document on stdout with --json', () => {
    const ws = workspace();
    const file = ws.writeJson('directory.json', sampleDirectoryJson());

    const imported = ws.bin(['directory', 'import', file, '--db', 'x.db', '--json']);
    const listed = ws.bin(['directory', 'list', '--db', 'x.db', '--json']);

    expect({ code: imported.code, stderr: imported.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(imported.stdout)).toEqual({ imported: 8, database: path.join(ws.dir, 'x.db'), commandId: expect.any(String), duplicate: false });
    expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(listed.stdout) as { libraries: { code: string }[] }).libraries.map((l) => l.code)).toEqual(sampleDirectoryJson().libraries.map((l) => l.code));
  });

  it('exits 2 for a usage error and 1 for a refused command, each with one line on stderr', () => {
    const ws = workspace();
    expect(ws.bin(['directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson()), '--db', 'x.db']).code).toBe(0);

    expectOneLineError(ws.bin(['history', 'no-such-request', '--db', 'x.db']), 2, "no request 'no-such-request'");
    expectOneLineError(ws.bin(['submit', '--as', 'LIB1', '--file', ws.writeJson('bad.json', sampleRequest({ maximumCost: { amount: -1, currency: 'USD' } })), '--db', 'x.db']), 1, 'data.maximumCost.amount');
  });

  it('uses ./data/interlend.db under the working directory by default, and refuses to read one that is not there', () => {
    const ws = workspace();
    const defaultDb = path.join(ws.dir, 'data', 'interlend.db');

    expectOneLineError(ws.bin(['requests']), 2, `no database at ${defaultDb}`);
    const imported = ws.bin(['directory', 'import', ws.writeJson('directory.json', sampleDirectoryJson())]);

    expect(imported).toEqual({ code: 0, stdout: expect.stringMatching(new RegExp(`^Imported 8 libraries into ${defaultDb}\ncommand id: \\S+\n$`)), stderr: '' });
    expect(existsSync(defaultDb)).toBe(true);
    expect(JSON.parse(ws.bin(['directory', 'list', '--json']).stdout)).toMatchObject({ libraries: { length: 8 } });
  });

  it('uses INTERLEND_DB (relative to the working directory) instead, and --db over both', () => {
    const ws = workspace();
    const file = ws.writeJson('directory.json', sampleDirectoryJson());

    const byEnv = ws.bin(['directory', 'import', file, '--json'], { INTERLEND_DB: 'chosen.db' });
    const byFlag = ws.bin(['directory', 'import', file, '--db', 'flag.db', '--json'], { INTERLEND_DB: 'chosen.db' });

    expect({ code: byEnv.code, ...JSON.parse(byEnv.stdout) }).toMatchObject({ code: 0, database: path.join(ws.dir, 'chosen.db') });
    expect({ code: byFlag.code, ...JSON.parse(byFlag.stdout) }).toMatchObject({ code: 0, database: path.join(ws.dir, 'flag.db') });
    expect(existsSync(path.join(ws.dir, 'data'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------

describe('a rebuild killed mid-way', () => {
  beforeAll(requireBuiltBinary);

  it('loses and duplicates nothing: the next catch-up resumes from the checkpoint it committed', async () => {
    const ws = workspace();
    const summary = await ws.json<SimulationJson>('simulate', '--requests', '300', '--seed', '11');
    const head = ws.sql((db) => db.prepare('SELECT MAX(position) FROM events').pluck().get()) as number;
    const checkpointOf = (db: Database.Database): number =>
      (db.prepare('SELECT position FROM checkpoints WHERE projection = ?').pluck().get(REQUEST_SUMMARIES_PROJECTION) as number | undefined) ?? 0;

    // A slow rebuild in a child process (batches of 50 events, a commit every 20 documents), killed once
    // its checkpoint (reset to 0 when it starts) has passed a third of the log.
    const child = ws.spawnBin(['rebuild', '--batch-size', '50', '--commit-every', '20', '--db', ws.dbPath]);
    const output = collect(child);
    const watcher = ws.connect();
    let killedAt = 0;
    try {
      for (const giveUp = Date.now() + 20_000; ; await sleep(1)) {
        const at = checkpointOf(watcher);
        if (at > head / 3 && at < head) {
          child.kill('SIGKILL');
          killedAt = at;
          break;
        }
        if (child.exitCode !== null || Date.now() > giveUp) {
          child.kill('SIGKILL');
          throw new Error(`the rebuild ended (exit ${child.exitCode}) or stalled before it could be killed part way: ${output.stderr()}`);
        }
      }
    } finally {
      watcher.close();
    }
    expect(await exited(child)).toEqual({ code: null, signal: 'SIGKILL' });
    const afterKill = ws.sql(checkpointOf);
    expect(afterKill).toBeGreaterThanOrEqual(killedAt);
    expect(afterKill).toBeLessThan(head);
    // The summaries' read model also holds the statistics aggregates (keys 'stats:...'): count the summaries.
    const summariesOnly = `WHERE key NOT LIKE 'stats:%'`;
    const partial = ws.sql((db) => db.prepare(`SELECT COUNT(*) FROM ${docsTable(db, REQUEST_SUMMARIES_PROJECTION)} ${summariesOnly}`).pluck().get() as number);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(summary.requests + summary.reRequests);

    // Catch up from where the killed process left off, then compare with a rebuild from zero.
    const { count: listed } = await ws.json<RequestsJson>('requests');
    const verified = await ws.json<{ differences: number }>('rebuild', '--verify');

    expect(verified.differences).toBe(0);
    expect(listed).toBe(summary.requests + summary.reRequests);
    const stored = ws.sql((db) => ({
      summaries: db.prepare(`SELECT COUNT(*) FROM ${docsTable(db, REQUEST_SUMMARIES_PROJECTION)} ${summariesOnly}`).pluck().get(),
      requestStreams: db.prepare("SELECT COUNT(DISTINCT stream_id) FROM events WHERE json_extract(metadata, '$.workflow') = ?").pluck().get(illRequestWorkflow.name),
      checkpoint: checkpointOf(db),
    }));
    expect(stored).toEqual({ summaries: listed, requestStreams: listed, checkpoint: head });
    // Every stored document equals a fold of the whole log (no runner, no checkpoints): nothing applied twice or skipped.
    const log = await readLog(ws.dbPath);
    for (const projection of illProjections) {
      const folded = projectInMemory(projection, log);
      const rows = ws.sql((db) => db.prepare(`SELECT key, doc FROM ${docsTable(db, projection.name)}`).all() as { key: string; doc: string }[]);
      expect({ projection: projection.name, documents: rows.length }).toEqual({ projection: projection.name, documents: folded.size });
      const differing = rows.filter((r) => canonical(JSON.parse(r.doc)) !== canonical(folded.get(r.key))).map((r) => r.key);
      expect({ projection: projection.name, differing }).toEqual({ projection: projection.name, differing: [] });
    }
  });
});
