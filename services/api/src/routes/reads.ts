import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { fold, recordedTime, toMermaid, type StoredEvent } from '@interlend/engine';
import {
  CLOSED_QUEUE,
  REQUESTS_PROJECTION,
  REQUEST_SUMMARIES_PROJECTION,
  STATE_NAMES,
  illMachine,
  illRequestWorkflow,
  libraryHistory,
  readIllStream,
  closedCounts,
  queueCountsOf,
  readQueues,
  readStatistics,
  type IllContext,
  type QueueName,
  type QueueRole,
  type RequestDoc,
  type RequestSummaryDoc,
} from '@interlend/ill';
import { canSee, libraryInScope } from '../access';
import { allowedNow, isRequestStream, loadVisible, principalOf, type ApiContext } from '../context';
import { decodeCursor, encodeCursor, pageDescending } from '../paging';
import { ApiProblem } from '../problems';
import {
  AUTHED_PROBLEMS,
  DirectorySchema,
  HistoryQuery,
  HistorySchema,
  LibraryHistoryQuery,
  LibraryHistorySchema,
  LibraryParams,
  LibrarySchema,
  LifecycleSchema,
  MeSchema,
  QueuesQuery,
  QueuesSchema,
  RequestIdParams,
  RequestListQuery,
  RequestListSchema,
  RequestSchema,
  StatsQuery,
  StatsSchema,
  problems,
} from '../schemas';

/** The read endpoints. Reading never writes. */
export async function readRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const rm = ctx.app.readModels;

  /** A library named in a read must be in the directory (404 otherwise). */
  const knownLibrary = async (code: string | undefined): Promise<void> => {
    if (code === undefined) return;
    const directory = await ctx.directory.get();
    if (directory && !directory.has(code)) throw new ApiProblem('NOT_FOUND', `no library '${code}' in the directory`);
  };

  r.get('/me', { schema: { tags: ['access'], summary: 'Who this key is', response: { 200: MeSchema, ...problems(...AUTHED_PROBLEMS) } } }, async (request) => {
    const p = principalOf(request);
    const directory = await ctx.directory.get();
    return { keyId: p.keyId, library: p.library, libraryName: directory?.get(p.library)?.name ?? null, role: p.role, label: p.label };
  });

  r.get(
    '/requests',
    {
      schema: {
        tags: ['requests'],
        summary: 'Requests this key may see, newest first (cursor paging)',
        querystring: RequestListQuery,
        response: { 200: RequestListSchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const q = request.query;
      const library = libraryInScope(p, q.library, 'requests');
      await knownLibrary(library);
      const docs = (await rm.query(REQUESTS_PROJECTION, q.state ? { index: `state:${q.state}` } : {})).map((d) => d.doc as unknown as RequestDoc);
      // The requests a library borrowed or was asked to lend, at any time: the summaries' library index.
      const involved = library === undefined ? undefined : new Set((await rm.query(REQUEST_SUMMARIES_PROJECTION, { index: `library:${library}` })).map((d) => d.key));
      const rows = docs.filter((d) => {
        if (involved && !involved.has(d.requestId)) return false;
        if (library !== undefined && q.role === 'borrowing') return d.borrower === library;
        if (library !== undefined && q.role === 'lending') return d.borrower !== library;
        return true;
      });
      const page = pageDescending(rows, (d) => [d.submittedAt, d.requestId], q.limit, q.cursor);
      return {
        items: page.items.map((d) => ({ requestId: d.requestId, state: d.state, borrower: d.borrower, lender: d.currentLender, title: d.title, submittedAt: d.submittedAt, updatedAt: d.updatedAt })),
        next: page.next,
      };
    },
  );

  r.get(
    '/requests/:id',
    {
      schema: {
        tags: ['requests'],
        summary: 'A request: state, context, costs, rota, and what this key may send now',
        params: RequestIdParams,
        response: { 200: RequestSchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const { state, context } = await loadVisible(ctx, p, request.params.id);
      return {
        requestId: state.streamId,
        state: state.stateName,
        borrower: context.borrower,
        lender: context.lender,
        context: context as unknown as Record<string, unknown>,
        costs: context.costs,
        rota: context.rota,
        allowed: allowedNow(ctx, p, state, context),
        revision: state.revision,
      };
    },
  );

  r.get(
    '/requests/:id/history',
    {
      schema: {
        tags: ['requests'],
        summary: "A request's events in order; with ?at, as it stood then (later events counted, not shown)",
        params: RequestIdParams,
        querystring: HistoryQuery,
        response: { 200: HistorySchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const id = request.params.id;
      const all = await ctx.app.events.readStream(id);
      // Who may see it is decided on the request as it is now (a lender asked later sees its past too).
      const whole = isRequestStream(all) ? fold(illRequestWorkflow, id, all) : undefined;
      if (!whole || !canSee(p, whole.snapshot.context as IllContext)) throw new ApiProblem('NOT_FOUND', `no request '${id}' that this key may see (${p.library}, ${p.role})`);
      const at = request.query.at === undefined ? undefined : new Date(request.query.at).toISOString();
      // By record time (what was known then); record times follow the stream's order, so it is a prefix.
      const known = at ? all.findIndex((e) => Date.parse(recordedTime(e)) > Date.parse(at)) : -1;
      const events: StoredEvent[] = known === -1 ? all : all.slice(0, known);
      const state = events.length ? fold(illRequestWorkflow, id, events) : undefined;
      return {
        requestId: id,
        at: at ?? null,
        // stateBefore is not stored since schema versions (docs/events.md): derived here, with every event in its current shape.
        events: readIllStream(events).map((e) => {
          const m = e.metadata as { time: string; recordedAt?: string; actor: { id: string; role: string; key?: string }; stateBefore: string; stateAfter: string };
          const recorded = typeof m.recordedAt === 'string' ? { recordedAt: m.recordedAt } : {};
          return { position: e.position, revision: e.revision, type: e.type, time: m.time, ...recorded, actor: m.actor, stateBefore: m.stateBefore, stateAfter: m.stateAfter, data: e.data as Record<string, unknown> };
        }),
        state: state?.stateName ?? 'not yet submitted',
        context: (state?.snapshot.context as Record<string, unknown> | undefined) ?? null,
        laterEvents: all.length - events.length,
      };
    },
  );

  r.get(
    '/queues',
    {
      schema: {
        tags: ['reads'],
        summary: "Work queues per library and role, now ('closed' counted; its requests listed with queue=closed, a page at a time)",
        querystring: QueuesQuery,
        response: { 200: QueuesSchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const library = libraryInScope(p, request.query.library, 'queues');
      await knownLibrary(library);
      const at = ctx.app.clock.now().toISOString();
      const { queue, limit, cursor } = request.query;
      const role = request.query.role as QueueRole | undefined;
      const filter = { at, library, role, queue: queue as QueueName | undefined };
      // The open requests give every queue but 'closed', which is counted from its index and
      // listed only when asked for by name, a page at a time (readQueues).
      if (queue !== CLOSED_QUEUE) {
        const { counts, entries } = await readQueues(rm, filter);
        return { at, library: library ?? null, role: role ?? null, counts, entries, next: null };
      }
      const page = await readQueues(rm, filter, { limit, after: decodeCursor(cursor)?.[0] });
      const counts = role === 'lending' ? [] : queueCountsOf([], filter, await closedCounts(rm, library));
      return { at, library: library ?? null, role: role ?? null, counts, entries: page.entries, next: page.next === null ? null : encodeCursor([page.next]) };
    },
  );

  r.get(
    '/libraries/:code/history',
    {
      schema: {
        tags: ['reads'],
        summary: "A library's history: what it borrowed and what it was asked to lend, newest first (cursor paging)",
        params: LibraryParams,
        querystring: LibraryHistoryQuery,
        response: { 200: LibraryHistorySchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const code = request.params.code;
      libraryInScope(p, code, 'history');
      await knownLibrary(code);
      const docs = (await rm.query(REQUEST_SUMMARIES_PROJECTION, { index: `library:${code}` })).map((d) => d.doc as unknown as RequestSummaryDoc);
      const history = libraryHistory(docs, code);
      const rows = [
        ...history.borrowed.map((row) => ({ kind: 'borrowed' as const, at: row.submittedAt, ...row })),
        ...history.lent.map((row) => ({ kind: 'lent' as const, at: row.askedAt, ...row })),
      ];
      const page = pageDescending(rows, (row) => [row.at ?? '', row.requestId, row.kind], request.query.limit, request.query.cursor);
      return { library: code, items: page.items, next: page.next };
    },
  );

  r.get(
    '/stats',
    {
      schema: {
        tags: ['reads'],
        summary: 'Fill rate, turnaround buckets, lender response times, costs paid per borrower and lender (as `interlend stats --json`)',
        querystring: StatsQuery,
        response: { 200: StatsSchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      const p = principalOf(request);
      const library = libraryInScope(p, request.query.library, 'statistics');
      await knownLibrary(library);
      const since = request.query.since === undefined ? undefined : new Date(request.query.since).toISOString();
      const stats = await readStatistics(rm, { now: ctx.app.clock.now().toISOString(), since, library });
      return {
        ...stats,
        turnaround: { ...stats.turnaround, ...stats.turnaround.requestToReceipt.buckets },
        fillRateByLender: stats.byLender.map((l) => ({ lender: l.lender, asked: l.asked, supplied: l.supplied, rate: l.fillRate })),
      };
    },
  );

  r.get('/directory', { schema: { tags: ['directory'], summary: 'Every library of the directory', response: { 200: DirectorySchema, ...problems(...AUTHED_PROBLEMS) } } }, async () => {
    const directory = await ctx.directory.get();
    return { libraries: [...(directory?.list() ?? [])] };
  });

  r.get(
    '/directory/:code',
    { schema: { tags: ['directory'], summary: 'One library', params: LibraryParams, response: { 200: LibrarySchema, ...problems(404, ...AUTHED_PROBLEMS) } } },
    async (request) => {
      const library = (await ctx.directory.get())?.get(request.params.code);
      if (!library) throw new ApiProblem('NOT_FOUND', `no library '${request.params.code}' in the directory`);
      return library;
    },
  );

  const mermaid = toMermaid(illMachine);
  r.get('/lifecycle', { schema: { tags: ['directory'], summary: 'The request statechart (Mermaid), generated from the machine', response: { 200: LifecycleSchema, ...problems(...AUTHED_PROBLEMS) } } }, async () => ({
    mermaid,
    states: [...STATE_NAMES],
  }));
}
