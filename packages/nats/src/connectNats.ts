import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { natsFailure } from './errorBodies';

export interface ConnectNatsOptions extends Partial<ConnectionOptions> {
  /** Shown in the server's connection list (`nats server report connections`). */
  readonly name?: string;
}

/**
 * Connects to NATS (one URL, a comma-separated list, or an array: every server of a cluster).
 * Reconnects for ever by default: a worker outlives a server restart or the loss of one node.
 * A server that cannot be reached at start is the engine's StoreError.
 */
export async function connectNats(url: string | readonly string[], options: ConnectNatsOptions = {}): Promise<NatsConnection> {
  const servers = typeof url === 'string' ? url.split(',').map((s) => s.trim()).filter(Boolean) : [...url];
  try {
    return await connect({
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: false,
      ...options,
      servers,
      name: options.name ?? 'interlend',
    });
  } catch (error) {
    throw natsFailure(`cannot connect to NATS at ${servers.join(', ')}`, error, { servers });
  }
}
