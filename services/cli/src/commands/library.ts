import { REQUEST_SUMMARIES_PROJECTION, libraryHistory, type RequestSummaryDoc } from '@interlend/ill';
import { openApp } from '../app';
import { parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend library <CODE> [--store URL | --db PATH] [--json]';

/** A library's history: every request it borrowed, and every request it was asked to lend, with outcomes and milestones. */
export async function libraryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE, { max: 1 });
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  const [code] = positionals;
  if (!code) throw new UsageError(`a library code is required\nusage: ${USAGE}`);
  const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
  try {
    if (app.directory && !app.directory.has(code)) throw new UsageError(`'${code}' is not in the library directory (see 'interlend directory list')`);
    const docs = await app.readModels.query(REQUEST_SUMMARIES_PROJECTION, { index: `library:${code}` });
    const history = libraryHistory(docs.map((d) => d.doc as unknown as RequestSummaryDoc), code);
    if (values.json) return printJson(io, { library: code, ...history }), 0;
    const name = app.directory?.get(code)?.name;
    print(io, `${code}${name ? ` ${name}` : ''}: borrowed ${history.borrowed.length}, asked to lend ${history.lent.length}`);
    if (history.borrowed.length) {
      print(io, '\nBorrowed');
      print(io, table(['request', 'submitted', 'outcome', 'lenders asked', 'supplier', 'title'], history.borrowed.map((r) => [r.requestId, r.submittedAt ? shortTime(r.submittedAt) : '', r.outcome, r.lendersAsked.join(' '), r.supplier ?? '', r.title])));
    }
    if (history.lent.length) {
      print(io, '\nAsked to lend');
      print(io, table(['request', 'borrower', 'asked', 'answered', 'our outcome', 'request now', 'title'], history.lent.map((r) => [r.requestId, r.borrower, r.askedAt ? shortTime(r.askedAt) : '', r.answeredAt ? shortTime(r.answeredAt) : '', r.lenderOutcome ?? 'with us', r.requestOutcome, r.title])));
    }
    return 0;
  } finally {
    await app.close();
  }
}
