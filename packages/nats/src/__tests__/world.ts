/** Test helpers shared by the integration tests (not part of the package). */
import { jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { CommandHandler, InMemoryEventStore, InMemoryReadModelStore, ManualClock, type CommandInput, type Clock, type EventStore } from '@interlend/engine';
import { connectNats, ensureStreams, subjectsOf, type NatsSettings, type NatsSettingsInput } from '@interlend/nats';
import { startNatsServer, type NatsServerHandle } from '@interlend/nats/testing';
import { approvalWorkflow } from '../../../engine/src/__fixtures__/approvalWorkflow';

export { approvalWorkflow };

export interface World {
  readonly server: NatsServerHandle;
  readonly nc: NatsConnection;
  readonly settings: NatsSettings;
  readonly store: InMemoryEventStore;
  readonly readModels: InMemoryReadModelStore;
  readonly clock: ManualClock;
  /** A new connection (a separate "process"), closed with the world. */
  connect(): Promise<NatsConnection>;
  close(): Promise<void>;
}

export const T0 = '2026-03-02T09:00:00.000Z';

/** A real nats-server with the streams set up, and in-memory stores. */
export async function startWorld(settings: NatsSettingsInput = {}): Promise<World> {
  const server = await startNatsServer();
  const connections: NatsConnection[] = [];
  const connect = async () => {
    const nc = await connectNats(server.url, { name: 'test' });
    connections.push(nc);
    return nc;
  };
  const nc = await connect();
  const resolved = await ensureStreams(await jetstreamManager(nc), settings);
  return {
    server,
    nc,
    settings: resolved,
    store: new InMemoryEventStore(),
    readModels: new InMemoryReadModelStore(),
    clock: new ManualClock(T0),
    connect,
    close: async () => {
      await Promise.all(connections.map((c) => (c.isClosed() ? undefined : c.close())));
      await server.stop();
    },
  };
}

export function approvalHandler(store: EventStore, clock: Clock): CommandHandler {
  return new CommandHandler({ workflow: approvalWorkflow, store, services: { reviewers: ['rita'] }, clock });
}

export const openCommand = (streamId: string, commandId = `open:${streamId}`): CommandInput => ({
  commandId,
  streamId,
  type: 'open',
  data: { title: `about ${streamId}` },
  actor: { id: 'alice', role: 'author' },
});

export const commentCommand = (streamId: string, n: number): CommandInput => ({
  commandId: `comment:${streamId}:${n}`,
  streamId,
  type: 'comment',
  data: { text: `comment ${n}` },
  actor: { id: 'alice', role: 'author' },
});

/** Polls `condition` every 20 ms until true; fails after `timeoutMs` with `what`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every message of a stream (optionally filtered), oldest first, read with an ordered consumer. */
export async function readStreamMessages(nc: NatsConnection, stream: string, filter?: string): Promise<JsMsg[]> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(stream, filter ? { filter_subjects: filter } : {});
  const out: JsMsg[] = [];
  if ((await consumer.info(false)).num_pending === 0) return out;
  const messages = await consumer.consume({ max_messages: 500 });
  for await (const m of messages) {
    out.push(m);
    if (m.info.pending === 0) break;
  }
  await messages.close();
  return out;
}

export async function streamMessageCount(nc: NatsConnection, settings: NatsSettings, kind: 'COMMANDS' | 'EVENTS' | 'EFFECTS' | 'DEAD_LETTERS'): Promise<number> {
  const jsm = await jetstreamManager(nc);
  return (await jsm.streams.info(subjectsOf(settings).streamName(kind))).state.messages;
}

/** Command ids in the store, with how many events each wrote. */
export async function commandIdsInStore(store: EventStore): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  for (let after = 0; ; ) {
    const batch = await store.readAll({ after, maxCount: 1_000 });
    if (batch.length === 0) return ids;
    for (const e of batch) {
      const id = String(e.metadata.commandId);
      ids.set(id, (ids.get(id) ?? 0) + 1);
    }
    after = batch[batch.length - 1]!.position;
  }
}
