import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiKeys, connectNatsCommandSender, describeProblem, openDeployment, runEmbeddedWorker, storeFlagsFor, type App, type StoreSettings, type NatsCommandSender, type NatsCommandSenderOptions } from '@interlend/deployment';
import { embeddedSender, natsSender } from './commandSender';
import { buildApi, type ApiOptions } from './server';

export interface ServeOptions {
  /** Where the stores are (`resolveStore` of the CLI reads --store / --db / --read-models). */
  readonly store?: StoreSettings;
  /** The SQLite shorthand: `dbPath: X` is `store: { events: { kind: 'sqlite', path: X } }`. One of the two is required. */
  readonly dbPath?: string;
  readonly host: string;
  /** 0: any free port (the line printed says which). */
  readonly port: number;
  /** Send commands to the NATS workers instead of running the workflow in this process. */
  readonly nats?: Omit<NatsCommandSenderOptions, 'name'>;
  /** Where the listening line and hints go (one line each). */
  readonly say: (line: string) => void;
  /** Where warnings that are not log lines go (the hint). */
  readonly warn: (line: string) => void;
  /** Where the JSON log lines go (default: process.stdout), written only after the listening line. */
  readonly logTo?: { write(line: string): unknown };
  /** How often the in-process worker looks at the clock for due deadlines (default 1,000 ms). */
  readonly workerIntervalMs?: number;
  readonly rateLimit?: ApiOptions['rateLimit'];
  readonly bodyLimit?: number;
  readonly logLevel?: string;
}

export interface RunningServer {
  /** `http://HOST:PORT`, with the real port. */
  readonly url: string;
  readonly server: FastifyInstance;
  readonly app: App;
  /** Stops accepting requests, finishes those in flight, stops the worker, closes NATS and the store. */
  close(): Promise<void>;
}

/**
 * `interlend serve`: opens the store (the embedded default), starts the API, and, without NATS,
 * the in-process worker (deadlines, effects, read models). With NATS, commands go to the workers
 * and this process reads the database they write.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  // Log lines wait until the listening line is out: the first line of stdout is always that one.
  const logTo = options.logTo ?? process.stdout;
  let held: string[] | undefined = [];
  const logStream = { write: (line: string) => (held ? held.push(line) : logTo.write(line)) };
  const worker = new AbortController();
  let workerDone: Promise<void> = Promise.resolve();
  let nats: NatsCommandSender | undefined;
  let server: FastifyInstance | undefined;
  let logBackground: (message: string) => void = () => undefined;

  const store = options.store ?? (options.dbPath !== undefined ? { events: { kind: 'sqlite' as const, path: path.resolve(options.dbPath) } } : undefined);
  if (!store) throw new TypeError('startServer: give store or dbPath');
  const app = await openDeployment(store, {
    mode: options.nats ? 'maintain' : 'command',
    onBackgroundError: (problem) => logBackground(describeProblem(problem)),
  });
  try {
    const keys = new ApiKeys(app.events);
    if (options.nats) nats = await connectNatsCommandSender({ ...options.nats, name: 'interlend-api' });
    server = await buildApi({
      app,
      keys,
      sender: nats ? natsSender(nats) : embeddedSender(app),
      logger: { level: options.logLevel ?? 'info', stream: logStream },
      rateLimit: options.rateLimit,
      bodyLimit: options.bodyLimit,
    });
    const log = server.log;
    logBackground = (message) => log.warn({ background: true }, message);
    await server.listen({ host: options.host, port: options.port });
    const address = server.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const url = `http://${host}:${port}`;
    options.say(`interlend serve: listening on ${url}`);
    for (const line of held) logTo.write(line);
    held = undefined;

    const hint = await setupHint(app, keys);
    if (hint) options.warn(hint);
    if (!nats) {
      workerDone = runEmbeddedWorker(app, {
        intervalMs: options.workerIntervalMs ?? 1_000,
        signal: worker.signal,
        onEvent: (e) => (e.event === 'error' ? log.warn({ worker: e }, `worker: ${e.error}; trying again in ${e.retryInMs} ms`) : log.info({ worker: e }, `worker: fired ${e.fired} deadline(s)`)),
      });
    }
    log.info({ database: app.description, mode: nats ? 'nats' : 'embedded' }, nats ? 'commands go to the NATS workers' : 'workers run in this process');

    let closed: Promise<void> | undefined;
    const running = server;
    return {
      url,
      server: running,
      app,
      close: () =>
        (closed ??= (async () => {
          worker.abort();
          await running.close();
          await workerDone;
          await nats?.close();
          await app.close();
        })()),
    };
  } catch (error) {
    worker.abort();
    await server?.close().catch(() => undefined);
    await workerDone;
    await nats?.close();
    await app.close();
    if (held) for (const line of held) logTo.write(line);
    throw error;
  }
}

/** What a new installation still needs, in one line (undefined when it has a directory and a key). */
async function setupHint(app: App, keys: ApiKeys): Promise<string | undefined> {
  const missing: string[] = [];
  if (!app.directory) missing.push(`no library directory: import one with 'interlend directory import docs/examples/directory.json ${storeFlagsFor(app.settings)}'`);
  const active = (await keys.list()).filter((k) => k.revokedAt === null);
  if (!active.length) missing.push(`no API key: create one with 'interlend keys create --library CODE --role borrowing ${storeFlagsFor(app.settings)}' (it is printed once)`);
  return missing.length ? `interlend serve: hint: ${missing.join('; then ')}` : undefined;
}
