import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { requestIdFor } from '@interlend/deployment';
import { COMMAND_PARTY } from '@interlend/ill';
import { actingRole } from '../access';
import { commandResult, loadVisible, principalOf, sendCommand, type ApiContext } from '../context';
import { AUTHED_PROBLEMS, CommandHeaders, CommandResultSchema, PEOPLE_COMMANDS, RequestIdParams, commandBodySchema, problems } from '../schemas';

const WHO: Record<string, string> = {
  borrower: "the request's borrower (a borrowing key of that library) or hub staff",
  lender: 'the current lender (a lending key of that library) or hub staff',
  involved: 'the borrower, the current lender or hub staff',
  hub: 'hub staff (a hub key)',
};

/** The command's `occurredAt` from the Occurred-At header (the engine checks it). */
const occurredAt = (header: string | undefined): { occurredAt?: string } => (header === undefined ? {} : { occurredAt: header });

/** POST /requests (submit) and one POST /requests/{id}/commands/{type} per lifecycle command, each with its own schema. */
export async function commandRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/requests',
    {
      schema: {
        tags: ['commands'],
        operationId: 'submit',
        summary: 'Submit a request (as the key’s library, the borrower)',
        description:
          'The body is the ILL submit command. With an Idempotency-Key, the request id follows from the library and the key, so sending the same submit again returns the first result (`duplicate: true`) instead of a second request.',
        headers: CommandHeaders.loose(),
        body: commandBodySchema('submit'),
        response: { 201: CommandResultSchema, ...problems(400, 409, 413, 415, ...AUTHED_PROBLEMS) },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const role = actingRole(p, 'submit');
      const key = request.headers['idempotency-key'];
      const commandId = key ?? ctx.app.ids.next();
      const requestId = key === undefined ? ctx.app.ids.next() : requestIdFor(p.library, commandId);
      const sent = await sendCommand(ctx, p, { commandId, streamId: requestId, type: 'submit', data: request.body, actor: { id: p.library, role, key: p.keyId }, ...occurredAt(request.headers['occurred-at']) }, undefined);
      return reply.code(201).send(commandResult(p, requestId, commandId, sent));
    },
  );

  for (const type of PEOPLE_COMMANDS) {
    r.post(
      `/requests/:id/commands/${type}`,
      {
        schema: {
          tags: ['commands'],
          operationId: type,
          summary: `Send '${type}'`,
          description: `Who may send it: ${WHO[COMMAND_PARTY[type]] ?? COMMAND_PARTY[type]}. The state must allow it (409 names the state and what you may send). Auditor keys: 403.`,
          params: RequestIdParams,
          headers: CommandHeaders.loose(),
          body: commandBodySchema(type),
          response: { 200: CommandResultSchema, ...problems(400, 404, 409, 413, 415, ...AUTHED_PROBLEMS) },
        },
      },
      async (request) => {
        const p = principalOf(request);
        const role = actingRole(p, type);
        const { id } = request.params;
        const { context } = await loadVisible(ctx, p, id);
        const commandId = request.headers['idempotency-key'] ?? ctx.app.ids.next();
        const sent = await sendCommand(ctx, p, { commandId, streamId: id, type, data: request.body, actor: { id: p.library, role, key: p.keyId }, ...occurredAt(request.headers['occurred-at']) }, context);
        return commandResult(p, id, commandId, sent);
      },
    );
  }
}
