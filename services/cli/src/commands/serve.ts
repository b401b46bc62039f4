import { DEFAULT_BODY_LIMIT, DEFAULT_RATE_LIMIT, startServer } from '@interlend/api';
import { MissingStoreError } from '@interlend/deployment';
import { intFlag, parse } from '../args';
import { resolveStore, STORE_FLAGS, STORE_HELP } from '../config';
import { print, UsageError, type CliIo } from '../io';
import { NATS_FLAGS, NATS_HELP, NATS_USAGE, natsSettings, natsUrl } from '../natsOptions';

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const USAGE = `interlend serve [--port P] [--host H] [--store URL | --db PATH] [--read-models URL] [${NATS_USAGE}] [--rate-limit N] [--body-limit BYTES] [--log-level LEVEL]`;
const HELP = `usage: ${USAGE}

The HTTP API (docs/api.md; OpenAPI at /openapi.json, reference page at /reference), the live
stream and the staff dashboard, on the store (the embedded database by default) with the
workers in this process (deadlines, effects, read models), until SIGINT or SIGTERM.

  --port P          the port (default ${DEFAULT_PORT}; 0: any free port, printed on the first line)
  --host H          the address to listen on (default ${DEFAULT_HOST}; 0.0.0.0 for every interface)
${STORE_HELP}
  --rate-limit N    requests one key (without a valid key: one address) may make per minute
                    before 429 (default ${DEFAULT_RATE_LIMIT.max}; 0 turns the limit off)
  --body-limit B    the largest request body in bytes before 413 (default ${DEFAULT_BODY_LIMIT})
  --log-level L     ${LOG_LEVELS.join(', ')} (default info); logs are JSON lines on stdout
${NATS_HELP}
                    With --nats, commands go to the NATS workers ('interlend worker --nats URL')
                    and this process runs no worker; it reads the store the workers write
                    (--store or --db).

Keys: 'interlend keys create --library CODE --role borrowing|lending|hub|auditor'.`;

/** `interlend serve`: the API and the dashboard until stopped. */
export async function serveCommand(argv: readonly string[], io: CliIo, options: { signal?: AbortSignal } = {}): Promise<number> {
  const { values } = parse(
    argv,
    { port: { type: 'string' }, host: { type: 'string' }, ...STORE_FLAGS, 'log-level': { type: 'string' }, 'rate-limit': { type: 'string' }, 'body-limit': { type: 'string' }, ...NATS_FLAGS },
    USAGE,
  );
  if (values.help) return print(io, HELP), 0;
  const port = intFlag(values.port, 'port', DEFAULT_PORT, 0, 65_535);
  const host = values.host ?? DEFAULT_HOST;
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(host)) throw new UsageError(`--host: '${host}' is not a host name or address`);
  const perMinute = intFlag(values['rate-limit'], 'rate-limit', DEFAULT_RATE_LIMIT.max, 0, 1_000_000);
  const bodyLimit = intFlag(values['body-limit'], 'body-limit', DEFAULT_BODY_LIMIT, 1_024, 64 * 1024 * 1024);
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not '${logLevel}'`);
  const url = natsUrl(io, values.nats);
  const nats = url
    ? { url, settings: natsSettings(values), user: io.env.NATS_USER || undefined, pass: io.env.NATS_PASSWORD || undefined, token: io.env.NATS_TOKEN || undefined }
    : undefined;
  if (!url) {
    for (const flag of ['prefix', 'replicas'] as const) if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --nats URL`);
  }

  let running;
  try {
    running = await startServer({
      store: resolveStore(io, values),
      host,
      port,
      nats,
      logLevel,
      rateLimit: perMinute === 0 ? false : { max: perMinute, timeWindowMs: 60_000 },
      bodyLimit,
      say: (line) => print(io, line),
      warn: (line) => void io.stderr.write(`${line}\n`),
      logTo: io.stdout,
    });
  } catch (error) {
    if (error instanceof MissingStoreError) throw new UsageError(error.message);
    if ((error as { code?: string }).code === 'EADDRINUSE') throw new UsageError(`${host}:${port} is in use: choose another --port (0: any free one)`);
    throw error;
  }
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    options.signal?.addEventListener('abort', stop, { once: true });
  });
  await stopped;
  running.server.log.info('stopping: finishing requests in flight');
  await running.close();
  return 0;
}
