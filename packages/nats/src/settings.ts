import { Subjects } from './subjects';

/**
 * Stream, consumer and lease settings. Every value is explicit (none is left to a server default)
 * and docs/nats.md says why each one is what it is.
 */
export interface NatsSettings {
  /** First token(s) of every subject. Default 'interlend'. */
  readonly prefix: string;
  /** Parties named in an event's subject. Default 2 (for ILL: borrower, current lender). */
  readonly partySlots: number;
  /** Stream replicas: 1 on one server, 3 on a three-server cluster. */
  readonly replicas: number;
  readonly commands: {
    /** The durable pull consumer every worker shares. */
    readonly durable: string;
    /** How long a delivered command may stay unacknowledged; workers call working() every third of it. */
    readonly ackWaitMs: number;
    /**
     * The consumer's redelivery backoff. Default none, on purpose: nats-server 2.9.10 with a
     * backoff honours a worker's nak delay only for the first redelivery and then waits the
     * backoff step instead (measured: nak(100 ms) redelivered after 5 s and 20 s with backoff
     * [5 s, 10 s, 20 s], after 0.1 s each time without). Workers space their retries by nak delay,
     * and a command whose worker died comes back after the ack wait. When set, its first step is
     * the ack wait (the server treats it so).
     */
    readonly backoffMs: readonly number[];
    /** Deliveries after which a command is dead-lettered ('exhausted') without being tried again. */
    readonly maxDeliver: number;
    /** Commands delivered and not yet acknowledged, over all workers. */
    readonly maxAckPending: number;
    /** Largest pull a worker may ask for: caps any one worker's prefetch. */
    readonly maxBatch: number;
    /** Publishes with the same Nats-Msg-Id within this window are stored once. */
    readonly duplicateWindowMs: number;
    /** Bytes the work queue may hold; a publish beyond is refused (discard new), never an old command dropped. -1: no limit. */
    readonly maxBytes: number;
  };
  readonly events: { readonly maxAgeMs: number; readonly duplicateWindowMs: number };
  readonly effects: { readonly maxAgeMs: number; readonly duplicateWindowMs: number };
  readonly deadLetters: { readonly maxAgeMs: number };
  /** Leases (KV) of singleton jobs such as the deadline scan. */
  readonly leases: { readonly ttlMs: number };
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const DEFAULT_SETTINGS: NatsSettings = {
  prefix: 'interlend',
  partySlots: 2,
  replicas: 1,
  commands: {
    durable: 'workers',
    ackWaitMs: 30_000,
    backoffMs: [],
    maxDeliver: 20,
    maxAckPending: 256,
    maxBatch: 64,
    duplicateWindowMs: 2 * MINUTE,
    maxBytes: -1,
  },
  events: { maxAgeMs: 7 * DAY, duplicateWindowMs: 10 * MINUTE },
  effects: { maxAgeMs: 7 * DAY, duplicateWindowMs: 10 * MINUTE },
  deadLetters: { maxAgeMs: 90 * DAY },
  leases: { ttlMs: 15_000 },
};

export type NatsSettingsInput = Partial<Omit<NatsSettings, 'commands' | 'events' | 'effects' | 'deadLetters' | 'leases'>> & {
  readonly commands?: Partial<NatsSettings['commands']>;
  readonly events?: Partial<NatsSettings['events']>;
  readonly effects?: Partial<NatsSettings['effects']>;
  readonly deadLetters?: Partial<NatsSettings['deadLetters']>;
  readonly leases?: Partial<NatsSettings['leases']>;
};

/** The defaults with `input` laid over them. A backoff, when given, starts with the ack wait. */
export function resolveSettings(input: NatsSettingsInput = {}): NatsSettings {
  const d = DEFAULT_SETTINGS;
  const ackWaitMs = input.commands?.ackWaitMs ?? d.commands.ackWaitMs;
  const backoff = input.commands?.backoffMs ?? d.commands.backoffMs;
  const settings: NatsSettings = {
    prefix: input.prefix ?? d.prefix,
    partySlots: input.partySlots ?? d.partySlots,
    replicas: input.replicas ?? d.replicas,
    commands: { ...d.commands, ...input.commands, ackWaitMs, backoffMs: backoff.length ? [ackWaitMs, ...backoff.slice(1)] : [] },
    events: { ...d.events, ...input.events },
    effects: { ...d.effects, ...input.effects },
    deadLetters: { ...d.deadLetters, ...input.deadLetters },
    leases: { ...d.leases, ...input.leases },
  };
  if (settings.commands.maxDeliver <= settings.commands.backoffMs.length) {
    throw new TypeError(`commands.maxDeliver (${settings.commands.maxDeliver}) must exceed the number of backoff steps (${settings.commands.backoffMs.length})`);
  }
  new Subjects(settings.prefix); // checks the prefix
  return settings;
}

export const subjectsOf = (settings: NatsSettings): Subjects => new Subjects(settings.prefix, { partySlots: settings.partySlots });

/** Milliseconds as the nanoseconds JetStream's API takes. */
export const nanos = (ms: number): number => Math.round(ms * 1_000_000);
