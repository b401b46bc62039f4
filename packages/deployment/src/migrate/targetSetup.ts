import { existsSync, realpathSync } from 'node:fs';
import { PROJECTION_VERSIONS, type EventStore, type ReadModelStore } from '@interlend/engine';
import type { StoreLocation } from '../stores/storeUrl';

/**
 * Whether two locations name the same store: the same SQLite file (after links), the same
 * PostgreSQL host, port and database, the same KurrentDB URL.
 */
export function sameStore(a: StoreLocation, b: StoreLocation): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'sqlite' && b.kind === 'sqlite') return realPath(a.path) === realPath(b.path);
  if (a.kind === 'postgres' && b.kind === 'postgres') return postgresKey(a.url) === postgresKey(b.url);
  return (a as { url: string }).url.trim().toLowerCase() === (b as { url: string }).url.trim().toLowerCase();
}

const realPath = (file: string): string => (existsSync(file) ? realpathSync(file) : file);

function postgresKey(text: string): string {
  try {
    const url = new URL(text);
    const host = url.searchParams.get('host') ?? url.hostname.toLowerCase();
    const local = host === 'localhost' || host === '127.0.0.1' || host === '[::1]' ? 'localhost' : host;
    return `${local}:${url.port || '5432'}/${decodeURIComponent(url.pathname.replace(/^\//, '')) || url.username}`;
  } catch {
    return text;
  }
}

export interface CarriedCheckpoint {
  readonly name: string;
  /** Where it was in the source's log, and where that is in the target's. */
  readonly sourcePosition: number;
  readonly targetPosition: number;
}

/**
 * Moves the source's follower checkpoints (the effect dispatcher's `engine.effects`, a NATS relay's:
 * checkpoints that hold no documents and cannot be rebuilt, since running them again would send
 * every effect again) to the same event in the target. A position is a store's own: the event at
 * the source position is found in the target by its stream and revision. `rebuilt` names the read
 * models that are rebuilt instead (their checkpoints are not carried). Only a checkpoint of the
 * target still at 0 is set.
 */
export async function carryFollowerCheckpoints(
  from: { readonly events: EventStore; readonly readModels: ReadModelStore },
  to: { readonly events: EventStore; readonly readModels: ReadModelStore },
  rebuilt: readonly string[],
): Promise<CarriedCheckpoint[]> {
  const carried: CarriedCheckpoint[] = [];
  for (const name of await from.readModels.projections()) {
    if (rebuilt.includes(name) || name === PROJECTION_VERSIONS || name.includes('#')) continue;
    const position = await from.readModels.checkpoint(name);
    if (position <= 0 || (await from.readModels.query(name, { limit: 1 })).length > 0) continue;
    // The last event the follower passed: the one at its position, or the last one before it.
    const [event] = await lastAtOrBefore(from.events, position);
    if (!event) continue;
    const [copy] = await to.events.readStream(event.streamId, { fromRevision: event.revision, maxCount: 1 });
    if (!copy || copy.id !== event.id) continue;
    if ((await to.readModels.checkpoint(name)) !== 0) continue;
    await to.readModels.commit(name, [], { expected: 0, next: copy.position });
    carried.push({ name, sourcePosition: position, targetPosition: copy.position });
  }
  return carried;
}

async function lastAtOrBefore(events: EventStore, position: number): Promise<readonly { streamId: string; revision: number; id: string }[]> {
  // Walk back in growing steps until an event at or before `position` turns up (positions may have gaps).
  for (let step = 1; step <= position * 2; step *= 16) {
    const after = Math.max(0, position - step);
    const batch = (await events.readAll({ after, maxCount: step + 1 })).filter((e) => e.position <= position);
    if (batch.length) return [batch[batch.length - 1]!];
    if (after === 0) break;
  }
  return [];
}
