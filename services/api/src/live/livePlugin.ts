import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ValidationError, type EventStore, type ReadModelStore } from '@interlend/engine';
import type { Principal } from '@interlend/deployment';
import { LiveFeed } from './liveFeed';
import { SseConnection } from './sseConnection';

export interface LiveOptions {
  /** The log: changes are read from it, so a client that resumes misses nothing. */
  readonly events: EventStore;
  /** A change is announced once the checkpoints of `projections` in this store have passed it. */
  readonly readModels: ReadModelStore;
  /** The read models a client re-reads on a change (e.g. the ILL projections' names). */
  readonly projections: readonly string[];
  /** The API's key check: throws its 401 problem when the key is missing or bad. */
  authenticate(request: FastifyRequest): Promise<Principal>;
  /** A comment line every so many milliseconds keeps proxies from closing an idle stream. Default 15,000. */
  readonly heartbeatMs?: number;
  /** Messages a client may leave unread before it is cut off (it resumes with Last-Event-ID). Default 1,000. */
  readonly maxBuffered?: number;
  /** How often to look at the checkpoints while the read models are behind the log. Default 25 ms. */
  readonly checkpointPollMs?: number;
}

export const LIVE_PATH = '/v1/live';

/** The reconnection delay the stream suggests to EventSource clients (`retry:`), in milliseconds. */
export const RETRY_MS = 2_000;

/** `Last-Event-ID`, else `?after=`: a log position (a non-negative integer), or undefined for neither. */
export function resumePosition(request: FastifyRequest): number | undefined {
  const header = request.headers['last-event-id'];
  const query = (request.query as Record<string, unknown> | undefined)?.after;
  const [field, raw] = header !== undefined ? ['Last-Event-ID', header] : ['after', query];
  if (raw === undefined || raw === '') return undefined;
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value.trim())) {
    const error = new ValidationError(`${field}: must be a log position (an integer >= 0), as sent in an event's id`, {
      issues: [{ path: field, message: 'must be an integer >= 0' }],
    });
    throw Object.assign(error, { statusCode: 400 });
  }
  return Number(value.trim());
}

/** Headers the app's hooks set before the handler (x-request-id, rate-limit counts): a hijacked reply would drop them. */
function headersSetSoFar(headers: Record<string, string | number | string[] | undefined>): Record<string, string | number | string[]> {
  const kept: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && name !== 'content-type' && name !== 'content-length') kept[name] = value;
  }
  return kept;
}

/**
 * `GET /v1/live`: the changes of the read models the caller may see, as server-sent events (see
 * docs/api-live.md). One follower tails the log for every client; a client that resumes with
 * `Last-Event-ID` (or `?after=`) has the changes it missed replayed from the log first.
 */
export async function livePlugin(app: FastifyInstance, options: LiveOptions): Promise<void> {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBuffered = Math.max(2, options.maxBuffered ?? 1_000);
  const feed = new LiveFeed({
    events: options.events,
    readModels: options.readModels,
    projections: options.projections,
    checkpointPollMs: options.checkpointPollMs,
    onError: (error) => app.log.warn({ err: error }, 'live feed: reading the log failed; trying again'),
  });
  let heartbeat: NodeJS.Timeout | undefined;
  let closing = false;

  app.get(LIVE_PATH, async (request, reply) => {
    const principal = await options.authenticate(request);
    const after = resumePosition(request);
    if (closing) return reply.code(503).header('Retry-After', '2').type('application/problem+json').send({ type: 'about:blank', title: 'Service Unavailable', status: 503, detail: 'the server is closing' });
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      ...headersSetSoFar(reply.getHeaders()),
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    request.raw.socket.setNoDelay(true);
    request.raw.socket.setKeepAlive(true);
    const connection = new SseConnection(raw, maxBuffered, after ?? 0);
    connection.write(`retry: ${RETRY_MS}\n\n`);
    request.log.info({ keyId: principal.keyId, library: principal.library, role: principal.role, after: after ?? null }, 'live stream opened');
    connection.onClose((reason) => request.log.info({ keyId: principal.keyId, reason, lastId: connection.lastId }, 'live stream closed'));
    heartbeat ??= setInterval(() => feed.heartbeat(), heartbeatMs).unref();
    try {
      await feed.subscribe(principal, connection, after);
    } catch (error) {
      request.log.warn({ err: error }, 'live stream: replay failed');
      connection.close('server', 'replay failed: reconnect with Last-Event-ID');
    }
  });

  // Before the server waits for open requests to finish: end every stream, or it would wait forever.
  app.addHook('preClose', async () => {
    closing = true;
    if (heartbeat) clearInterval(heartbeat);
    await feed.stop();
  });
}
