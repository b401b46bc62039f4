import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isInterlendError } from '@interlend/engine';
import { libraryProfileHistory, updateLibrary, type UpdateMode } from '@interlend/ill';
import type { Principal } from '@interlend/deployment';
import { actingRole } from '../access';
import { principalOf, type ApiContext } from '../context';
import { ApiProblem, fromEngineError, type FieldProblem } from '../problems';
import { AUTHED_PROBLEMS, IdempotencyHeaders, LibraryParams, problems } from '../schemas';

const Change = z.object({ field: z.string().describe('e.g. daysToRespond.loan, contact.email, closures'), from: z.unknown().optional(), to: z.unknown().optional() }).meta({ id: 'LibraryChange' });

const UpdateResultSchema = z
  .object({
    code: z.string(),
    commandId: z.string(),
    duplicate: z.boolean().describe('true when this Idempotency-Key was applied before: this is the first result, nothing was written now'),
    written: z.boolean().describe('false when nothing was written: a duplicate, or a body that changed nothing'),
    changes: z.array(Change),
    library: z.looseObject({ code: z.string(), name: z.string() }).describe('the profile now'),
  })
  .meta({ id: 'LibraryUpdateResult' });

const ProfileHistorySchema = z.object({
  code: z.string(),
  changes: z.array(
    z.object({
      revision: z.number().int(),
      time: z.string(),
      actor: z.looseObject({ id: z.string(), role: z.string() }),
      commandId: z.string().optional(),
      event: z.string().describe('DirectoryImported or LibraryUpdated'),
      kind: z.enum(['added', 'changed', 'removed']),
      changes: z.array(Change),
    }),
  ),
});

const Profile = z.looseObject({}).describe('a library profile as in the directory file (see docs/workflow/directory-changes.md); checked field by field, 422 naming each bad one');

/**
 * The directory's write endpoints (hub keys only) and one library's change history:
 * PUT /directory/{code} (the whole profile), PATCH /directory/{code} (a JSON merge patch of the
 * fields to change), GET /directory/{code}/history.
 */
export async function directoryRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  const update = async (p: Principal, code: string, body: unknown, key: string | undefined, mode: UpdateMode) => {
    const role = actingRole(p, 'directory update');
    if (role !== 'hub') throw new ApiProblem('FORBIDDEN', `only hub staff (a hub key) may change the directory; this is a ${role} key of ${p.library}`);
    const commandId = key ?? ctx.app.ids.next();
    try {
      const updated = await updateLibrary(ctx.app.events, code, body, { actor: { id: p.library, role, key: p.keyId }, time: ctx.app.clock.now().toISOString(), eventId: ctx.app.ids.next(), commandId, mode });
      // New rotas (the runtime's services) use the new profile from the next command on.
      await ctx.directory.get();
      return { code, commandId, duplicate: updated.duplicate, written: updated.written, changes: [...updated.changes], library: updated.library };
    } catch (error) {
      if (isInterlendError(error) && error.code === 'VALIDATION') {
        const issues = ((error.details as { issues?: FieldProblem[] }).issues ?? []).map((i) => ({ path: bodyField(i.path), message: i.message }));
        throw new ApiProblem('VALIDATION', error.message, { errors: issues });
      }
      if (isInterlendError(error)) throw fromEngineError(error);
      throw error;
    }
  };

  const description = (how: string) =>
    `${how} Hub keys only (others: 403; nothing is written). Requests already under way keep the terms their rota recorded; rotas built from now on use the new profile. A code not in the directory is 404 (new libraries come with a directory import).`;

  r.put(
    '/directory/:code',
    {
      schema: {
        tags: ['directory'],
        operationId: 'replaceLibrary',
        summary: "Replace one library's profile",
        description: description('The body is the whole profile; fields left out take their defaults or are removed.'),
        params: LibraryParams,
        headers: IdempotencyHeaders.loose(),
        body: Profile,
        response: { 200: UpdateResultSchema, ...problems(400, 404, 409, 413, 415, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => update(principalOf(request), request.params.code, request.body, request.headers['idempotency-key'], 'replace'),
  );

  r.patch(
    '/directory/:code',
    {
      schema: {
        tags: ['directory'],
        operationId: 'updateLibrary',
        summary: "Change fields of one library's profile",
        description: description(
          'The body holds the fields to change, as a JSON merge patch (RFC 7386): `{"daysToRespond": {"loan": 8}}` keeps `copy`, an array such as `closures` replaces the old one, `null` removes an optional field.',
        ),
        params: LibraryParams,
        headers: IdempotencyHeaders.loose(),
        body: Profile,
        response: { 200: UpdateResultSchema, ...problems(400, 404, 409, 413, 415, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => update(principalOf(request), request.params.code, request.body, request.headers['idempotency-key'], 'merge'),
  );

  r.get(
    '/directory/:code/history',
    {
      schema: {
        tags: ['directory'],
        summary: "What changed in one library's profile, when and by whom",
        params: LibraryParams,
        response: { 200: ProfileHistorySchema, ...problems(404, ...AUTHED_PROBLEMS) },
      },
    },
    async (request) => {
      principalOf(request);
      const { code } = request.params;
      const changes = await libraryProfileHistory(ctx.app.events, code);
      if (!changes) throw new ApiProblem('NOT_FOUND', `no library '${code}' in the directory, now or before`);
      return { code, changes: changes.map((c) => ({ ...c, changes: [...c.changes] })) };
    },
  );
}

/** A profile field as the client sent it: `body.closures[0].to`. */
function bodyField(path: string): string {
  if (path === 'commandId') return 'headers.idempotency-key';
  if (path === '(root)') return 'body';
  return path.startsWith('[') ? `body${path}` : `body.${path}`;
}
