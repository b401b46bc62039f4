import { hostname } from 'node:os';
import { existsSync } from 'node:fs';
import type { Clock } from '@interlend/engine';
import { WORKER_ROLES, openStores, startIllNatsWorker, storeFlagsFor, type WorkerEvent, type WorkerRole } from '@interlend/deployment';
import { SIMULATED_CLOCK_KEY_ENV, checkClockKey, resolveSettings } from '@interlend/nats';
import { DIRECTORY_STREAM } from '@interlend/ill';
import { describeProblem } from '../app';
import { intFlag } from '../args';
import { resolveStore, type StoreFlags } from '../config';
import { print, safeText, UsageError, type CliIo } from '../io';
import { connect, natsSettings } from '../natsOptions';

export interface NatsWorkerFlags extends StoreFlags {
  readonly url: string;
  readonly intervalMs: number;
  readonly json?: boolean;
  readonly roles?: string;
  readonly concurrency?: string;
  readonly name?: string;
  readonly prefix?: string;
  readonly replicas?: string;
  readonly 'simulated-clock'?: boolean;
  readonly 'ack-wait'?: string;
}

/**
 * `interlend worker --nats URL`: a workflow worker on NATS until SIGINT or SIGTERM, which stop
 * taking work and finish what is in hand. Every failure is logged and survived (NATS reconnects
 * for ever; the loops back off). With --json, one JSON object per line.
 */
export async function natsWorkerCommand(io: CliIo, flags: NatsWorkerFlags, options: { signal?: AbortSignal; clock?: Clock } = {}): Promise<number> {
  const roles = parseRoles(flags.roles);
  const concurrency = intFlag(flags.concurrency, 'concurrency', 8, 1, 256);
  const name = flags.name ?? `${hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new UsageError(`--name: '${name}' must be 1 to 64 letters, digits, '.', '_' or '-'`);
  const baseSettings = natsSettings(flags);
  // --ack-wait changes the shared durable consumer (ensureStreams updates it): every worker's.
  const settings =
    flags['ack-wait'] === undefined
      ? baseSettings
      : resolveSettings({ ...baseSettings, commands: { ...baseSettings.commands, ackWaitMs: intFlag(flags['ack-wait'], 'ack-wait', 30_000, 1_000, 3_600_000) } });
  let clockKey: string | undefined;
  if (flags['simulated-clock']) {
    try {
      clockKey = checkClockKey(io.env[SIMULATED_CLOCK_KEY_ENV]);
    } catch (error) {
      throw new UsageError(`--simulated-clock: ${(error as Error).message} (it is set by 'interlend simulate --nats --workers K' for the workers it starts)`);
    }
  }
  const store = resolveStore(io, flags);
  const created = store.events.kind === 'sqlite' && !existsSync(store.events.path);

  let clock: Clock | undefined;
  const say = (event: Record<string, unknown>, text: string) => {
    const time = (clock ?? options.clock)?.now().toISOString() ?? new Date().toISOString();
    print(io, flags.json ? JSON.stringify({ time, worker: name, ...event }) : `${time.slice(11, 19)} ${safeText(text, { oneLine: true })}`);
  };
  // A worker of a simulation (--simulated-clock) writes SQLite at synchronous=NORMAL, as the simulation does (docs/storage-sqlite.md).
  const sqlite = await openStores(store, clockKey === undefined ? {} : { synchronous: 'normal' });
  const dbPath = sqlite.description;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onSignal, { once: true });
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    const nc = await connect(io, flags.url, `interlend-worker-${name}`);
    try {
      const worker = await startIllNatsWorker({
        nc,
        store: sqlite.events,
        readModels: sqlite.readModels,
        settings,
        roles,
        name,
        concurrency,
        intervalMs: flags.intervalMs,
        simulatedClockKey: clockKey,
        onEvent: (event) => log(say, event, Boolean(flags.json)),
      });
      clock = worker.clock;
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === 'disconnect' || status.type === 'reconnect' || status.type === 'error') say({ event: 'nats', status: status.type, server: 'server' in status ? status.server : undefined }, `NATS ${status.type}`);
        }
      })();
      if (created || (await sqlite.events.streamRevision(DIRECTORY_STREAM)) < 0) {
        say({ event: 'warning', stage: 'directory', error: 'no library directory' }, `warning: ${dbPath} ${created ? 'is new and ' : ''}holds no library directory: commands naming libraries are refused until 'interlend directory import FILE ${storeFlagsFor(sqlite.settings)}'`);
      }
      say(
        { event: 'started', database: dbPath, nats: flags.url, prefix: settings.prefix, roles: [...roles], concurrency, simulatedClock: Boolean(clockKey) },
        `worker ${name} started on ${dbPath} with NATS ${flags.url} (prefix ${settings.prefix}): ${[...roles].join(', ')} (Ctrl-C stops it)`,
      );
      await new Promise<void>((resolve) => (stop.signal.aborted ? resolve() : stop.signal.addEventListener('abort', () => resolve(), { once: true })));
      say({ event: 'stopping' }, 'stopping: no new work; finishing what is in hand');
      await worker.stop();
      const stats = worker.consumer?.stats;
      say({ event: 'stopped', ...(stats ? { stats } : {}) }, `worker stopped${stats ? `: ${stats.applied} applied, ${stats.duplicates} duplicates, ${stats.retried} retried, ${stats.deadLettered} dead-lettered` : ''}`);
    } finally {
      await nc.drain().catch(() => nc.close());
    }
    return 0;
  } finally {
    clearInterval(keepAlive);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await sqlite.close();
  }
}

function parseRoles(flag: string | undefined): Set<WorkerRole> {
  if (flag === undefined) return new Set(WORKER_ROLES);
  const roles = flag.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(WORKER_ROLES as readonly string[]).includes(r));
  if (unknown.length || roles.length === 0) throw new UsageError(`--roles: ${unknown.length ? `unknown role '${unknown[0]}'` : 'no role given'}; choose from ${WORKER_ROLES.join(', ')}`);
  return new Set(roles as WorkerRole[]);
}

const errorText = (error: unknown): string => (error as Error)?.message ?? String(error);

/** One log line per event worth reporting: failures always; applied commands only in --json. */
function log(say: (event: Record<string, unknown>, text: string) => void, e: WorkerEvent, everyCommand: boolean): void {
  switch (e.source) {
    case 'commands': {
      const c = e.event;
      if (c.type === 'applied') {
        if (everyCommand) say({ event: 'applied', via: c.via, commandId: c.commandId, requestId: c.streamId, command: c.commandType, duplicate: c.duplicate, events: c.events }, `${c.commandType} ${c.streamId}: ${c.duplicate ? 'already applied' : `${c.events} event(s)`}`);
      } else if (c.type === 'retry') say({ event: 'retry', commandId: c.commandId, deliveries: c.deliveries, delayMs: c.delayMs, error: c.error.message }, `command ${c.commandId} failed (${c.error.message}); delivered again in ${c.delayMs} ms`);
      else if (c.type === 'dead-letter') say({ event: 'dead-letter', kind: c.kind, seq: c.seq, reason: c.reason.message }, `dead-lettered message ${c.seq} (${c.kind}): ${c.reason.message}`);
      else if (c.type === 'refused') say({ event: 'refused', commandId: c.commandId, code: c.reason.code, reason: c.reason.message }, `refused ${c.commandId ?? 'a request'}: ${c.reason.message}`);
      else say({ event: 'error', stage: c.stage, error: errorText(c.error) }, `error (${c.stage}): ${errorText(c.error)}`);
      return;
    }
    case 'relay':
      if (e.event.type === 'error') say({ event: 'error', stage: 'relay', error: errorText(e.event.error), retryInMs: e.event.retryInMs }, `relay error: ${errorText(e.event.error)}; again in ${e.event.retryInMs} ms`);
      return;
    case 'deadlines':
      if (e.error !== undefined) say({ event: 'error', stage: 'deadlines', error: errorText(e.error) }, `deadlines: ${errorText(e.error)}`);
      else if (e.published) say({ event: 'deadlines', queued: e.published }, `queued ${e.published} due deadline(s)`);
      return;
    case 'background':
      say({ event: 'warning', stage: e.problem.stage, error: errorText(e.problem.error) }, `warning: ${describeProblem(e.problem)}`);
      return;
    case 'loop':
      say({ event: 'error', stage: e.role, error: errorText(e.error) }, `error (${e.role}): ${errorText(e.error)}`);
  }
}
