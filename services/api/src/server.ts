import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { FastifyApiReferenceOptions } from '@scalar/fastify-api-reference';
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { uuidV7Ids } from '@interlend/engine';
import type { App } from '@interlend/deployment';
import { LIMITS } from '@interlend/ill';
import { BearerAuthenticator, type KeyAuthenticator } from './auth';
import { embeddedSender, type CommandSender } from './commandSender';
import { DirectoryCache, type ApiContext } from './context';
import { livePlugin } from './live/index';
import { ApiProblem, fromEngineError, isApiProblem, isInterlendError, problemBody, type FieldProblem } from './problems';
import { commandRoutes } from './routes/commands';
import { directoryRoutes } from './routes/directory';
import { readRoutes } from './routes/reads';
import { HealthSchema, ReadySchema, problems } from './schemas';

/** Request bodies over this many bytes are refused with 413: twice a command's largest data (64 KiB of JSON), room for pretty-printing. */
export const DEFAULT_BODY_LIMIT = 2 * LIMITS.commandDataBytes;
/** Requests one key (or, without a valid key, one IP address) may make per window before 429. */
export const DEFAULT_RATE_LIMIT = { max: 600, timeWindowMs: 60_000 } as const;
/** /ready answers 503 when a read model is more than this many events behind the log's head. */
export const DEFAULT_READY_MAX_LAG = 100;

export interface ApiOptions {
  /** The store and the runtime (`openEmbedded` of @interlend/deployment). */
  readonly app: App;
  /** Checks API keys: `new ApiKeys(app.events)` of @interlend/deployment. */
  readonly keys: KeyAuthenticator;
  /** Where commands go; default: the runtime in this process. */
  readonly sender?: CommandSender;
  /** Fastify's logger (pino options, `false` for none); default none. The Authorization header is always redacted. */
  readonly logger?: boolean | Record<string, unknown> | FastifyBaseLogger;
  readonly bodyLimit?: number;
  /** `false` turns rate limiting off. */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number } | false;
  readonly readyMaxLag?: number;
  /** Serve the dashboard at `/` (default true). */
  readonly dashboard?: boolean;
}

/** Fastify's own errors that are the client's doing, by code. */
const CLIENT_ERRORS: Record<string, (e: FastifyError) => ApiProblem> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (e) => new ApiProblem('UNSUPPORTED_MEDIA_TYPE', `${e.message}: send the body as application/json`),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new ApiProblem('MALFORMED_JSON', "the body is empty but Content-Type says JSON: send {} for a command without data, or no Content-Type"),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) => new ApiProblem('MALFORMED_JSON', e.message),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: (e) => new ApiProblem('BAD_REQUEST', e.message),
};

type ScalarPlugin = (app: FastifyInstance, options: FastifyApiReferenceOptions) => Promise<void>;

/**
 * Scalar's reference page. The package is an ES module: Node (20.19+) requires it; a runtime that
 * cannot (jest's module system) gets a page pointing to /openapi.json instead.
 */
function loadScalar(): ScalarPlugin | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('@scalar/fastify-api-reference') as { default?: ScalarPlugin };
    return typeof mod.default === 'function' ? mod.default : undefined;
  } catch {
    return undefined;
  }
}

const REFERENCE_MISSING = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>interlend API</title></head><body><p>The interactive reference could not be loaded here; the OpenAPI document is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>';

/** `/material/itemIds/2` in `body` -> `body.material.itemIds[2]`. */
function fieldPath(context: string | undefined, instancePath: string): string {
  let path = context ?? 'body';
  for (const part of instancePath.split('/').filter(Boolean)) path += /^\d+$/.test(part) ? `[${part}]` : `.${part}`;
  return path;
}

/** Any error, as the problem the client gets. */
function toProblem(error: unknown, bodyLimit: number): ApiProblem {
  if (isApiProblem(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const context = (error as { validationContext?: string }).validationContext;
    const errors: FieldProblem[] = error.validation.map((v) => ({ path: fieldPath(context, v.instancePath), message: v.message ?? 'invalid' }));
    const shown = errors.slice(0, 10).map((e) => `${e.path}: ${e.message}`);
    return new ApiProblem('VALIDATION', shown.join('; ') + (errors.length > shown.length ? `; and ${errors.length - shown.length} more` : ''), { errors });
  }
  if (isInterlendError(error)) return fromEngineError(error);
  const fe = error as FastifyError;
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiProblem('PAYLOAD_TOO_LARGE', `the body is larger than ${bodyLimit.toLocaleString('en-US')} bytes, the most this server takes (a command's data may have at most ${LIMITS.commandDataBytes.toLocaleString('en-US')} bytes as JSON)`);
  if (fe?.code && CLIENT_ERRORS[fe.code]) return CLIENT_ERRORS[fe.code]!(fe);
  if (error instanceof SyntaxError || (fe?.statusCode === 400 && /JSON/i.test(fe.message ?? ''))) return new ApiProblem('MALFORMED_JSON', `the body is not valid JSON: ${fe.message}`);
  if (fe?.statusCode === 429) return new ApiProblem('RATE_LIMITED', fe.message);
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) return new ApiProblem('BAD_REQUEST', fe.message);
  return new ApiProblem('INTERNAL', 'internal error (the log has the details, under this request id)');
}

function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ApiProblem): FastifyReply {
  for (const [name, value] of Object.entries(problem.extra.headers ?? {})) reply.header(name, value);
  return reply
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .serializer((body: unknown) => JSON.stringify(body))
    .send(problemBody(problem, request.url.split('?')[0] ?? request.url));
}

/**
 * The HTTP API (Fastify 5, zod schemas, OpenAPI 3.1 at /openapi.json, the reference page at
 * /reference), the live stream and the dashboard, over an opened store. Call `listen` on it, or
 * `inject` in tests. Closing it does not close the store.
 */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const logger = options.logger ?? false;
  const loggerOptions: Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> =
    typeof logger === 'object' && logger !== null && typeof (logger as FastifyBaseLogger).child === 'function'
      ? { loggerInstance: logger as FastifyBaseLogger }
      : { logger: logger === true ? { redact: ['req.headers.authorization'] } : logger === false ? false : { redact: ['req.headers.authorization'], ...(logger as Record<string, unknown>) } };
  const server = Fastify({
    ...loggerOptions,
    bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => uuidV7Ids.next(),
    return503OnClosing: true,
    forceCloseConnections: true,
  });
  // Bodies are JSON only: anything else is 415 (Fastify would otherwise take text/plain as a string).
  server.removeContentTypeParser('text/plain');
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);

  const ctx: ApiContext = {
    app: options.app,
    sender: options.sender ?? embeddedSender(options.app),
    auth: new BearerAuthenticator(options.keys),
    directory: new DirectoryCache(options.app),
  };
  let closing = false;
  server.addHook('onClose', async () => {
    closing = true;
  });
  server.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-request-id', request.id);
    return payload;
  });

  server.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error, bodyLimit);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(request, reply, problem);
  });
  server.setNotFoundHandler((request, reply) => sendProblem(request, reply, new ApiProblem('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)));

  await server.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'interlend API',
        version: '1.0.0',
        description:
          'Interlibrary loan requests as event-sourced workflows. Every /v1 call needs `Authorization: Bearer <key>` (`interlend keys create`). Errors are RFC 9457 problem details (application/problem+json). See docs/api.md.',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'an API key: ilk_<keyId>_<secret>' } } },
      security: [{ apiKey: [] }],
      tags: [
        { name: 'commands', description: 'submit a request and send lifecycle commands' },
        { name: 'requests', description: 'requests, one request, its history' },
        { name: 'reads', description: 'queues, library histories, statistics' },
        { name: 'directory', description: 'the library directory and the lifecycle' },
        { name: 'access', description: 'who the key is' },
        { name: 'service', description: 'health and readiness' },
      ],
    },
    transform: jsonSchemaTransform,
  });

  if (options.rateLimit !== false) {
    const limits = options.rateLimit ?? DEFAULT_RATE_LIMIT;
    await server.register(rateLimit, {
      global: true,
      max: limits.max,
      timeWindow: limits.timeWindowMs,
      // By the checked key when there is one (set by the /v1 routes' first hook), else by address:
      // a key id merely claimed in a header never spends another key's allowance.
      keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ApiProblem('RATE_LIMITED', `more than ${context.max} requests in ${context.after}: wait ${Math.ceil(context.ttl / 1000)} s (Retry-After) and slow down`, {
          headers: { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
        }),
    });
  }

  const publicRoute = { security: [] as { [k: string]: string[] }[], tags: ['service'] };
  server.get('/health', { config: { rateLimit: false }, schema: { ...publicRoute, summary: 'Liveness: the process answers', response: { 200: HealthSchema } } }, async () => ({ status: 'ok' as const }));
  const maxLag = options.readyMaxLag ?? DEFAULT_READY_MAX_LAG;
  server.get(
    '/ready',
    { config: { rateLimit: false }, schema: { ...publicRoute, summary: 'Readiness: the store answers and the read models are caught up (503 says why not)', response: { 200: ReadySchema, ...problems(503) } } },
    async () => {
      if (closing) throw new ApiProblem('UNAVAILABLE', 'the server is shutting down');
      let head: number;
      let projections: { name: string; checkpoint: number; behind: number }[];
      try {
        head = await ctx.app.events.headPosition();
        projections = [];
        for (const p of ctx.app.runtime.projections) {
          const checkpoint = await ctx.app.readModels.checkpoint(p.name);
          projections.push({ name: p.name, checkpoint, behind: Math.max(0, head - checkpoint) });
        }
      } catch (error) {
        throw new ApiProblem('UNAVAILABLE', `the store does not answer: ${(error as Error)?.message ?? String(error)}`);
      }
      const late = projections.filter((p) => p.behind > maxLag);
      if (late.length) {
        throw new ApiProblem('UNAVAILABLE', `read models behind the log's head (${head}) by more than ${maxLag} events: ${late.map((p) => `${p.name} at ${p.checkpoint}`).join(', ')}`, {
          headers: { 'retry-after': '1' },
        });
      }
      return { status: 'ready' as const, head, projections };
    },
  );
  server.get('/openapi.json', { config: { rateLimit: false }, schema: { hide: true } }, async () => server.swagger());
  const scalar = loadScalar();
  if (scalar) await server.register(scalar, { routePrefix: '/reference', configuration: { url: '/openapi.json', title: 'interlend API' } });
  else server.get('/reference', { config: { rateLimit: false }, schema: { hide: true } }, async (_request, reply) => reply.type('text/html').send(REFERENCE_MISSING));

  await server.register(
    async (v1) => {
      // Every /v1 route needs a key. The check runs first; a refusal is answered just before the
      // body is read, after the rate limiter counted the attempt (by address).
      v1.addHook('onRequest', async (request) => {
        try {
          request.principal = await ctx.auth.principalOf(request);
        } catch (error) {
          request.authProblem = error;
        }
      });
      v1.addHook('preParsing', async (request, _reply, payload) => {
        if (request.authProblem) throw request.authProblem;
        return payload;
      });
      // A command without data may come without a body.
      v1.addHook('preValidation', async (request) => {
        if (request.method === 'POST' && request.body === undefined) request.body = {};
      });
      await commandRoutes(v1, ctx);
      await readRoutes(v1, ctx);
      await directoryRoutes(v1, ctx);
    },
    { prefix: '/v1' },
  );

  await server.register(livePlugin, {
    events: ctx.app.events,
    readModels: ctx.app.readModels,
    projections: ctx.app.runtime.projections.map((p) => p.name),
    authenticate: (request: FastifyRequest) => ctx.auth.principalOf(request),
  });
  if (options.dashboard !== false) {
    // Loaded only when served: its static-file server is an ES module graph jest cannot load.
    const { dashboardPlugin } = await import('./dashboard.js');
    await server.register(dashboardPlugin);
  }
  return server.withTypeProvider<ZodTypeProvider>();
}

