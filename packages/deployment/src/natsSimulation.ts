import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager, type ConsumerMessages } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { CommandHandler, OverlayReadModelStore, ProjectionRunner, StoreError, TimerWorker, isStoreError, type EventStore, type ReadModelStore } from '@interlend/engine';
import { illRequestWorkflow, type SimulationEngine, type SimulationNotice, type SimulationSetup } from '@interlend/ill';
import { EffectMessageSchema, NatsCommandBus, SimulatedClockSender, decode, requestTimerRun, subjectsOf, type EffectMessage, type NatsSettings } from '@interlend/nats';

export interface NatsSimulationOptions {
  readonly nc: NatsConnection;
  readonly settings: NatsSettings;
  /** The log as the workers write it, opened for reading only: the simulation reads, the workers write. */
  readonly events: EventStore;
  readonly readModels: ReadModelStore;
  readonly setup: SimulationSetup;
  /** The key the simulation's workers were started with, and how many there are. */
  readonly clockKey: string;
  readonly workers: number;
  /** How long to wait for the workers to carry out the effects of a command. Default 60 s. */
  readonly settleTimeoutMs?: number;
}

/**
 * The simulation's engine behind NATS: every change goes through the workers (commands by
 * request/reply, deadlines by `timers run`), at the simulated time the simulation signs and every
 * worker takes before the next command; what the libraries learn comes from the effects the
 * workers deliver on their subjects. The simulation reads the log (states, pending deadlines)
 * without writing, and waits after each change until the workers carried out its effects, so
 * it sees the same things in the same order as in one process.
 */
export async function natsSimulationEngine(options: NatsSimulationOptions): Promise<SimulationEngine & { close(): Promise<void> }> {
  const { nc, settings, events, setup } = options;
  const subjects = subjectsOf(settings);
  const bus = new NatsCommandBus(nc, { settings, requestTimeoutMs: 60_000 });
  const clock = new SimulatedClockSender(nc, { key: options.clockKey, workers: options.workers, settings });
  const reader = new CommandHandler({ workflow: illRequestWorkflow, store: events, services: { directory: setup.directory } });
  const overlay = new OverlayReadModelStore(options.readModels);
  const timers = new TimerWorker({ workflow: illRequestWorkflow, handle: () => Promise.reject(new Error('the simulation fires no deadline itself')) }, new ProjectionRunner(events, overlay), overlay, { clock: setup.clock });
  const effectsStream = subjects.streamName('EFFECTS');
  const jsm = await jetstreamManager(nc);
  const consumer = await jetstream(nc).consumers.get(effectsStream);
  const received: EffectMessage[] = [];
  let lastSeq = 0;
  let messages: ConsumerMessages | undefined = await consumer.consume();
  const pump = (async () => {
    for await (const m of messages!) {
      lastSeq = Math.max(lastSeq, m.seq);
      received.push(decode(EffectMessageSchema, m.data, 'effect'));
    }
  })();
  const seen = new Set<string>();
  const timeoutMs = options.settleTimeoutMs ?? 60_000;
  let clockAt = -1;

  const moveClock = async (now: Date) => {
    if (now.getTime() === clockAt) return;
    await clock.set(now);
    clockAt = now.getTime();
  };

  /** Until the workers carried out the effects of everything in the log, and they reached this side. */
  const barrier = async () => {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 0; ; wait = Math.min(wait + 1, 10)) {
      const head = await events.headPosition();
      const done = await options.readModels.checkpoint('engine.effects');
      if (done >= head && (await events.headPosition()) === head) break;
      if (Date.now() > deadline) throw new StoreError(`the workers did not carry out the effects up to position ${head} within ${timeoutMs} ms (at ${done})`, { head, done });
      await sleep(wait);
    }
    // The stream's last sequence, asked again while a cluster elects the stream's new leader.
    let last: number | undefined;
    while (last === undefined) {
      try {
        last = (await jsm.streams.info(effectsStream)).state.last_seq;
      } catch (error) {
        if (Date.now() > deadline) throw new StoreError(`cannot read the effects stream ${effectsStream}: ${(error as Error)?.message ?? String(error)}`, { stream: effectsStream }, { cause: error });
        await sleep(250);
      }
    }
    // The consumer delivers them; one that stalls (its server lost while a cluster elects a new
    // leader) is passed by reading the missing messages by sequence. Duplicates are dropped by
    // effect id in `settle`.
    let progressAt = Date.now();
    let progressSeq = lastSeq;
    while (lastSeq < last) {
      if (Date.now() > deadline) throw new StoreError(`effects up to ${last} did not arrive within ${timeoutMs} ms (at ${lastSeq})`, { last, lastSeq });
      if (lastSeq !== progressSeq) [progressSeq, progressAt] = [lastSeq, Date.now()];
      if (Date.now() - progressAt > 1_000) {
        for (let seq = lastSeq + 1; seq <= last; seq++) {
          let m;
          try {
            m = await jsm.streams.getMessage(effectsStream, { seq });
          } catch (error) {
            if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.NoMessageFound)) break; // not answered now (a leader election): the next round asks again
            m = null; // a sequence without a message: nothing to carry
          }
          if (m) received.push(decode(EffectMessageSchema, m.data, 'effect'));
          lastSeq = Math.max(lastSeq, seq);
        }
        progressAt = Date.now() - 900;
        continue;
      }
      await sleep(1);
    }
  };

  return {
    send: async (command, now) => {
      await moveClock(now);
      const outcome = await again(() => bus.request(command, { timeoutMs: 15_000 }), ['timeout', 'no_responders']);
      return { stateName: outcome.state.name };
    },
    stateOf: async (requestId) => (await reader.load(requestId))?.stateName,
    nextDueAt: () => timers.nextDueAt(),
    runDue: async (now) => {
      await moveClock(now);
      // Only a run that never reached a worker is asked again: a second run after a timeout would
      // find the first one's deadlines already fired and count them differently.
      const run = await again(() => requestTimerRun(nc, { settings }), ['no_responders']);
      return { fired: run.fired, refusals: run.refusals.map((r) => ({ requestId: r.streamId, deadline: r.name, error: r.error })) };
    },
    settle: async () => {
      await barrier();
      const notices: { at: [number, number]; notice: SimulationNotice }[] = [];
      for (const effect of received.splice(0)) {
        if (seen.has(effect.effectId)) continue;
        seen.add(effect.effectId);
        const at: [number, number] = [effect.position, Number(effect.effectId.split(':').at(-1))];
        const p = effect.params;
        if (effect.type === 'notifyLender') notices.push({ at, notice: { type: 'notifyLender', requestId: String(p.requestId), library: String(p.library), position: Number(p.position) } });
        else if (effect.type === 'startReRequest') notices.push({ at, notice: { type: 'reRequested', requestId: String(p.newRequestId), relatedRequestId: String(p.requestId) } });
        else if (effect.type === 'notifyBorrower' && p.about === 'supplyOverdue') notices.push({ at, notice: { type: 'supplyOverdue', requestId: String(p.requestId), lender: String(p.lender), position: Number(p.position) } });
      }
      // In log order, as one process would have carried them out.
      return notices.sort((a, b) => a.at[0] - b.at[0] || a.at[1] - b.at[1]).map((n) => n.notice);
    },
    headPosition: () => events.headPosition(),
    finish: barrier,
    close: async () => {
      await messages?.close();
      messages = undefined;
      await pump.catch(() => undefined);
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `request` again, for up to 2 minutes, when it failed for one of `reasons` (a StoreError's
 * `details.reason`): while a cluster loses a server, a request can find no responder (the workers
 * are reconnecting) or go unanswered (its server died with it). A command sent again with the
 * same command id is applied once: the engine answers a duplicate with the first result.
 */
async function again<T>(request: () => Promise<T>, reasons: readonly string[]): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const reason = isStoreError(error) ? (error.details as { reason?: unknown }).reason : undefined;
      if (typeof reason !== 'string' || !reasons.includes(reason) || Date.now() > deadline) throw error;
      await sleep(Math.min(1_000, 100 * attempt));
    }
  }
}
