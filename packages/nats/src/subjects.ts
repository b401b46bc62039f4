/**
 * The subject scheme. Every subject starts with a prefix (default `interlend`); every variable
 * part is one token made safe by `token()`. `~` stands for "no party".
 *
 *   <p>.commands.<actor>.<type>                  work queue (JetStream stream COMMANDS)
 *   <p>.rpc.<actor>.<type>                       request/reply (core NATS, queue group of the workers)
 *   <p>.events.<party1>.<party2>.<stream>.<type> event feed (stream EVENTS), parties padded to `partySlots`
 *   <p>.effects.<party>.<effect>                 effect deliveries (stream EFFECTS)
 *   <p>.news.<party>.<projection...>             read-model news (core NATS; `~` = every change)
 *   <p>.dead.<origin>.<kind>                     dead letters (stream DEAD_LETTERS)
 *   <p>.timers.run                               request: fire the deadlines due now (core NATS, queue group)
 *   <p>.clock.set                                request to every simulation worker: the simulated time (signed)
 */
export const DEFAULT_PREFIX = 'interlend';
/** The token that stands for "no party" (never produced by `token()`). */
export const NO_PARTY = '~';

const SAFE = /^[A-Za-z0-9_-]+$/;
const UTF8 = new TextEncoder();

/**
 * One subject token for any string: letters, digits, `_` and `-` are kept, every other UTF-8
 * byte becomes `%HH` (so `.`, `*`, `>`, spaces and `~` never appear). Reversible with `untoken`.
 */
export function token(value: string): string {
  if (SAFE.test(value)) return value;
  if (value === '') return '%';
  let out = '';
  for (const ch of value) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of UTF8.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function untoken(value: string): string {
  if (value === '%') return '';
  return value.includes('%') ? decodeURIComponent(value) : value;
}

/** A dotted name (a projection such as `ill.requests`) as one or more tokens. */
const dotted = (name: string): string => name.split('.').map(token).join('.');

export function checkPrefix(prefix: string): string {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(prefix)) {
    throw new TypeError(`subject prefix '${prefix}' must be dot-separated tokens of letters, digits, '_' and '-'`);
  }
  return prefix;
}

/** Subjects and stream names under one prefix. */
export class Subjects {
  readonly prefix: string;
  readonly partySlots: number;
  constructor(prefix: string = DEFAULT_PREFIX, options: { partySlots?: number } = {}) {
    this.prefix = checkPrefix(prefix);
    this.partySlots = options.partySlots ?? 2;
  }

  /** Stream names: `INTERLEND_COMMANDS`, ... (prefix upper-cased, dots as `_`). */
  streamName(kind: 'COMMANDS' | 'EVENTS' | 'EFFECTS' | 'DEAD_LETTERS'): string {
    return `${this.prefix.replace(/[.-]/g, '_').toUpperCase()}_${kind}`;
  }

  /** Name of the KV bucket of leases. */
  get leaseBucket(): string {
    return `${this.prefix.replace(/\./g, '_')}-leases`;
  }

  command(actorId: string, type: string): string {
    return `${this.prefix}.commands.${token(actorId)}.${token(type)}`;
  }
  get commandsAll(): string {
    return `${this.prefix}.commands.>`;
  }

  rpc(actorId: string, type: string): string {
    return `${this.prefix}.rpc.${token(actorId)}.${token(type)}`;
  }
  get rpcAll(): string {
    return `${this.prefix}.rpc.>`;
  }

  /** Parties beyond `partySlots` are left out of the subject (they are still in the header). */
  event(parties: readonly string[], streamId: string, type: string): string {
    const slots = Array.from({ length: this.partySlots }, (_, i) => (parties[i] ? token(parties[i]!) : NO_PARTY));
    return `${this.prefix}.events.${slots.join('.')}.${token(streamId)}.${token(type)}`;
  }
  get eventsAll(): string {
    return `${this.prefix}.events.>`;
  }
  /** Filters for one party's events: one per slot (a 2.9 consumer takes one filter subject: one consumer each). */
  eventsOf(party: string): string[] {
    return Array.from({ length: this.partySlots }, (_, i) => {
      const slots = Array.from({ length: this.partySlots }, (_, j) => (j === i ? token(party) : '*'));
      return `${this.prefix}.events.${slots.join('.')}.*.*`;
    });
  }

  effect(party: string | undefined, effectType: string): string {
    return `${this.prefix}.effects.${party ? token(party) : NO_PARTY}.${token(effectType)}`;
  }
  get effectsAll(): string {
    return `${this.prefix}.effects.>`;
  }
  effectsOf(party: string): string {
    return `${this.prefix}.effects.${token(party)}.>`;
  }

  news(party: string | undefined, projection: string): string {
    return `${this.prefix}.news.${party ? token(party) : NO_PARTY}.${dotted(projection)}`;
  }
  newsOf(party: string | undefined): string {
    return `${this.prefix}.news.${party ? token(party) : NO_PARTY}.>`;
  }

  /** Request/reply: a worker of the timers role fires the deadlines due at its clock's now. */
  get timersRun(): string {
    return `${this.prefix}.timers.run`;
  }

  /** Request to every worker that follows a simulated clock (never answered by ordinary workers). */
  get clockSet(): string {
    return `${this.prefix}.clock.set`;
  }

  dead(origin: string, kind: string): string {
    return `${this.prefix}.dead.${token(origin)}.${token(kind)}`;
  }
  /** A filter of dead letters: every one, one origin's, or one origin's of one kind. */
  deadFilter(origin?: string, kind?: string): string {
    return `${this.prefix}.dead.${origin ? token(origin) : '*'}.${kind ? token(kind) : '*'}`;
  }
  get deadAll(): string {
    return `${this.prefix}.dead.>`;
  }

  /** The actor token of a command or rpc subject (third token after the prefix). */
  actorTokenOf(subject: string): string | undefined {
    const rest = subject.startsWith(`${this.prefix}.`) ? subject.slice(this.prefix.length + 1).split('.') : [];
    return rest.length === 3 && (rest[0] === 'commands' || rest[0] === 'rpc') ? rest[1] : undefined;
  }
}

/** Header names set on published messages. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  stream: 'Interlend-Stream',
  revision: 'Interlend-Revision',
  position: 'Interlend-Position',
  eventType: 'Interlend-Event-Type',
  eventId: 'Interlend-Event-Id',
  /** Comma-separated, each party `token()`-encoded. */
  parties: 'Interlend-Parties',
  effectId: 'Interlend-Effect-Id',
  commandId: 'Interlend-Command-Id',
} as const;
