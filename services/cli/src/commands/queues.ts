import { InMemoryReadModelStore, projectInMemory, recordedTime, type Doc, type JsonObject, type ReadModelStore, type StoredEvent } from '@interlend/engine';
import { BORROWING_QUEUES, CLOSED_QUEUE, LENDING_QUEUES, QUEUES_PROJECTION, queuesProjection, readQueues, type QueueName, type QueueRole } from '@interlend/ill';
import { openApp } from '../app';
import { parse, timeFlag } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';
import { PAGE_FLAGS, PAGE_USAGE, pageFlags } from '../paging';

const USAGE = `interlend queues [--library CODE] [--role borrowing|lending] [--queue NAME] [--at TIME] [--ids] ${PAGE_USAGE} [--store URL | --db PATH] [--json]`;
const HELP = `usage: ${USAGE}

  The requests in each queue, per library and role (--ids: their ids). Every queue but 'closed'
  is read from the open requests; 'closed' (the requests that are done: it grows with the
  history) is counted, and its requests are listed only when it is asked for by name:
  --queue closed --ids, a page at a time with --limit N --after CURSOR.
  --queue NAME   one queue. Borrowing: ${BORROWING_QUEUES.join(', ')}.
                 Lending: ${LENDING_QUEUES.join(', ')}.
  --limit N      the queues of N requests (the open ones; with --queue closed, the closed ones),
                 in request-id order, and the cursor of the next page (--after CURSOR): the
                 counts and listings are that page's.
  --at TIME      the queues as they stood at TIME, folded from the events recorded by then.`;

/**
 * The work queues staff see, per library and role. Without --at: the queues read model, now,
 * answered from its indexes (readQueues: the open requests, and a count of each library's
 * 'closed' queue). With --at: the queues as they stood then, folded from the events recorded up
 * to that time into a read model in memory, and read the same way. With --limit N: the queues of
 * N requests, and the cursor of the next page (--after CURSOR); counts and listings are that page's.
 */
export async function queuesCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    { library: { type: 'string' }, role: { type: 'string' }, queue: { type: 'string' }, at: { type: 'string' }, ids: { type: 'boolean' }, ...PAGE_FLAGS, ...STORE_FLAGS, json: { type: 'boolean' } },
    USAGE,
  );
  if (values.help) return print(io, HELP), 0;
  if (values.role !== undefined && values.role !== 'borrowing' && values.role !== 'lending') throw new UsageError(`--role must be borrowing or lending, not '${values.role}'`);
  const role = values.role as QueueRole | undefined;
  const queue = queueFlag(values.queue, role);
  const at = timeFlag(values.at, 'at');
  const pageRequest = pageFlags(values);
  // With --at the queues are folded from the events up to then: the read models are not used.
  const app = await openApp(resolveStore(io, values), { mode: 'read', projections: at ? [] : undefined, warningsTo: io });
  try {
    if (values.library && app.directory && !app.directory.has(values.library)) throw new UsageError(`--library: '${values.library}' is not in the library directory`);
    const when = at ?? app.clock.now().toISOString();
    const store = at ? await foldedQueues(eventsUntil(await readAll(app), at)) : app.readModels;
    const filter = { at: when, library: values.library, role, queue };
    const { counts, entries, requests, next } = await readQueues(store, filter, pageRequest);
    const paged = pageRequest.limit !== undefined || pageRequest.after !== undefined;
    // Totals over libraries, in the queues' display order.
    const totals: Record<QueueRole, Record<string, number>> = { borrowing: {}, lending: {} };
    for (const r of ['borrowing', 'lending'] as const) {
      for (const q of r === 'borrowing' ? BORROWING_QUEUES : LENDING_QUEUES) {
        const n = counts.filter((c) => c.role === r && c.queue === q).reduce((sum, c) => sum + c.count, 0);
        if (n) totals[r][q] = n;
      }
    }
    if (values.json) {
      printJson(io, { at: when, library: values.library ?? null, role: values.role ?? null, totals, queues: values.ids ? entries : counts, ...(paged ? { requests, next } : {}) });
      return 0;
    }
    const walked = queue === CLOSED_QUEUE ? 'closed' : 'open';
    print(io, `Queues ${at ? 'as they stood at' : 'at'} ${shortTime(when)}${values.library ? ` for ${values.library}` : ''}${paged ? `, ${requests} ${walked} request(s) from ${pageRequest.after === undefined ? 'the first' : `after ${pageRequest.after}`}` : ''}`);
    const nextLine = () => next !== null && print(io, `next page: --after ${next}`);
    if (!counts.length) return print(io, 'No request is in any queue.'), nextLine(), 0;
    if (values.ids) {
      for (const l of entries) print(io, `${l.library} ${l.role} / ${l.queue} (${l.requestIds.length}): ${l.requestIds.join(' ')}`);
      const closed = queue === CLOSED_QUEUE ? 0 : (totals.borrowing[CLOSED_QUEUE] ?? 0);
      if (closed > 0) print(io, `closed (${closed}): listed with --queue closed (a page at a time with --limit N)`);
      return nextLine(), 0;
    }
    if (values.library) print(io, table(['role', 'queue', 'requests'], counts.map((c) => [c.role, c.queue, String(c.count)])));
    else print(io, table(['role', 'queue', 'requests (all libraries)'], Object.entries(totals).flatMap(([role, qs]) => Object.entries(qs).map(([q, n]) => [role, q, String(n)]))));
    return nextLine(), 0;
  } finally {
    await app.close();
  }
}

/** `--queue`: a queue's name (of `role`, when given). */
function queueFlag(value: string | undefined, role: QueueRole | undefined): QueueName | undefined {
  if (value === undefined) return undefined;
  const names: readonly string[] = role === 'borrowing' ? BORROWING_QUEUES : role === 'lending' ? LENDING_QUEUES : [...BORROWING_QUEUES, ...LENDING_QUEUES];
  if (!names.includes(value)) throw new UsageError(`--queue: '${value}' is not a${role ? ` ${role}` : ''} queue; queues: ${[...new Set(names)].join(', ')}`);
  return value as QueueName;
}

/** The queues read model of `events`, in memory with its index values, for the same read as now (--at). */
async function foldedQueues(events: Iterable<StoredEvent>): Promise<ReadModelStore> {
  const store = new InMemoryReadModelStore();
  const writes = [...projectInMemory(queuesProjection, events)].map(([key, doc]) => ({ key, doc: doc as Doc, index: queuesProjection.index!(doc, key) }));
  await store.commit(QUEUES_PROJECTION, writes, { expected: 0, next: 1 });
  return store;
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
