import type { CommandInput } from '@interlend/engine';
import { NatsCommandBus, connectNats, resolveSettings, type CommandOutcome, type NatsSettingsInput } from '@interlend/nats';

/** Sends commands to the NATS workers over one long-lived connection (the API with `--nats`). */
export interface NatsCommandSender {
  /** Has a worker apply the command; a refusal comes back as the engine's typed error. */
  request(command: CommandInput): Promise<CommandOutcome>;
  close(): Promise<void>;
}

export interface NatsCommandSenderOptions {
  readonly url: string;
  /** The connection's name, as the server lists it. */
  readonly name?: string;
  readonly settings?: NatsSettingsInput;
  /** Credentials (from the environment: never a command-line flag). */
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  readonly requestTimeoutMs?: number;
}

/** Connects to NATS and returns a sender; `close` drains the connection. */
export async function connectNatsCommandSender(options: NatsCommandSenderOptions): Promise<NatsCommandSender> {
  const nc = await connectNats(options.url, {
    name: options.name ?? 'interlend-api',
    ...(options.user ? { user: options.user, pass: options.pass } : {}),
    ...(options.token ? { token: options.token } : {}),
  });
  const bus = new NatsCommandBus(nc, { settings: resolveSettings(options.settings ?? {}), requestTimeoutMs: options.requestTimeoutMs });
  return {
    request: (command) => bus.request(command),
    close: async () => {
      await nc.drain().catch(() => nc.close());
    },
  };
}
