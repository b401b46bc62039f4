/**
 * Start-up: `interlend --help` and a usage error load no command, and so none of what commands
 * need (the store, xstate, zod, the HTTP server, NATS); a local read loads no NATS client and no
 * HTTP server. What a process loads is the question, so these run the built CLI in a child
 * process and look at its `require.cache` (build first: `npm run build` or `npx tsc -b services/cli`).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { removeWorkspaces, requireBuiltBinary, workspace } from './__tests__/cliHarness';

afterAll(removeWorkspaces);

const ROOT = path.resolve(__dirname, '../../../..');
const BUILT_CLI = path.resolve(__dirname, '../../dist/cli.js');

/** Runs `interlend ...args` through the built CLI's `run()` in a fresh process; returns its exit code and every module it loaded (paths from the repository root). */
function modulesLoadedBy(args: readonly string[], cwd: string, env: Record<string, string> = {}): { code: number; modules: string[] } {
  requireBuiltBinary();
  const driver = `
    const { run } = require(${JSON.stringify(BUILT_CLI)});
    const sink = { write: () => true };
    run(${JSON.stringify(args)}, { stdout: sink, stderr: sink, env: ${JSON.stringify(env)}, cwd: process.cwd() }).then((code) => {
      process.stdout.write(JSON.stringify({ code, modules: Object.keys(require.cache) }));
    });`;
  const child = spawnSync(process.execPath, ['-e', driver], { cwd, encoding: 'utf8', timeout: 60_000 });
  if (child.error) throw child.error;
  if (child.status !== 0) throw new Error(`the driver exited ${child.status}: ${child.stderr}`);
  const { code, modules } = JSON.parse(child.stdout) as { code: number; modules: string[] };
  return { code, modules: modules.map((m) => path.relative(ROOT, m)) };
}

/** The third-party packages among the modules (node_modules/NAME or node_modules/@SCOPE/NAME), and the workspace packages' files. */
function packagesIn(modules: readonly string[]): { thirdParty: string[]; workspaceFiles: string[] } {
  const thirdParty = new Set<string>();
  for (const m of modules) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(m);
    if (match) thirdParty.add(match[1]!);
  }
  return { thirdParty: [...thirdParty].sort(), workspaceFiles: modules.filter((m) => m.startsWith('packages/')).sort() };
}

describe('start-up', () => {
  it.each([[['--help']], [['help']], [[]], [['--version']], [['no-such-command']]])('interlend %j loads no command, no third-party package and only the two small modules it needs of the packages', (args) => {
    const ws = workspace();
    const { code, modules } = modulesLoadedBy(args, ws.dir);
    expect([0, 2]).toContain(code);
    const { thirdParty, workspaceFiles } = packagesIn(modules);
    expect(thirdParty).toEqual([]);
    // isInterlendError (cli.ts) and the control characters safeText escapes (io.ts): the packages' entry points would load zod, xstate and the stores.
    expect(workspaceFiles).toEqual(['packages/engine/dist/errors.js', 'packages/ill/dist/limits.js']);
    expect(modules.filter((m) => m.includes('/commands/'))).toEqual([]);
  });

  it('a long run refuses a malformed INTERLEND_HEAP_GROWTH before it starts, naming it; 0 runs with V8 own policy; a read ignores it', () => {
    const ws = workspace();
    const bad = ws.bin(['simulate', '--requests', '2', '--seed', '3', '--json'], { INTERLEND_HEAP_GROWTH: 'lots' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/INTERLEND_HEAP_GROWTH must be a whole number .* not 'lots'/);
    expect(bad.stdout).toBe('');
    expect(ws.bin(['simulate', '--requests', '2', '--seed', '3', '--json'], { INTERLEND_HEAP_GROWTH: '0' }).code).toBe(0);
    expect(ws.bin(['requests', '--json'], { INTERLEND_HEAP_GROWTH: 'lots' }).code).toBe(0);
  });

  it('a local read (history, requests, queues, stats, timers list) loads the store and the workflow, but no NATS client, no HTTP server and no network store driver', async () => {
    const ws = workspace();
    await ws.json('simulate', '--requests', '2', '--seed', '3');
    const [first] = (await ws.json<{ requests: { requestId: string }[] }>('requests')).requests;
    for (const args of [['history', first!.requestId], ['requests', '--limit', '1'], ['queues'], ['stats'], ['timers', 'list']]) {
      const { code, modules } = modulesLoadedBy([...args, '--json'], ws.dir, { INTERLEND_DB: ws.dbPath });
      expect({ args, code }).toEqual({ args, code: 0 });
      const { thirdParty } = packagesIn(modules);
      expect({ args, thirdParty }).toEqual({ args, thirdParty: expect.arrayContaining(['better-sqlite3', 'xstate', 'zod']) });
      const network = thirdParty.filter((p) => /^(@nats-io\/|fastify|@fastify\/|pg$|pg-|@kurrent\/|@eventstore\/)/.test(p));
      expect({ args, network }).toEqual({ args, network: [] });
      expect({ args, nats: modules.filter((m) => /^packages\/(nats|store-postgres|store-kurrentdb)\/|^services\/api\//.test(m)) }).toEqual({ args, nats: [] });
    }
  });
});
