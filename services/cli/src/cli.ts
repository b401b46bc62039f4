import { isInterlendError } from '@interlend/engine';
import { actCommand } from './commands/act';
import { directoryCommand } from './commands/directory';
import { historyCommand } from './commands/history';
import { requestsCommand } from './commands/requests';
import { simulateCommand } from './commands/simulate';
import { submitCommand } from './commands/submit';
import { timersCommand } from './commands/timers';
import { queuesCommand } from './commands/queues';
import { statsCommand } from './commands/stats';
import { rebuildCommand } from './commands/rebuild';
import { libraryCommand } from './commands/library';
import { workerCommand } from './commands/worker';
import { auditCommand } from './commands/audit';
import { keysCommand } from './commands/keys';
import { serveCommand } from './commands/serve';
import { migrateCommand } from './commands/migrate';
import { safeText, UsageError, type CliIo } from './io';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  simulate: { run: simulateCommand, summary: 'drive seeded requests to an end on a simulated clock' },
  requests: { run: requestsCommand, summary: 'list requests and their current states' },
  history: { run: historyCommand, summary: "a request's events in order (--at TIME: as it stood then)" },
  directory: { run: directoryCommand, summary: 'import or list the library directory' },
  submit: { run: submitCommand, summary: 'submit a request as a borrowing library' },
  act: { run: actCommand, summary: 'send a lifecycle command as a library (--allowed lists them)' },
  timers: { run: timersCommand, summary: 'fire due deadlines (run [--now TIME]) or list pending ones' },
  queues: { run: queuesCommand, summary: 'work queues per library and role (--at TIME: as they stood then)' },
  stats: { run: statsCommand, summary: 'fill rate, turnaround, lender response times' },
  library: { run: libraryCommand, summary: "a library's history: what it borrowed and what it was asked to lend" },
  worker: { run: workerCommand, summary: 'run until stopped: fire deadlines as they fall due, run effects, keep read models current' },
  rebuild: { run: rebuildCommand, summary: 'rebuild read models from zero (--verify: compare with the live ones)' },
  serve: { run: serveCommand, summary: 'the HTTP API and the staff dashboard (with the workers in process, or --nats URL)' },
  keys: { run: keysCommand, summary: 'API keys: create (printed once), list, revoke' },
  migrate: { run: migrateCommand, summary: 'copy a whole log into an empty store (--from URL --to URL), resumable' },
  audit: { run: auditCommand, summary: "verify every request's hash chain and the log's order (audit verify [--request ID])" },
};

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
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`interlend: unknown command '${safeText(name, { oneLine: true })}'\n\n${help()}\n`);
    return 2;
  }
  // Error messages quote what the caller sent and what is stored (ids, codes, names): escaped.
  const fail = (message: string, oneLine = false) => void io.stderr.write(`interlend ${name}: ${safeText(message, { oneLine })}\n`);
  try {
    return await command.run(rest, io);
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
