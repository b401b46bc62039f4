import { isInterlendError } from '@interlend/engine/errors';
import { safeText, UsageError, type CliIo } from './io';

/*
 * Each command's module is loaded when that command runs, not before: `interlend --help` and a
 * usage error load none of them, and a command loads only what it uses (no HTTP server for
 * `history`, no store for `--help`). A CommonJS `require`, typed by the module it loads (a
 * dynamic `import()` would go through the ES module loader, which resolves no extensionless path).
 * Test: src/e2e/startup.e2e.test.ts fails when the help path loads the store, xstate or zod.
 */
type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/* eslint-disable @typescript-eslint/no-require-imports */
const COMMANDS: Record<string, { load: () => Command; summary: string }> = {
  simulate: { load: () => (require('./commands/simulate') as typeof import('./commands/simulate')).simulateCommand, summary: 'drive seeded requests to an end on a simulated clock' },
  requests: { load: () => (require('./commands/requests') as typeof import('./commands/requests')).requestsCommand, summary: 'list requests and their current states' },
  history: { load: () => (require('./commands/history') as typeof import('./commands/history')).historyCommand, summary: "a request's events in order (--at TIME: as it stood then)" },
  directory: { load: () => (require('./commands/directory') as typeof import('./commands/directory')).directoryCommand, summary: "import or list the library directory, update one library's profile, show its history" },
  submit: { load: () => (require('./commands/submit') as typeof import('./commands/submit')).submitCommand, summary: 'submit a request as a borrowing library' },
  act: { load: () => (require('./commands/act') as typeof import('./commands/act')).actCommand, summary: 'send a lifecycle command as a library (--allowed lists them)' },
  timers: { load: () => (require('./commands/timers') as typeof import('./commands/timers')).timersCommand, summary: 'fire due deadlines (run [--now TIME]), list pending ones, or schedule-missing (after an upgrade)' },
  queues: { load: () => (require('./commands/queues') as typeof import('./commands/queues')).queuesCommand, summary: 'work queues per library and role (--at TIME: as they stood then)' },
  stats: { load: () => (require('./commands/stats') as typeof import('./commands/stats')).statsCommand, summary: 'fill rate, turnaround, lender response times' },
  library: { load: () => (require('./commands/library') as typeof import('./commands/library')).libraryCommand, summary: "a library's history: what it borrowed and what it was asked to lend" },
  worker: { load: () => (require('./commands/worker') as typeof import('./commands/worker')).workerCommand, summary: 'run until stopped: fire deadlines as they fall due, run effects, keep read models current' },
  rebuild: { load: () => (require('./commands/rebuild') as typeof import('./commands/rebuild')).rebuildCommand, summary: 'rebuild read models from zero (--verify: compare with the live ones)' },
  serve: { load: () => (require('./commands/serve') as typeof import('./commands/serve')).serveCommand, summary: 'the HTTP API and the staff dashboard (with the workers in process, or --nats URL)' },
  keys: { load: () => (require('./commands/keys') as typeof import('./commands/keys')).keysCommand, summary: 'API keys: create (printed once), list, revoke' },
  migrate: { load: () => (require('./commands/migrate') as typeof import('./commands/migrate')).migrateCommand, summary: 'copy a whole log into an empty store (--from URL --to URL), resumable' },
  audit: { load: () => (require('./commands/audit') as typeof import('./commands/audit')).auditCommand, summary: "verify every request's hash chain and the log's order (audit verify [--request ID])" },
};
/* eslint-enable @typescript-eslint/no-require-imports */

export function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'interlend: an event-sourced workflow engine for interlibrary loan',
    '',
    'usage: interlend <command> [options]     (interlend <command> --help for its options)',
    '',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'The store is sqlite:./data/interlend.db unless --store URL (or INTERLEND_STORE: sqlite:PATH,',
    'postgres://..., kurrentdb://... with --read-models URL) or --db PATH (or INTERLEND_DB) says',
    'otherwise (docs/deployment.md).',
  ].join('\n');
}

/** Runs one CLI invocation; returns the exit code. Errors become one clear line on stderr. */
export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${help()}\n`);
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.stdout.write('interlend 0.1.0\n');
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr.write(`interlend: unknown command '${safeText(name, { oneLine: true })}'\n\n${help()}\n`);
    return 2;
  }
  // Error messages quote what the caller sent and what is stored (ids, codes, names): escaped.
  const fail = (message: string, oneLine = false) => void io.stderr.write(`interlend ${name}: ${safeText(message, { oneLine })}\n`);
  try {
    return await command.load()(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(error.message);
      return 2;
    }
    if (isInterlendError(error)) {
      fail(error.message, true);
      return 1;
    }
    fail(`internal error: ${(error as Error)?.stack ?? String(error)}`);
    return 70;
  }
}
