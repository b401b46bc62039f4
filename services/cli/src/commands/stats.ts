import { formatStatistics, readStatistics } from '@interlend/ill';
import { openApp } from '../app';
import { parse, timeFlag } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend stats [--library CODE] [--since TIME] [--now TIME] [--store URL | --db PATH] [--json]';

/**
 * Fill rate, unfilled and cancelled counts, turnaround and lender response times: the requests that
 * ended from the month aggregates of the request summaries, the open ones from their index.
 */
export async function statsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { library: { type: 'string' }, since: { type: 'string' }, now: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  const since = timeFlag(values.since, 'since');
  const nowFlag = timeFlag(values.now, 'now');
  const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
  try {
    if (values.library && app.directory && !app.directory.has(values.library)) throw new UsageError(`--library: '${values.library}' is not in the library directory`);
    const stats = await readStatistics(app.readModels, { now: nowFlag ?? app.clock.now().toISOString(), since, library: values.library });
    if (values.json) printJson(io, stats);
    else print(io, formatStatistics(stats));
    return 0;
  } finally {
    await app.close();
  }
}
