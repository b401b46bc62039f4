import { fold, type StoredEvent } from '@interlend/engine';
import { illRequestWorkflow } from '@interlend/ill';
import { openApp } from '../app';
import { chainLine, chainStatus } from '../chainStatus';
import { parse, timeFlag } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { historyRow, shortTime, timeline } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend history <requestId> [--at TIME] [--store URL | --db PATH] [--json]';

/** Every event of a request in order, then its state; with --at, only what had happened by then (auditor time travel). */
export async function historyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { at: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE, { max: 1 });
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  const [requestId] = positionals;
  if (!requestId) throw new UsageError(`a request id is required\nusage: ${USAGE}`);
  const at = timeFlag(values.at, 'at');
  // History reads the request's own events: no read model is needed, so none is caught up.
  const app = await openApp(resolveStore(io, values), { mode: 'read', projections: [], warningsTo: io });
  try {
    const all = await app.events.readStream(requestId);
    if (all.length === 0) throw new UsageError(`no request '${requestId}' in ${app.description} (list them with 'interlend requests')`);
    if (all[0]!.metadata.workflow !== illRequestWorkflow.name) throw new UsageError(`'${requestId}' is not a request (it is a ${String(all[0]!.metadata.workflow)} stream)`);
    const events: StoredEvent[] = at ? all.filter((e) => String(e.metadata.time) <= at) : all;
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
