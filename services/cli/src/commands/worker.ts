import type { Clock } from '@interlend/engine';
import { describeProblem, openApp } from '../app';
import { intFlag, parse } from '../args';
import { resolveStore, STORE_FLAGS, STORE_HELP } from '../config';
import { shortTime } from '../format';
import { print, UsageError, type CliIo } from '../io';
import { NATS_FLAGS, NATS_HELP, natsUrl } from '../natsOptions';
import { SIMULATED_CLOCK_KEY_ENV } from '@interlend/nats';
import { runEmbeddedWorker } from '@interlend/deployment';
import { natsWorkerCommand } from './natsWorker';

const USAGE = `interlend worker [--interval MS] [--store URL | --db PATH] [--json]
       interlend worker --nats URL ${'[--roles commands,relay,effects,timers,projections] [--concurrency N] [--name NAME] [--prefix P] [--replicas N] [--ack-wait MS]'} [--store URL | --db PATH] [--json]`;
const HELP = `usage: ${USAGE}

Without --nats: the deployment's background process (deadlines, effects, read models).
With --nats: a workflow worker sharing the work with every other worker on the same NATS and
the same store (any number of workers can share one PostgreSQL database).
${STORE_HELP}
${NATS_HELP}
  --roles LIST      what this process does (default all): commands (the work queue and requests),
                    relay (the event feed), effects, timers (deadlines), projections (read models)
  --concurrency N   commands handled at once (default 8)
  --name NAME       this worker's name in logs and leases (default: host and process id)
  --ack-wait MS     how long a delivered command may stay unacknowledged before it is delivered
                    to another worker (default 30,000; a dead worker's commands come back after
                    it). This changes the shared consumer, so it holds for every worker on the
                    same NATS and prefix (a worker started later without it sets it back)
  --simulated-clock follow the clock of the simulation that started this worker (its key comes
                    in ${SIMULATED_CLOCK_KEY_ENV}); used by 'interlend simulate --nats --workers K'`;

/**
 * The embedded deployment's long-running process: fires deadlines as they fall due, carries out
 * effects and keeps the read models current, until SIGINT or SIGTERM. Wakes on new events at once
 * (other processes' appends within the polling interval) and at least every --interval ms for the
 * clock. With --json, one JSON object per line per event worth reporting.
 */
export async function workerCommand(argv: readonly string[], io: CliIo, options: { signal?: AbortSignal; clock?: Clock } = {}): Promise<number> {
  const { values } = parse(
    argv,
    {
      interval: { type: 'string' },
      ...STORE_FLAGS,
      json: { type: 'boolean' },
      ...NATS_FLAGS,
      roles: { type: 'string' },
      concurrency: { type: 'string' },
      name: { type: 'string' },
      'simulated-clock': { type: 'boolean' },
      'ack-wait': { type: 'string' },
    },
    USAGE,
  );
  if (values.help) return print(io, HELP), 0;
  const intervalMs = intFlag(values.interval, 'interval', 1_000, 10, 3_600_000);
  const url = natsUrl(io, values.nats);
  if (url) return natsWorkerCommand(io, { ...values, url, intervalMs }, options);
  for (const flag of ['roles', 'concurrency', 'name', 'simulated-clock', 'prefix', 'replicas', 'ack-wait'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --nats URL: without it the worker runs everything in this process`);
  }
  let say: (event: Record<string, unknown>, text: string) => void = () => undefined;
  const app = await openApp(resolveStore(io, values), {
    mustExist: true,
    mode: 'maintain',
    clock: options.clock,
    onBackgroundError: (problem) => say({ event: 'warning', stage: problem.stage, error: errorText(problem.error) }, `warning: ${describeProblem(problem)}`),
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onSignal, { once: true });
  say = (event, text) => print(io, values.json ? JSON.stringify({ time: app.clock.now().toISOString(), ...event }) : `${shortTime(app.clock.now().toISOString())} ${text}`);
  // The store's waits use unref'd timers (they never hold a process open on their own): this one does.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    say({ event: 'started', database: app.description, intervalMs }, `worker started on ${app.description}: deadlines checked every ${intervalMs} ms (Ctrl-C stops it)`);
    // A worker survives every failure (the loop, shared with `interlend serve`, is in @interlend/deployment).
    await runEmbeddedWorker(app, {
      intervalMs,
      signal: stop.signal,
      onEvent: (e) =>
        e.event === 'deadlines'
          ? say(e, `fired ${e.fired} deadline(s)${e.refused ? `, ${e.refused} refused (the request had moved on)` : ''}`)
          : say(e, `error (${e.failures} in a row): ${e.error}; trying again in ${e.retryInMs} ms`),
    });
    say({ event: 'stopped' }, 'worker stopped');
    return 0;
  } finally {
    clearInterval(keepAlive);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await app.close();
  }
}

const errorText = (error: unknown): string => (error as Error)?.message ?? String(error);
