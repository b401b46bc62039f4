import { REQUESTS_PROJECTION, STATE_NAMES, type RequestDoc } from '@interlend/ill';
import { openApp } from '../app';
import { parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend requests [--state S] [--store URL | --db PATH] [--json]';

/** Request ids and current states, from the requests read model. */
export async function requestsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, `usage: ${USAGE}\nstates: ${STATE_NAMES.join(', ')}`), 0;
  if (values.state && !(STATE_NAMES as readonly string[]).includes(values.state)) {
    throw new UsageError(`--state: unknown state '${values.state}'; states: ${STATE_NAMES.join(', ')}`);
  }
  const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
  try {
    const docs = await app.readModels.query(REQUESTS_PROJECTION, values.state ? { index: `state:${values.state}` } : {});
    const rows = docs.map((d) => d.doc as unknown as RequestDoc).sort((a, b) => (a.submittedAt < b.submittedAt ? -1 : a.submittedAt > b.submittedAt ? 1 : a.requestId < b.requestId ? -1 : 1));
    if (values.json) {
      printJson(io, { count: rows.length, requests: rows.map((r) => ({ requestId: r.requestId, state: r.state, borrower: r.borrower, lender: r.currentLender, title: r.title, submittedAt: r.submittedAt, updatedAt: r.updatedAt })) });
      return 0;
    }
    if (!rows.length) return print(io, values.state ? `No request is ${values.state}.` : 'No requests yet.'), 0;
    print(io, table(['request', 'state', 'borrower', 'lender', 'updated', 'title'], rows.map((r) => [r.requestId, r.state, r.borrower, r.currentLender ?? '', shortTime(r.updatedAt), r.title])));
    print(io, `\n${rows.length} request(s)`);
    return 0;
  } finally {
    await app.close();
  }
}
