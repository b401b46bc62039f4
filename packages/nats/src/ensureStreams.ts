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
import { natsFailure } from './errorBodies';
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
 * these settings. Safe to run from every worker at start. Returns the settings used.
 */
export async function ensureStreams(jsm: JetStreamManager, input: NatsSettingsInput | NatsSettings = {}): Promise<NatsSettings> {
  const settings = resolveSettings(input);
  try {
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
  } catch (error) {
    throw natsFailure('cannot set up the JetStream streams', error);
  }
  return settings;
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
