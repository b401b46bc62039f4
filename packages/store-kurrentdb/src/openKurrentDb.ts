import { KurrentDBClient } from '@kurrent/kurrentdb-client';
import { normalizeConnectionString, redactConnectionString } from './connectionString';
import { KurrentDbEventStore } from './kurrentEventStore';
import type { KurrentDbEventStoreOptions } from './kurrentEventStore';
import { toStoreError } from './kurrentErrors';

export type OpenKurrentDbOptions = Omit<KurrentDbEventStoreOptions, 'disposeClient' | 'label'>;

export interface KurrentDbHandle {
  /** The event store. There is no read-model store on KurrentDB: read models live in PostgreSQL or SQLite. */
  readonly events: KurrentDbEventStore;
  /** The client, for what the port does not cover (stream metadata, scavenges). */
  readonly client: KurrentDBClient;
  /** The connection string as used, with any password masked. */
  readonly connection: string;
  /** Closes the event store and disposes of the client. Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the event store on the KurrentDB server (or cluster) named by `connectionString`
 * (`kurrentdb://host:2113?tls=false`; `esdb://` is rewritten: see normalizeConnectionString).
 * The client connects lazily: a server that cannot be reached shows on the first call, as a
 * StoreError naming it.
 */
export function openKurrentDb(connectionString: string, options: OpenKurrentDbOptions = {}): KurrentDbHandle {
  const normalized = normalizeConnectionString(connectionString);
  const connection = redactConnectionString(normalized);
  let client: KurrentDBClient;
  try {
    client = KurrentDBClient.connectionString(normalized);
  } catch (error) {
    throw toStoreError(error, `cannot connect to KurrentDB at ${connection}`);
  }
  const events = new KurrentDbEventStore(client, { ...options, disposeClient: true, label: connection });
  return { events, client, connection, close: () => events.close() };
}
