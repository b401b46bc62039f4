import type { NatsConnection } from '@nats-io/transport-node';
import type { CommandInput } from '@interlend/engine';
import { COMMAND_PARTY, type IllCommandType } from '@interlend/ill';
import type { CommandOutcome, NatsSettings } from '@interlend/nats';
import { intFlag } from './args';
import { UsageError, type CliIo } from './io';

/**
 * The NATS client, loaded when a command speaks NATS: `submit`, `act` and `timers` without --nats
 * do not load it (about 110 ms).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const nats = (): typeof import('@interlend/nats') => require('@interlend/nats');

/** The flags every NATS-speaking command takes. */
export const NATS_FLAGS = {
  nats: { type: 'string' },
  prefix: { type: 'string' },
  replicas: { type: 'string' },
} as const;

export const NATS_USAGE = '[--nats URL[,URL...]] [--prefix P] [--replicas 1|3]';
export const NATS_HELP = `  --nats URL        send through NATS to the workers (a comma list: every server of a cluster);
                    also INTERLEND_NATS. User and password come from NATS_USER and NATS_PASSWORD.
  --prefix P        the subject prefix the workers use (default interlend)
  --replicas N      stream replicas when the streams are created: 1, or 3 on a 3-server cluster`;

/** The NATS URL from --nats or INTERLEND_NATS, if any. */
export function natsUrl(io: CliIo, flag: string | undefined): string | undefined {
  const url = flag ?? io.env.INTERLEND_NATS;
  if (url === undefined || url === '') return undefined;
  for (const part of url.split(',')) {
    if (!/^(nats|tls|ws|wss):\/\/[^\s/]+$|^[^\s/:]+(:\d+)?$/.test(part.trim())) throw new UsageError(`--nats: '${part}' is not a NATS server URL (e.g. nats://127.0.0.1:4222)`);
  }
  return url;
}

export function natsSettings(values: { prefix?: string; replicas?: string }): NatsSettings {
  const replicas = intFlag(values.replicas, 'replicas', 1, 1, 5);
  try {
    return nats().resolveSettings({ prefix: values.prefix, replicas });
  } catch (error) {
    throw new UsageError(`--prefix: ${(error as Error).message}`);
  }
}

/** Connects with the credentials of the environment (never on the command line, where `ps` shows them). */
export function connect(io: CliIo, url: string, name: string): Promise<NatsConnection> {
  const user = io.env.NATS_USER || undefined;
  const pass = io.env.NATS_PASSWORD || undefined;
  const token = io.env.NATS_TOKEN || undefined;
  return nats().connectNats(url, { name, ...(user ? { user, pass } : {}), ...(token ? { token } : {}) });
}

/**
 * Has a worker apply one command and returns the outcome (or the engine's typed error, which the
 * CLI reports as it reports a refusal in one process). No answer in time is a STORE error that
 * says the command may have been applied: sending it again with the same --command-id is safe.
 */
export async function sendThroughNats(io: CliIo, url: string, settings: NatsSettings, command: CommandInput): Promise<CommandOutcome> {
  const nc = await connect(io, url, 'interlend-cli');
  try {
    return await new (nats().NatsCommandBus)(nc, { settings }).request(command);
  } finally {
    await nc.drain().catch(() => nc.close());
  }
}

/** The commands a person may send now, from a worker's answer (those only the timer service sends left out). */
export function allowedFromOutcome(outcome: CommandOutcome): string[] {
  return (outcome.allowed ?? []).filter((type) => COMMAND_PARTY[type as IllCommandType] !== 'system');
}
