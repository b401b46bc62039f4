import { fold, recordedTime, type StoredEvent } from '@interlend/engine';
import { illRequestWorkflow } from '@interlend/ill';
import { openApp } from '../app';
import { chainLine, chainStatus } from '../chainStatus';
import { parse, timeFlag } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { historyRow, shortTime, timeline } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend history <requestId> [--at TIME] [--store URL | --db PATH] [--json]';
const HELP = `usage: ${USAGE}

  Each event shows when it happened, and when it was recorded where that was later
  (e.g. "2026-03-06 14:30Z (recorded 2026-03-09 09:12Z)": sent with --occurred-at).
  --at TIME   the request as it stood at TIME by what had been recorded by then (what was
              known then): an event recorded after TIME is not shown, even if it happened before.`;

/**
 * Every event of a request in order, then its state; with --at, only what had been recorded by
 * then (auditor time travel: what we knew at that time). An event recorded later than it happened
 * (a command with --occurred-at) is left out until it was recorded, even if it happened before.
 */
export async function historyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { at: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE, { max: 1 });
  if (values.help) return print(io, HELP), 0;
  const [requestId] = positionals;
  if (!requestId) throw new UsageError(`a request id is required\nusage: ${USAGE}`);
  const at = timeFlag(values.at, 'at');
  // History reads the request's own events: no read model is needed, so none is caught up.
  const app = await openApp(resolveStore(io, values), { mode: 'read', projections: [], warningsTo: io });
  try {
    const all = await app.events.readStream(requestId);
    if (all.length === 0) throw new UsageError(`no request '${requestId}' in ${app.description} (list them with 'interlend requests')`);
    if (all[0]!.metadata.workflow !== illRequestWorkflow.name) throw new UsageError(`'${requestId}' is not a request (it is a ${String(all[0]!.metadata.workflow)} stream)`);
    // Record times follow the stream's order: what was recorded by --at is a prefix of it.
    const known = at ? all.findIndex((e) => Date.parse(recordedTime(e)) > Date.parse(at)) : -1;
    const events: StoredEvent[] = known === -1 ? all : all.slice(0, known);
    const chain = chainStatus(requestId, all); // the whole stream's, with --at too
    const rows = events.map(historyRow);
    const state = events.length ? fold(illRequestWorkflow, requestId, events) : undefined;
    const current = state?.stateName ?? 'not yet submitted';
    if (values.json) {
      printJson(io, { requestId, at: at ?? null, events: rows, state: current, context: state?.snapshot.context ?? null, laterEvents: all.length - events.length, chain });
      return 0;
    }
    print(io, `Request ${requestId}${at ? ` as it stood at ${shortTime(at)}` : ''}`);
    print(io, timeline(rows));
    print(io);
    print(io, chainLine(chain));
    print(io, `State: ${current}${at && all.length > events.length ? ` (${all.length - events.length} later events not shown)` : ''}`);
    return 0;
  } finally {
    await app.close();
  }
}
