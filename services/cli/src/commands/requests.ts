import { requestsPage, STATE_NAMES } from '@interlend/ill';
import { openApp } from '../app';
import { parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';
import { PAGE_FLAGS, PAGE_USAGE, pageFlags } from '../paging';

const USAGE = `interlend requests [--state S] ${PAGE_USAGE} [--store URL | --db PATH] [--json]`;

/**
 * Request ids and current states, from the requests read model, in request-id order (the read
 * model's key order; ids the engine makes are UUID v7, so that is the order they were submitted
 * in). With --limit N, one page, and the cursor of the next (--after CURSOR).
 */
export async function requestsCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' }, ...PAGE_FLAGS, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, `usage: ${USAGE}\nstates: ${STATE_NAMES.join(', ')}`), 0;
  if (values.state && !(STATE_NAMES as readonly string[]).includes(values.state)) {
    throw new UsageError(`--state: unknown state '${values.state}'; states: ${STATE_NAMES.join(', ')}`);
  }
  const page = pageFlags(values);
  const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
  try {
    // A page is one walk of the state index (or of every request) from the cursor: O(log n + limit).
    const { docs: rows, next } = await requestsPage(app.readModels, { state: values.state }, page);
    if (values.json) {
      printJson(io, { count: rows.length, requests: rows.map((r) => ({ requestId: r.requestId, state: r.state, borrower: r.borrower, lender: r.currentLender, title: r.title, submittedAt: r.submittedAt, updatedAt: r.updatedAt })), next });
      return 0;
    }
    if (!rows.length) return print(io, page.after !== undefined ? 'No more requests.' : values.state ? `No request is ${values.state}.` : 'No requests yet.'), 0;
    print(io, table(['request', 'state', 'borrower', 'lender', 'updated', 'title'], rows.map((r) => [r.requestId, r.state, r.borrower, r.currentLender ?? '', shortTime(r.updatedAt), r.title])));
    print(io, `\n${rows.length} request(s)${next === null ? '' : `; next page: --after ${next}`}`);
    return 0;
  } finally {
    await app.close();
  }
}
