import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { natsSimulationEngine, openStores, storeUrlOf, type StoreSettings } from '@interlend/deployment';
import { runSimulation, saveDirectory, type SimulationOptions, type SimulationSummary } from '@interlend/ill';
import { SIMULATED_CLOCK_KEY_ENV, ensureStreams, streamConfigs, subjectsOf, type NatsSettings } from '@interlend/nats';
import type { CliIo } from '../io';
import { connect } from '../natsOptions';
import { startWorkerProcesses, stopWorkerProcesses, type WorkerProcess } from '../workerProcesses';

export interface NatsSimulationRun {
  readonly url: string;
  readonly settings: NatsSettings;
  /** Remove the run's streams and lease bucket at the end (its prefix is its own). */
  readonly cleanUp: boolean;
  readonly workers: number;
  /** The store the workers and this process share. */
  readonly store: StoreSettings;
  readonly options: SimulationOptions;
}

/**
 * The seeded simulation through NATS: K worker processes of this CLI on the same store
 * (started here with a fresh clock key in their environment, so that they, and no other
 * worker, follow the simulated time), every command and deadline sent to them over NATS. The
 * store goes to them in INTERLEND_STORE / INTERLEND_READ_MODELS, not on their command line,
 * where a password in the URL would be visible to every user of the machine.
 */
export async function simulateThroughNats(io: CliIo, run: NatsSimulationRun): Promise<SimulationSummary & { workers: number; prefix: string }> {
  const key = randomBytes(32).toString('hex');
  const nc = await connect(io, run.url, 'interlend-simulate');
  let workers: WorkerProcess[] = [];
  let engine: Awaited<ReturnType<typeof natsSimulationEngine>> | undefined;
  // Simulations write SQLite at synchronous=NORMAL (docs/storage-sqlite.md), as `simulate` without NATS does.
  const db = await openStores(run.store, { synchronous: 'normal' });
  try {
    // The streams exist before any worker starts: K workers racing to create replicated streams on a new cluster is slow.
    await ensureStreams(await jetstreamManager(nc, { timeout: 10_000 }), run.settings);
    const summary = await runSimulation(run.options, async (setup) => {
      await saveDirectory(db.events, setup.directoryJson, setup.directoryEvent);
      workers = await startWorkerProcesses({
        count: run.workers,
        namePrefix: `${run.settings.prefix.replace(/\./g, '-')}-w`,
        args: ['--nats', run.url, '--prefix', run.settings.prefix, '--replicas', String(run.settings.replicas), '--simulated-clock', '--interval', '500'],
        env: { [SIMULATED_CLOCK_KEY_ENV]: key, ...storeEnv(run.store) },
      });
      engine = await natsSimulationEngine({ nc, settings: run.settings, events: db.events, readModels: db.readModels, setup, clockKey: key, workers: run.workers });
      return engine;
    });
    return { ...summary, workers: run.workers, prefix: run.settings.prefix };
  } finally {
    await engine?.close().catch(() => undefined);
    const exits = await stopWorkerProcesses(workers);
    exits.forEach((code, i) => {
      if (code !== 0) io.stderr.write(`interlend simulate: worker ${workers[i]!.name} ended with ${code}: ${workers[i]!.stderr().trim().split('\n').at(-1) ?? ''}\n`);
    });
    if (run.cleanUp) await removeStreams(nc, run.settings).catch((error: unknown) => io.stderr.write(`interlend simulate: could not remove the run's streams: ${(error as Error).message}\n`));
    await nc.drain().catch(() => nc.close());
    await db.close();
  }
}

/** Deletes the streams and the lease bucket of a prefix that was the run's own. */
async function removeStreams(nc: Awaited<ReturnType<typeof connect>>, settings: NatsSettings): Promise<void> {
  // A cluster that lost a server during the run may still be electing leaders: a longer timeout.
  const jsm = await jetstreamManager(nc, { timeout: 15_000 });
  for (const config of streamConfigs(settings)) await jsm.streams.delete(config.name).catch(() => false);
  await new Kvm(nc).open(subjectsOf(settings).leaseBucket).then((kv) => kv.destroy()).catch(() => false);
}

/** The store for a child process's environment (INTERLEND_DB cleared: the store is named once). */
function storeEnv(store: StoreSettings): Record<string, string> {
  return { INTERLEND_DB: '', INTERLEND_STORE: storeUrlOf(store.events), INTERLEND_READ_MODELS: store.readModels ? storeUrlOf(store.readModels) : '' };
}
