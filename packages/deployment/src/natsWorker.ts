import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { ManualClock, WorkflowRuntime, singleFlight, systemClock, uuidV7Ids, type BackgroundProblem, type Clock, type DocWrite, type EventStore, type ReadModelStore } from '@interlend/engine';
import { DIRECTORY_STREAM, Directory, RequestParties, illProjections, illRequestWorkflow, loadDirectoryHead, refreshDirectoryHead, reRequestEffect, type IllServices } from '@interlend/ill';
import {
  CommandConsumer,
  EventRelay,
  NatsDeadlines,
  ProjectionNews,
  ensureStreams,
  followSimulatedClock,
  natsEffectHandlers,
  serveTimerRuns,
  type CommandConsumerEvent,
  type EventRelayEvent,
  type NatsSettings,
} from '@interlend/nats';

/** What one worker process does; `--roles` splits them across processes (default: all). */
export const WORKER_ROLES = ['commands', 'relay', 'effects', 'timers', 'projections'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/** Something worth a log line. */
export type WorkerEvent =
  | { readonly source: 'commands'; readonly event: CommandConsumerEvent }
  | { readonly source: 'relay'; readonly event: EventRelayEvent }
  | { readonly source: 'deadlines'; readonly fired?: number; readonly published?: number; readonly error?: unknown }
  | { readonly source: 'background'; readonly problem: BackgroundProblem }
  | { readonly source: 'loop'; readonly role: WorkerRole; readonly error: unknown };

export interface IllNatsWorkerOptions {
  readonly nc: NatsConnection;
  readonly store: EventStore;
  readonly readModels: ReadModelStore;
  readonly settings: NatsSettings;
  readonly roles: ReadonlySet<WorkerRole>;
  /** This worker's name (logs, the deadline lease, timer-run replies). */
  readonly name: string;
  /**
   * Follow the simulated clock of the simulation that started this worker (its key comes from
   * the environment of that simulation only). Without it the worker keeps the system clock.
   */
  readonly simulatedClockKey?: string;
  /** Commands handled at once. Default 8. */
  readonly concurrency?: number;
  /** How often the deadline scan runs and idle loops look for work they were not woken for. Default 1 s. */
  readonly intervalMs?: number;
  readonly onEvent?: (event: WorkerEvent) => void;
}

export interface IllNatsWorker {
  readonly clock: Clock;
  readonly consumer: CommandConsumer | undefined;
  /** SIGTERM: stop taking commands, finish those in hand, then stop the loops. */
  stop(): Promise<void>;
}

/**
 * One interlend worker on NATS: the ILL workflow over the store, with the pieces its roles name.
 * - commands: takes commands from the shared work queue and answers requests;
 * - relay: publishes every committed event once to the feed, naming borrower and current lender;
 * - effects: carries out effects after their events committed (lender and borrower notices to
 *   that library's subject, document delivery to the borrower's own, re-requests as commands);
 * - timers: queues due deadlines (one scanner at a time under a KV lease) and answers `timers run`;
 * - projections: keeps the read models current and announces what changed.
 */
export async function startIllNatsWorker(options: IllNatsWorkerOptions): Promise<IllNatsWorker> {
  const { nc, store, settings, roles, name } = options;
  const report = (event: WorkerEvent) => {
    try {
      options.onEvent?.(event);
    } catch {
      // a logger that fails must not stop the worker
    }
  };
  // A replicated stream on a cluster that has just started answers slowly: a longer API timeout, and ensureStreams retries.
  await ensureStreams(await jetstreamManager(nc, { timeout: 10_000 }), settings);

  const simulated = options.simulatedClockKey ? new ManualClock(0) : undefined;
  const clock: Clock = simulated ?? systemClock;
  const parties = new RequestParties(store);
  const readModels = roles.has('projections') ? new ProjectionNews(nc, { settings, parties: newsParties }).wrap(options.readModels) : options.readModels;
  // The directory as imported last, with the library updates since: a new import or update
  // reaches a running worker before its next command (reading only the events since).
  let directoryHead = await loadDirectoryHead(store);
  const services: { directory: Directory } = { directory: directoryHead?.directory ?? new Directory({ libraries: [] }) };
  const currentDirectory = async () => {
    const revision = await store.streamRevision(DIRECTORY_STREAM);
    if (revision === (directoryHead?.revision ?? -1)) return;
    directoryHead = (await refreshDirectoryHead(store, directoryHead)) ?? directoryHead;
    services.directory = directoryHead?.directory ?? services.directory;
  };
  const projections = roles.has('projections') ? illProjections : [];
  const runtime: WorkflowRuntime<typeof illRequestWorkflow.machine, IllServices> = new WorkflowRuntime({
    workflow: illRequestWorkflow,
    services,
    store,
    readModels,
    clock,
    ids: uuidV7Ids,
    projections,
    effectHandlers: roles.has('effects') ? illEffectHandlers(nc, settings, () => runtime.handler) : {},
    onBackgroundError: (problem) => report({ source: 'background', problem }),
  });

  /** After commands: what this worker's roles keep current (never fails a command). One pass at a time in this process. */
  const settle = singleFlight(async () => {
    if (roles.has('effects')) await runtime.effects.catchUp();
    if (roles.has('projections')) await runtime.runner.catchUp(projections);
  });

  const subscriptions: Subscription[] = [];
  if (simulated) subscriptions.push(followSimulatedClock(nc, { key: options.simulatedClockKey!, clock: simulated, worker: name, settings }));

  let consumer: CommandConsumer | undefined;
  if (roles.has('commands')) {
    consumer = new CommandConsumer(nc, {
      settings,
      concurrency: options.concurrency,
      handle: async (command) => {
        await currentDirectory();
        const result = await runtime.handler.handle(command);
        return { ...result, allowed: illRequestWorkflow.allowedCommands(result.state) };
      },
      settle,
      onEvent: (event) => report({ source: 'commands', event }),
    });
    await consumer.start();
  }

  const stop = new AbortController();
  const loops: Promise<void>[] = [];
  const intervalMs = options.intervalMs ?? 1_000;
  if (roles.has('relay')) {
    const relay = new EventRelay(nc, store, readModels, { settings, parties: (event) => parties.of(event), onEvent: (event) => report({ source: 'relay', event }) });
    loops.push(relay.run({ signal: stop.signal, pollMs: intervalMs }));
  }
  if (roles.has('effects') || roles.has('projections')) {
    // Effects and read models of commands applied by other workers (or before a restart).
    loops.push(followLog(store, stop.signal, intervalMs, settle, (error) => report({ source: 'loop', role: roles.has('effects') ? 'effects' : 'projections', error })));
  }
  if (roles.has('timers')) {
    subscriptions.push(
      serveTimerRuns(nc, {
        settings,
        worker: name,
        run: async () => {
          const at = clock.now();
          const run = await runtime.timers.runDue(at);
          if (run.fired) await settle().catch((error: unknown) => report({ source: 'loop', role: 'timers', error }));
          return { fired: run.fired, refused: run.refused, refusals: run.refusals.map((r) => ({ streamId: r.timer.streamId, name: r.timer.name, at: r.timer.at, error: r.error })), at: at.toISOString() };
        },
        onError: (error) => report({ source: 'deadlines', error }),
      }),
    );
    // A simulated clock moves only when the simulation says: deadlines fire when it asks (timers run).
    if (!simulated) {
      const deadlines = new NatsDeadlines(nc, { workflow: illRequestWorkflow, runner: runtime.runner, readModels, clock, settings, owner: name });
      loops.push(
        deadlines.run({
          signal: stop.signal,
          intervalMs,
          onScan: (scan) => void (scan.published && report({ source: 'deadlines', published: scan.published })),
          onError: (error) => report({ source: 'deadlines', error }),
        }),
      );
    }
  }

  return {
    clock,
    consumer,
    stop: async () => {
      await consumer?.stop();
      for (const s of subscriptions) await s.drain().catch(() => undefined);
      stop.abort();
      await Promise.all(loops);
    },
  };
}

/** The ILL effects on NATS. */
function illEffectHandlers(nc: NatsConnection, settings: NatsSettings, handler: () => WorkflowRuntime<typeof illRequestWorkflow.machine, IllServices>['handler']) {
  const delivered = natsEffectHandlers(nc, {
    settings,
    routes: {
      notifyLender: { deliver: (effect) => String(effect.params.library) },
      notifyBorrower: { deliver: (effect) => String(effect.params.borrower) },
      // Cancel requests, renewal requests, returns shipped, withdrawals, need-before passed: to the lender concerned.
      notifyLenderOf: { deliver: (effect) => String(effect.params.library) },
      // The borrower's own document delivery service takes it.
      handToDocumentDelivery: { deliver: (effect) => String(effect.params.borrower) },
      // The borrowing library hears of the re-request made on its behalf (after it was submitted).
      startReRequest: { deliver: (effect) => String(effect.params.borrower) },
    },
  });
  const submitReRequest = reRequestEffect(handler);
  return {
    ...delivered,
    // Carried out as a command (a `submit` as the borrower, command id from the effect id: once
    // however often it runs), then announced to the borrower.
    startReRequest: async (...args: Parameters<typeof submitReRequest>) => {
      await submitReRequest(...args);
      await delivered.startReRequest!(...args);
    },
  };
}


/** Libraries a read-model write concerns, from its index values (`borrower:X`, `lender:X`, `library:X`). */
function newsParties(_projection: string, write: DocWrite): string[] {
  const parties = new Set<string>();
  for (const value of write.index ?? []) {
    const m = /^(borrower|lender|library):(.+)$/.exec(value);
    if (m) parties.add(m[2]!);
  }
  return [...parties];
}

/** Runs `work` whenever the log grows (and at least every `intervalMs`), until `signal` aborts; survives failures. */
async function followLog(store: EventStore, signal: AbortSignal, intervalMs: number, work: () => Promise<void>, onError: (error: unknown) => void): Promise<void> {
  let failures = 0;
  while (!signal.aborted) {
    try {
      const head = await store.headPosition();
      await work();
      failures = 0;
      await store.waitForEvents(head, { signal, timeoutMs: intervalMs });
    } catch (error) {
      if (signal.aborted) break;
      onError(error);
      failures++;
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 250 * 2 ** Math.min(failures - 1, 7))));
    }
  }
}
