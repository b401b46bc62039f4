import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { openSqlite } from './index';
import type { RaceReport } from './__tests__/raceWorker';

const root = resolve(__dirname, '../../..');

/** Loads a TypeScript module in a worker thread (transpiled by SWC, as jest does), with the workspace's package names mapped to their sources. */
const bootstrap = `
const { workerData } = require('node:worker_threads');
const Module = require('node:module');
const fs = require('node:fs');
const swc = require(require.resolve('@swc/core', { paths: [workerData.root] }));
require.extensions['.ts'] = (module, filename) => {
  const { code } = swc.transformSync(fs.readFileSync(filename, 'utf8'), {
    filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@interlend/engine') request = workerData.root + '/packages/engine/src/index.ts';
  return resolveFilename.call(this, request, ...rest);
};
require(workerData.script);
`;

function startWorker(data: Record<string, unknown>): { worker: Worker; report: Promise<RaceReport> } {
  const worker = new Worker(bootstrap, { eval: true, workerData: { ...data, root, script: join(__dirname, '__tests__', 'raceWorker.ts') } });
  const report = new Promise<RaceReport>((resolvePromise, reject) => {
    worker.once('message', (message: { report?: RaceReport; error?: string }) => (message.report ? resolvePromise(message.report) : reject(new Error(message.error))));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited with code ${code} before reporting`)));
  });
  return { worker, report };
}

describe('concurrent writers on separate connections (threads standing in for processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'interlend-race-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('never lets two writers pass the same expected revision: one winner per stream, only ConcurrencyError for the others', async () => {
    const path = join(dir, 'race.db');
    await openSqlite(path).close(); // create the schema before the race
    const workers = 3;
    const streams = 60;
    const increments = 25;
    const barrier = new SharedArrayBuffer(4);
    const started = Array.from({ length: workers }, (_, worker) => startWorker({ path, worker, workers, streams, increments, barrier }));
    let reports: RaceReport[];
    try {
      reports = await Promise.all(started.map((s) => s.report));
    } finally {
      await Promise.all(started.map((s) => s.worker.terminate()));
    }

    const winners = reports.flatMap((r) => r.won);
    expect(winners.sort((a, b) => a - b)).toEqual(Array.from({ length: streams }, (_, i) => i));
    expect(reports.flatMap((r) => r.lost)).toEqual(Array.from({ length: streams * (workers - 1) }, () => 'CONCURRENCY'));

    const handle = openSqlite(path);
    try {
      for (let i = 0; i < streams; i++) expect(await handle.events.readStream(`race-${i}`)).toHaveLength(1);
      const counter = await handle.events.readStream('counter');
      expect(counter).toHaveLength(workers * increments);
      // Each increment was appended right after the revision its writer had seen: no lost update.
      counter.forEach((e, revision) => expect(e.data.seen).toBe(revision - 1));
      expect(await handle.events.headPosition()).toBe(streams + workers * increments);
    } finally {
      await handle.close();
    }
  }, 20_000);
});
