#!/usr/bin/env node
/**
 * Records the expected states of the v1 fixture (packages/ill/src/__fixtures__/v1-log.states.json):
 * every request of the fixture folded by the workflow of the commit that wrote it (2281547, before
 * versioned events), not by today's code. The commit's engine and ILL sources are taken with
 * `git archive` into a temporary directory and loaded through SWC (this repository's node_modules).
 *
 *   node scripts/v1-fixture-states.js [COMMIT] [DB] > packages/ill/src/__fixtures__/v1-log.states.json
 */
const { execFileSync } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Module = require('node:module');

const root = path.resolve(__dirname, '..');
const commit = process.argv[2] ?? '2281547';
const dbPath = path.resolve(process.argv[3] ?? path.join(root, 'packages/ill/src/__fixtures__/v1-log.db'));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'interlend-v1-'));
try {
  execFileSync('sh', ['-c', `git -C "${root}" archive ${commit} packages/engine/src packages/ill/src | tar -x -C "${tmp}"`]);
  const swc = require(path.join(root, 'node_modules/@swc/core'));
  require.extensions['.ts'] = (m, filename) => {
    const { code } = swc.transformFileSync(filename, { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } });
    m._compile(code, filename);
  };
  const packages = { '@interlend/engine': path.join(tmp, 'packages/engine/src/index.ts'), '@interlend/ill': path.join(tmp, 'packages/ill/src/index.ts') };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    if (packages[request]) return packages[request];
    try {
      return resolve.call(this, request, parent, ...rest);
    } catch {
      return resolve.call(this, request, { ...parent, paths: [path.join(root, 'node_modules')] }, ...rest);
    }
  };
  const Database = require(path.join(root, 'node_modules/better-sqlite3'));
  const { fold } = require('@interlend/engine');
  const { illRequestWorkflow } = require('@interlend/ill');
  const db = new Database(dbPath, { readonly: true });
  const streams = new Map();
  for (const r of db.prepare('SELECT stream_id, revision, position, event_id, type, data, metadata FROM events ORDER BY position').all()) {
    const metadata = JSON.parse(r.metadata);
    if (metadata.workflow !== 'ill-request') continue;
    const events = streams.get(r.stream_id) ?? [];
    events.push({ id: r.event_id, streamId: r.stream_id, revision: r.revision, position: r.position, type: r.type, data: JSON.parse(r.data), metadata });
    streams.set(r.stream_id, events);
  }
  db.close();
  const states = {};
  for (const id of [...streams.keys()].sort()) {
    const s = fold(illRequestWorkflow, id, streams.get(id));
    states[id] = { state: s.stateName, revision: s.revision, context: s.snapshot.context };
  }
  process.stdout.write(`${JSON.stringify({ commit, requests: states })}\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
