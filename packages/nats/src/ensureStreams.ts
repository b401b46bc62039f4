import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  ReplayPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { NoRespondersError, TimeoutError } from '@nats-io/transport-node';
import { natsFailure } from './errorBodies';
import { backoffDelay, pause } from './pause';
import { nanos, resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';

type StreamSpec = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

/** The stream configurations for these settings (what `ensureStreams` creates or updates). */
export function streamConfigs(settings: NatsSettings): StreamSpec[] {
  const s = subjectsOf(settings);
  const base = { storage: StorageType.File, num_replicas: settings.replicas, max_msgs: -1, max_msgs_per_subject: -1, allow_direct: true };
  return [
    {
      ...base,
      name: s.streamName('COMMANDS'),
      description: 'Commands waiting for a worker (work queue: removed when a worker acknowledges them)',
      subjects: [s.commandsAll],
      retention: RetentionPolicy.Workqueue,
      discard: DiscardPolicy.New,
      max_bytes: settings.commands.maxBytes,
      max_age: 0,
      duplicate_window: nanos(settings.commands.duplicateWindowMs),
    },
    {
      ...base,
      name: s.streamName('EVENTS'),
      description: 'Every committed event, once, in log order (published by the relay)',
      subjects: [s.eventsAll],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_bytes: -1,
      max_age: nanos(settings.events.maxAgeMs),
      duplicate_window: nanos(settings.events.duplicateWindowMs),
    },
    {
      ...base,
      name: s.streamName('EFFECTS'),
      description: 'Effects delivered to parties after their events committed',
      subjects: [s.effectsAll],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_bytes: -1,
      max_age: nanos(settings.effects.maxAgeMs),
      duplicate_window: nanos(settings.effects.duplicateWindowMs),
    },
    {
      ...base,
      name: s.streamName('DEAD_LETTERS'),
      description: 'Messages that will never be carried out, with the reason',
      subjects: [s.deadAll],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_bytes: -1,
      max_age: nanos(settings.deadLetters.maxAgeMs),
      duplicate_window: nanos(Math.min(2 * 60_000, settings.deadLetters.maxAgeMs)),
    },
  ];
}

/** The shared durable pull consumer of the command work queue. */
export function commandConsumerConfig(settings: NatsSettings): Partial<ConsumerConfig> & { durable_name: string } {
  const c = settings.commands;
  return {
    durable_name: c.durable,
    description: 'Every worker pulls commands from this one consumer',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    ack_wait: nanos(c.ackWaitMs),
    backoff: c.backoffMs.map(nanos),
    max_deliver: c.maxDeliver,
    max_ack_pending: c.maxAckPending,
    max_batch: c.maxBatch,
    max_waiting: 512,
    num_replicas: 0,
  };
}

/**
 * Creates the streams, the command consumer and the lease bucket, or brings existing ones to
 * these settings. Safe to run from every worker at start, at once: a replicated stream on a
 * cluster that has just started can take seconds to elect its leader, and two workers can race
 * to create the same stream, so a timeout, a JetStream that is not ready yet (503) or a lost
 * creation race is tried again, with backoff, until `withinMs` (60 s) has passed. Returns the
 * settings used.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  input: NatsSettingsInput | NatsSettings = {},
  options: { withinMs?: number; signal?: AbortSignal } = {},
): Promise<NatsSettings> {
  const settings = resolveSettings(input);
  const deadline = Date.now() + (options.withinMs ?? 60_000);
  for (let failures = 1; ; failures++) {
    try {
      await setUp(jsm, settings);
      return settings;
    } catch (error) {
      const delay = backoffDelay(failures, 250, 4_000);
      if (!isTransient(error) || Date.now() + delay > deadline || options.signal?.aborted) {
        throw natsFailure(failures > 1 ? `cannot set up the JetStream streams (${failures} attempts)` : 'cannot set up the JetStream streams', error);
      }
      await pause(delay, options.signal);
    }
  }
}

/**
 * Errors that another attempt can get past: no answer yet, JetStream or its cluster not ready
 * (503; 10008), another worker created it first. Not a 500, which JetStream also gives for a
 * setting the server refuses for good (replicas beyond its cluster, say).
 */
function isTransient(error: unknown): boolean {
  if (error instanceof TimeoutError || error instanceof NoRespondersError) return true;
  if (error instanceof JetStreamApiError) return error.status === 503 || error.code === 10008 || CREATION_RACE.has(error.code);
  return false;
}

/** Stream name already in use (10058), consumer already exists (10105, 10013, 10148): another worker got there first. */
const CREATION_RACE = new Set([10058, 10105, 10013, 10148]);

async function setUp(jsm: JetStreamManager, settings: NatsSettings): Promise<void> {
  for (const config of streamConfigs(settings)) {
    if (await exists(() => jsm.streams.info(config.name))) {
      const { name, retention: _r, storage: _s, ...update } = config;
      await jsm.streams.update(name, update);
    } else {
      await jsm.streams.add(config);
    }
  }
  const stream = subjectsOf(settings).streamName('COMMANDS');
  const consumer = commandConsumerConfig(settings);
  if (await exists(() => jsm.consumers.info(stream, consumer.durable_name))) {
    const { durable_name, ack_policy: _a, deliver_policy: _d, replay_policy: _p, ...update } = consumer;
    await jsm.consumers.update(stream, durable_name, update);
  } else {
    await jsm.consumers.add(stream, consumer);
  }
  await new Kvm(jsm.jetstream()).create(subjectsOf(settings).leaseBucket, {
    history: 1,
    ttl: settings.leases.ttlMs,
    replicas: settings.replicas,
    description: 'Leases of singleton jobs (the deadline scan)',
  });
}

async function exists(info: () => Promise<unknown>): Promise<boolean> {
  try {
    await info();
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound)) return false;
    throw error;
  }
}
