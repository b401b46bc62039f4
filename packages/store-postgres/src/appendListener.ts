import { Client } from 'pg';
import type { ClientConfig, Notification } from 'pg';
import { APPEND_CHANNEL } from './appendEvents';

/**
 * One dedicated connection that LISTENs to the append channel and reports each notified head.
 * Started on first use; when the connection breaks it is dropped and made again on the next
 * `ensure()` (the store's fallback poll calls it), so a restarted server is listened to again.
 */
export class AppendListener {
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly config: ClientConfig,
    private readonly onHead: (head: number) => void,
    private readonly onError: (error: Error) => void = () => undefined,
  ) {}

  /** Whether a LISTEN is in place now. */
  get listening(): boolean {
    return this.client !== undefined && this.connecting === undefined;
  }

  /** Resolves once LISTEN is in place (at once when it already is). Rejects when the connection cannot be made. */
  ensure(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.connecting) return this.connecting;
    if (this.client) return Promise.resolve();
    const client = new Client({ ...this.config, application_name: `${this.config.application_name ?? 'interlend'}-listen` });
    const drop = (error: Error): void => {
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      this.onError(error);
    };
    client.on('error', drop);
    client.on('end', () => {
      if (this.client === client) this.client = undefined;
    });
    client.on('notification', (message: Notification) => {
      const head = Number(message.payload);
      if (message.channel === APPEND_CHANNEL && Number.isFinite(head)) this.onHead(head);
    });
    this.client = client;
    this.connecting = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${APPEND_CHANNEL}`);
        if (this.closed) await client.end();
      } catch (error) {
        drop(error as Error);
        throw error;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    if (this.connecting) await this.connecting.catch(() => undefined);
    if (client) await client.end().catch(() => undefined);
  }
}
