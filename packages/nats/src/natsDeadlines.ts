import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { TimerWorker, type Clock, type CommandInput, type ProjectionRunner, type ReadModelStore } from '@interlend/engine';
import { natsFailure } from './errorBodies';
import { KvLease } from './kvLease';
import { NatsCommandBus } from './natsCommandBus';
import { backoffDelay, pause } from './pause';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';

export interface NatsDeadlinesOptions {
  /** The workflow whose deadlines fire (its name and `deadlineCommand`). */
  readonly workflow: { readonly name: string; readonly deadlineCommand?: string };
  /** Catches the timers projection up before each scan. */
  readonly runner: ProjectionRunner;
  readonly readModels: ReadModelStore;
  readonly clock?: Clock;
  readonly settings?: NatsSettingsInput | NatsSettings;
  /** Let only the holder of a KV lease scan (the others skip). Default true. */
  readonly lease?: boolean;
  /** Who holds the lease (a worker name). Default: random. */
  readonly owner?: string;
}

export interface DeadlineScan {
  /** False when another worker holds the lease: nothing was scanned. */
  readonly scanned: boolean;
  /** Deadline commands queued (a deadline this scanner queued less than half a duplicate window ago is not queued again). */
  readonly published: number;
  /** Of those, queued before within the duplicate window (the server kept the first). */
  readonly duplicates: number;
}

/**
 * Deadlines over NATS: scans the engine's timers projection for deadlines due and queues each
 * one's command on the work queue, with the engine's deterministic command id
 * `deadline:<stream>:<name>:<key>:<at>` as Nats-Msg-Id. A deadline queued twice (two scanners,
 * the next scan before a worker applied it) is stored once within the duplicate window and
 * applied once by the engine's idempotency in any case; a deadline is data in the store, so a
 * restart of every worker loses none (the next scan queues what is still pending). A KV lease
 * makes one worker scan at a time, to save work, not for correctness.
 */
export class NatsDeadlines {
  private readonly settings: NatsSettings;
  private readonly bus: NatsCommandBus;
  private readonly timers: TimerWorker;
  private readonly owner: string;
  private lease: KvLease | undefined;
  private counts = { published: 0, duplicates: 0 };
  /** Command id -> when this scanner last queued it (Date.now()). */
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsDeadlinesOptions,
  ) {
    this.settings = resolveSettings(options.settings);
    this.bus = new NatsCommandBus(nc, { settings: this.settings });
    this.owner = options.owner ?? `deadlines-${Math.random().toString(36).slice(2, 10)}`;
    // The timer worker sends each due deadline's command through `handle`: here, onto the queue.
    // A deadline queued within the last half duplicate window is not queued again: a backlog of
    // due deadlines costs one publish each per window, not one per scan.
    const recentMs = this.settings.commands.duplicateWindowMs / 2;
    const sink = {
      workflow: options.workflow,
      handle: async (command: CommandInput) => {
        const now = Date.now();
        const queuedAt = this.recent.get(command.commandId);
        if (queuedAt !== undefined && now - queuedAt < recentMs) return;
        const receipt = await this.bus.publish(command);
        this.recent.set(command.commandId, now);
        this.counts.published++;
        if (receipt.duplicate) this.counts.duplicates++;
      },
    };
    this.timers = new TimerWorker(sink, options.runner, options.readModels, { clock: options.clock });
  }

  /** Queues the command of every deadline due at `now` (default: the clock's now), if this worker holds the lease. */
  async scan(now?: Date): Promise<DeadlineScan> {
    if ((this.options.lease ?? true) && !(await this.acquire())) return { scanned: false, published: 0, duplicates: 0 };
    this.counts = { published: 0, duplicates: 0 };
    const horizon = Date.now() - this.settings.commands.duplicateWindowMs;
    for (const [id, at] of this.recent) if (at < horizon) this.recent.delete(id);
    await this.timers.runDue(now);
    return { scanned: true, ...this.counts };
  }

  /** Scans every `intervalMs` (default 1 s) until `signal` aborts, surviving failures; gives the lease up at the end. */
  async run(options: { signal: AbortSignal; intervalMs?: number; onScan?: (scan: DeadlineScan) => void; onError?: (error: unknown) => void }): Promise<void> {
    let failures = 0;
    while (!options.signal.aborted) {
      let wait = options.intervalMs ?? 1_000;
      try {
        const scan = await this.scan(); // not inside `onScan?.(...)`: without onScan that would skip the scan
        options.onScan?.(scan);
        failures = 0;
      } catch (error) {
        options.onError?.(error);
        wait = Math.max(wait, backoffDelay(++failures));
      }
      await pause(wait, options.signal);
    }
    await this.release();
  }

  /** Gives the lease up, so that another worker takes over at once. */
  async release(): Promise<void> {
    await this.lease?.release();
  }

  private async acquire(): Promise<boolean> {
    try {
      if (!this.lease) {
        const kv = await new Kvm(this.nc).open(subjectsOf(this.settings).leaseBucket);
        this.lease = new KvLease(kv, 'deadlines', this.owner);
      }
      return await this.lease.acquire();
    } catch (error) {
      throw natsFailure('cannot take the deadline lease', error);
    }
  }
}
