import { isConcurrencyError, isValidationError, type Actor, type EventStore, type JsonObject, type StoredEvent } from '@interlend/engine';
import { Directory, parseDirectory, type DirectoryData } from '../directory';

/** The stream that holds the library directory: each import is an event, so "what did we know then" is answerable. */
export const DIRECTORY_STREAM = 'directory';
export const DIRECTORY_IMPORTED = 'DirectoryImported';

/** What `saveDirectory` did. */
export interface SavedDirectory {
  /** The directory stored under this command id (on a duplicate: the one stored the first time). */
  readonly directory: Directory;
  readonly commandId: string;
  /** True when an import with this command id was stored before: nothing was written this time. */
  readonly duplicate: boolean;
}

const ATTEMPTS = 5;

/**
 * Validates and stores a directory as a `DirectoryImported` event (the whole directory; the
 * latest import is the current one). Throws ValidationError naming the field; nothing is written then.
 * `commandId` (default: the event id) makes the import idempotent: an import whose command id is
 * already in the stream writes nothing and returns the directory stored the first time.
 */
export async function saveDirectory(store: EventStore, json: unknown, meta: { actor: Actor; time: string; eventId: string; commandId?: string }): Promise<SavedDirectory> {
  const directory = parseDirectory(json);
  const commandId = meta.commandId ?? meta.eventId;
  for (let attempt = 1; ; attempt++) {
    const revision = await store.streamRevision(DIRECTORY_STREAM);
    const first = revision < 0 ? undefined : await findImport(store, commandId, revision);
    if (first) return { directory: storedDirectory(first), commandId, duplicate: true };
    try {
      await store.appendToStream(
        DIRECTORY_STREAM,
        [
          {
            id: meta.eventId,
            type: DIRECTORY_IMPORTED,
            data: directory.toJSON() as unknown as JsonObject,
            metadata: { workflow: 'directory', actor: { id: meta.actor.id, role: meta.actor.role }, time: meta.time, commandId },
          },
        ],
        { expectedRevision: revision < 0 ? 'no_stream' : revision },
      );
      return { directory, commandId, duplicate: false };
    } catch (error) {
      // Another import came in between: look again (it may be this one, sent twice at once).
      if (!isConcurrencyError(error) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** The import stored under `commandId`, newest first, up to `revision`. */
async function findImport(store: EventStore, commandId: string, revision: number): Promise<StoredEvent | undefined> {
  const BATCH = 16;
  for (let to = revision; to >= 0; to -= BATCH) {
    const from = Math.max(0, to - BATCH + 1);
    const events = await store.readStream(DIRECTORY_STREAM, { fromRevision: from, maxCount: to - from + 1 });
    const found = events.reverse().find((e) => e.metadata.commandId === commandId);
    if (found) return found;
  }
  return undefined;
}

/**
 * A stored directory. It was valid when it was imported; one that a later version's limits would
 * refuse (see LIMITS) still loads, so that the store stays usable and a new import can replace it.
 */
function storedDirectory(event: StoredEvent): Directory {
  try {
    return parseDirectory(event.data);
  } catch (error) {
    if (!isValidationError(error)) throw error;
    return new Directory(event.data as unknown as DirectoryData);
  }
}

/** The current directory (the latest import), or undefined when none was imported. */
export async function loadDirectory(store: EventStore): Promise<Directory | undefined> {
  const revision = await store.streamRevision(DIRECTORY_STREAM);
  if (revision < 0) return undefined;
  const [last] = await store.readStream(DIRECTORY_STREAM, { fromRevision: revision });
  return last ? storedDirectory(last) : undefined;
}
