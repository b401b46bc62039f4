import { projectInMemory, recordedTime, type JsonObject } from '@interlend/engine';
import { BORROWING_QUEUES, LENDING_QUEUES, QUEUES_PROJECTION, indexPage, queueCounts, queueEntries, queueLibraryIndex, queuesProjection, type QueueDoc, type QueueRole } from '@interlend/ill';
import { openApp } from '../app';
import { parse, timeFlag } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';
import { PAGE_FLAGS, PAGE_USAGE, pageFlags, pageOf, type Page } from '../paging';

const USAGE = `interlend queues [--library CODE] [--role borrowing|lending] [--at TIME] [--ids] ${PAGE_USAGE} [--store URL | --db PATH] [--json]`;

/**
 * The work queues staff see, per library and role. Without --at: the queues read model, now. With
 * --at: the queues as they stood then, folded from the events recorded up to that time. With
 * --limit N: the queues of N requests (the queue read model's documents, in request-id order), and
 * the cursor of the next page (--after CURSOR); counts and listings are that page's.
 */
export async function queuesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { library: { type: 'string' }, role: { type: 'string' }, at: { type: 'string' }, ids: { type: 'boolean' }, ...PAGE_FLAGS, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  if (values.role !== undefined && values.role !== 'borrowing' && values.role !== 'lending') throw new UsageError(`--role must be borrowing or lending, not '${values.role}'`);
  const at = timeFlag(values.at, 'at');
  const pageRequest = pageFlags(values);
  // With --at the queues are folded from the events up to then: the read models are not used.
  const app = await openApp(resolveStore(io, values), { mode: 'read', projections: at ? [] : undefined, warningsTo: io });
  try {
    if (values.library && app.directory && !app.directory.has(values.library)) throw new UsageError(`--library: '${values.library}' is not in the library directory`);
    const when = at ?? app.clock.now().toISOString();
    let page: Page<QueueDoc>;
    if (at) {
      const folded = [...projectInMemory(queuesProjection, eventsUntil(await readAll(app), at))].map(([key, doc]) => ({ key, doc }));
      const inLibrary = values.library ? folded.filter((d) => d.doc.borrower === values.library || d.doc.currentLender === values.library) : folded;
      page = pageOf(inLibrary.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), pageRequest);
    } else {
      page = await indexPage<QueueDoc>(app.readModels, QUEUES_PROJECTION, values.library ? queueLibraryIndex(values.library) : undefined, pageRequest);
    }
    const docs = page.docs;
    const paged = pageRequest.limit !== undefined || pageRequest.after !== undefined;
    const filter = { at: when, library: values.library, role: values.role as QueueRole | undefined };
    const counts = queueCounts(docs, filter);
    // Totals over libraries, in the queues' display order.
    const totals: Record<QueueRole, Record<string, number>> = { borrowing: {}, lending: {} };
    for (const role of ['borrowing', 'lending'] as const) {
      for (const queue of role === 'borrowing' ? BORROWING_QUEUES : LENDING_QUEUES) {
        const n = counts.filter((c) => c.role === role && c.queue === queue).reduce((sum, c) => sum + c.count, 0);
        if (n) totals[role][queue] = n;
      }
    }
    if (values.json) {
      printJson(io, { at: when, library: values.library ?? null, role: values.role ?? null, totals, queues: values.ids ? queueEntries(docs, filter) : counts, ...(paged ? { requests: docs.length, next: page.next } : {}) });
      return 0;
    }
    print(io, `Queues ${at ? 'as they stood at' : 'at'} ${shortTime(when)}${values.library ? ` for ${values.library}` : ''}${paged ? `, ${docs.length} request(s) from ${pageRequest.after === undefined ? 'the first' : `after ${pageRequest.after}`}` : ''}`);
    const nextLine = () => page.next !== null && print(io, `next page: --after ${page.next}`);
    if (!counts.length) return print(io, 'No request is in any queue.'), nextLine(), 0;
    if (values.ids) {
      for (const l of queueEntries(docs, filter)) print(io, `${l.library} ${l.role} / ${l.queue} (${l.requestIds.length}): ${l.requestIds.join(' ')}`);
      return nextLine(), 0;
    }
    if (values.library) print(io, table(['role', 'queue', 'requests'], counts.map((c) => [c.role, c.queue, String(c.count)])));
    else print(io, table(['role', 'queue', 'requests (all libraries)'], Object.entries(totals).flatMap(([role, qs]) => Object.entries(qs).map(([q, n]) => [role, q, String(n)]))));
    return nextLine(), 0;
  } finally {
    await app.close();
  }
}

async function readAll(app: Awaited<ReturnType<typeof openApp>>) {
  const events = [];
  for (let after = 0; ; ) {
    const batch = await app.events.readAll({ after, maxCount: 5_000 });
    if (!batch.length) return events;
    events.push(...batch);
    after = batch[batch.length - 1]!.position;
  }
}

/** The events recorded by `at` (record time, docs/workflow/business-time.md: what was known then). */
function eventsUntil<T extends { metadata: JsonObject }>(events: T[], at: string): T[] {
  return events.filter((e) => typeof e.metadata.time === 'string' && recordedTime(e) <= at);
}
