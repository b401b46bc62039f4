import type { Actor, EventStore, JsonObject } from '@interlend/engine';
import { parseDirectory, type Directory } from '../directory';

/** The stream that holds the library directory: each import is an event, so "what did we know then" is answerable. */
export const DIRECTORY_STREAM = 'directory';
export const DIRECTORY_IMPORTED = 'DirectoryImported';

/**
 * Validates and stores a directory as a `DirectoryImported` event (the whole directory; the
 * latest import is the current one). Throws ValidationError naming the field; nothing is written then.
 */
export async function saveDirectory(store: EventStore, json: unknown, meta: { actor: Actor; time: string; eventId: string }): Promise<Directory> {
  const directory = parseDirectory(json);
  await store.appendToStream(
    DIRECTORY_STREAM,
    [
      {
        id: meta.eventId,
        type: DIRECTORY_IMPORTED,
        data: directory.toJSON() as unknown as JsonObject,
        metadata: { workflow: 'directory', actor: { id: meta.actor.id, role: meta.actor.role }, time: meta.time, commandId: meta.eventId },
      },
    ],
    { expectedRevision: 'any' },
  );
  return directory;
}

/** The current directory (the latest import), or undefined when none was imported. */
export async function loadDirectory(store: EventStore): Promise<Directory | undefined> {
  const revision = await store.streamRevision(DIRECTORY_STREAM);
  if (revision < 0) return undefined;
  const [last] = await store.readStream(DIRECTORY_STREAM, { fromRevision: revision });
  return last ? parseDirectory(last.data) : undefined;
}
