import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';

/**
 * Access control on NATS: the nats-server `authorization { users = [...] }` block for the
 * engine's users, with permissions that follow the subject scheme (`Subjects`) exactly.
 *
 * - worker: everything under the prefix, the JetStream API, acks (pull consumers only), the
 *   lease bucket, its inbox; answers requests (`allow_responses`).
 * - api: publishes commands and requests for any library, reads the feed, effects and news
 *   (live, and through its own JetStream consumers on the EVENTS and EFFECTS streams only).
 * - library (one library's dashboard): publishes nothing; subscribes to its own events (one
 *   subject per party slot), effects and news only. No JetStream API and no inbox: see
 *   docs/nats-access.md for why (any `$JS.API` publish lets a user make the server write to any
 *   subject through the reply subject, COMMANDS included; `_INBOX.>` would show it the replies
 *   sent to every other client).
 * - auditor: publishes nothing; subscribes to everyone's events, effects, news and dead letters.
 *
 * Pure: the same input gives the same text (docs/nats-access.md, deploy/nats/).
 */
export type NatsRole = 'worker' | 'api' | 'library' | 'auditor';

export interface NatsUser {
  readonly user: string;
  /** Plain text or a bcrypt hash (`$2a$...`, from `nats server passwd`). */
  readonly password: string;
  readonly role: NatsRole;
  /** The library code of a `library` user (its dashboard); only for that role. */
  readonly library?: string;
}

export interface NatsPermissions {
  readonly publish: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
  readonly subscribe: { readonly allow?: readonly string[]; readonly deny?: readonly string[] };
  /** May publish to the reply subject of a request it received (a worker answering `rpc`). */
  readonly allowResponses?: boolean;
}

export interface NatsAuthorizationInput {
  /** For the prefix, the party slots and the stream and bucket names. Default: the defaults. */
  readonly settings?: NatsSettingsInput | NatsSettings;
  readonly users: readonly NatsUser[];
}

/** The default inbox of request/reply callers (nats.js `createInbox()`); workers and the api use it. */
const INBOX = '_INBOX';

/** JetStream API subjects a consumer of one stream needs: its own consumers (create, info, delete, pull), stream info, message get, acks. */
function jetStreamReader(stream: string): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    // the 2.9 "extended" create (name and filter in the subject), the older ephemeral and durable forms
    `$JS.API.CONSUMER.CREATE.${stream}`,
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DURABLE.CREATE.${stream}.*`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    `$JS.API.CONSUMER.DELETE.${stream}.*`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.*`,
    `$JS.ACK.${stream}.>`,
  ];
}

/** The permissions of one role (a `library` user needs its library code). */
export function natsPermissions(user: Pick<NatsUser, 'role' | 'library'>, settings: NatsSettingsInput | NatsSettings = {}): NatsPermissions {
  const resolved = resolveSettings(settings);
  const s = subjectsOf(resolved);
  const p = s.prefix;
  if (user.role !== 'library' && user.library !== undefined) throw new TypeError(`only a library user names a library (role '${user.role}')`);
  switch (user.role) {
    case 'worker':
      return {
        publish: { allow: [`${p}.>`, '$JS.API.>', '$JS.ACK.>', `$KV.${s.leaseBucket}.>`, `${INBOX}.>`] },
        subscribe: { allow: [`${p}.>`, `${INBOX}.>`] },
        allowResponses: true,
      };
    case 'api':
      return {
        publish: {
          allow: [s.commandsAll, s.rpcAll, '$JS.API.INFO', ...jetStreamReader(s.streamName('EVENTS')), ...jetStreamReader(s.streamName('EFFECTS'))],
        },
        subscribe: { allow: [s.eventsAll, s.effectsAll, `${p}.news.>`, `${INBOX}.>`] },
      };
    case 'library': {
      if (user.library === undefined || user.library === '') throw new TypeError("a library user needs its library's code ('library')");
      return {
        publish: { deny: ['>'] },
        subscribe: { allow: [...s.eventsOf(user.library), s.effectsOf(user.library), s.newsOf(user.library)] },
      };
    }
    case 'auditor':
      return {
        publish: { deny: ['>'] },
        subscribe: { allow: [s.eventsAll, s.effectsAll, `${p}.news.>`, s.deadAll] },
      };
    default:
      throw new TypeError(`unknown role '${String((user as { role: unknown }).role)}'`);
  }
}

const isControl = (value: string) => [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A double-quoted string of nats-server's configuration syntax (it knows `\"` and `\\`; `$` is literal inside quotes). */
function quoted(value: string, what: string): string {
  if (isControl(value)) throw new TypeError(`${what} contains a control character`);
  if (LONE_SURROGATE.test(value)) throw new TypeError(`${what} is not well-formed Unicode`);
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `name: { allow: [...], deny: [...] }`, a list of more than four subjects one per line. */
function rule(name: string, r: NatsPermissions['publish']): string[] {
  const entries = (['allow', 'deny'] as const).filter((k) => r[k] !== undefined).map((k) => [k, r[k]!.map((v) => quoted(v, 'a subject'))] as const);
  if (entries.every(([, values]) => values.length <= 4)) return [`${name}: { ${entries.map(([k, values]) => `${k}: [${values.join(', ')}]`).join(', ')} }`];
  return [`${name}: {`, ...entries.flatMap(([k, values]) => [`  ${k}: [`, ...values.map((v) => `    ${v}`), '  ]']), '}'];
}

/**
 * The `authorization { users = [...] }` block of a nats-server configuration for these users.
 * User names must be distinct and non-empty; a `library` user names its library.
 */
export function natsAuthorization(input: NatsAuthorizationInput): string {
  const settings = resolveSettings(input.settings ?? {});
  const seen = new Set<string>();
  const out = [
    `# Generated by natsAuthorization() in @interlend/nats (packages/nats/src/access.ts): prefix '${settings.prefix}', ${settings.partySlots} party slots.`,
    '# Generate it again for your own users and passwords rather than editing permissions by hand (docs/nats-access.md).',
    'authorization {',
    '  users = [',
  ];
  for (const user of input.users) {
    if (user.user === '') throw new TypeError('a user name must not be empty');
    if (user.password === '') throw new TypeError(`user '${user.user}' has no password`);
    if (seen.has(user.user)) throw new TypeError(`user '${user.user}' appears twice`);
    seen.add(user.user);
    const perms = natsPermissions(user, settings);
    const label = user.role === 'library' ? `the dashboard of library ${JSON.stringify(user.library)}: its own events, effects and news; sends nothing` : ROLE_NOTES[user.role];
    out.push(
      `    # ${user.role}: ${label}`,
      '    {',
      `      user: ${quoted(user.user, `user name '${user.user}'`)}`,
      `      password: ${quoted(user.password, `the password of '${user.user}'`)}`,
      '      permissions: {',
      ...rule('publish', perms.publish).map((l) => `        ${l}`),
      ...rule('subscribe', perms.subscribe).map((l) => `        ${l}`),
      ...(perms.allowResponses ? ['        allow_responses: true'] : []),
      '      }',
      '    }',
    );
  }
  out.push('  ]', '}');
  return out.join('\n') + '\n';
}

const ROLE_NOTES: Record<Exclude<NatsRole, 'library'>, string> = {
  worker: 'applies commands, relays events, delivers effects and news, runs the deadline scan',
  api: 'sends commands and requests for any library; reads the feed, effects and news',
  auditor: "reads everyone's events, effects, news and dead letters; sends nothing",
};
