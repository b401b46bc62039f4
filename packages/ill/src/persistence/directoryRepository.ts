import { isConcurrencyError, isValidationError, type Actor, type EventStore, type JsonObject, type StoredEvent } from '@interlend/engine';
import { Directory, LibrarySchema, parseDirectory, type DirectoryData, type Library } from '../directory';

/**
 * The stream that holds the library directory: each import is an event, and so is each change of
 * one library's profile (`LibraryUpdated`, see libraryUpdates.ts), so "what did we know then" is
 * answerable. The current directory is the latest import with the updates after it, in order.
 */
export const DIRECTORY_STREAM = 'directory';
export const DIRECTORY_IMPORTED = 'DirectoryImported';
/** One library's profile changed: data `{ code, library (the whole new profile), changes }`. */
export const LIBRARY_UPDATED = 'LibraryUpdated';

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
    const found = events.reverse().find((e) => e.type === DIRECTORY_IMPORTED && e.metadata.commandId === commandId);
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

/** The current directory (the latest import and the updates after it), or undefined when none was imported. */
export async function loadDirectory(store: EventStore): Promise<Directory | undefined> {
  return (await loadDirectoryHead(store))?.directory;
}

/** The directory as of one revision of its stream. */
export interface DirectoryHead {
  readonly directory: Directory;
  /** The revision of the stream's last event folded in. */
  readonly revision: number;
  /** The revision of the import the directory starts from. */
  readonly importRevision: number;
}

/**
 * The current directory with where it stands in the stream. Reads the latest import and the
 * updates after it, never the whole stream: each `LibraryUpdated` names the import it applies to
 * (`metadata.importRevision`), so the cost is one import plus the updates since (a new import
 * starts again from zero).
 */
export async function loadDirectoryHead(store: EventStore): Promise<DirectoryHead | undefined> {
  const revision = await store.streamRevision(DIRECTORY_STREAM);
  if (revision < 0) return undefined;
  const [last] = await store.readStream(DIRECTORY_STREAM, { fromRevision: revision, maxCount: 1 });
  if (!last) return undefined;
  if (last.type === DIRECTORY_IMPORTED) return { directory: storedDirectory(last), revision: last.revision, importRevision: last.revision };
  const pointer = last.metadata.importRevision;
  let from = typeof pointer === 'number' && Number.isInteger(pointer) && pointer >= 0 && pointer < last.revision ? pointer : await findLatestImport(store, last.revision);
  if (from === undefined) return undefined;
  let events = await store.readStream(DIRECTORY_STREAM, { fromRevision: from, maxCount: last.revision - from + 1 });
  if (events[0]?.type !== DIRECTORY_IMPORTED) {
    // A pointer that does not name an import (written by hand?): look for the import itself.
    from = await findLatestImport(store, last.revision);
    if (from === undefined) return undefined;
    events = await store.readStream(DIRECTORY_STREAM, { fromRevision: from, maxCount: last.revision - from + 1 });
  }
  return foldDirectory(events);
}

/**
 * Brings `head` up to the stream's head reading only the events after it (a long-running process
 * keeps its directory this way); a new import among them starts the fold again from that import.
 */
export async function refreshDirectoryHead(store: EventStore, head: DirectoryHead | undefined): Promise<DirectoryHead | undefined> {
  if (!head) return loadDirectoryHead(store);
  const revision = await store.streamRevision(DIRECTORY_STREAM);
  if (revision === head.revision) return head;
  if (revision < head.revision) return loadDirectoryHead(store);
  const events = await store.readStream(DIRECTORY_STREAM, { fromRevision: head.revision + 1, maxCount: revision - head.revision });
  if (events.some((e) => e.type === DIRECTORY_IMPORTED)) return loadDirectoryHead(store);
  return foldDirectory(events, head);
}

/** The revision of the latest import at or before `revision` (newest first, in batches). */
async function findLatestImport(store: EventStore, revision: number): Promise<number | undefined> {
  const BATCH = 16;
  for (let to = revision; to >= 0; to -= BATCH) {
    const from = Math.max(0, to - BATCH + 1);
    const events = await store.readStream(DIRECTORY_STREAM, { fromRevision: from, maxCount: to - from + 1 });
    const found = events.reverse().find((e) => e.type === DIRECTORY_IMPORTED);
    if (found) return found.revision;
  }
  return undefined;
}

/**
 * Folds directory events: an import replaces the directory, an update replaces one library's
 * profile (keeping its place in the list). Events of other types are passed over.
 */
function foldDirectory(events: readonly StoredEvent[], start?: DirectoryHead): DirectoryHead | undefined {
  let head = start;
  for (const event of events) {
    if (event.type === DIRECTORY_IMPORTED) {
      head = { directory: storedDirectory(event), revision: event.revision, importRevision: event.revision };
    } else if (event.type === LIBRARY_UPDATED && head) {
      const library = storedLibrary(event.data.library);
      const data = head.directory.toJSON();
      const directory = library && head.directory.has(library.code) ? new Directory({ ...data, libraries: data.libraries.map((l) => (l.code === library.code ? library : l)) }) : head.directory;
      head = { directory, revision: event.revision, importRevision: head.importRevision };
    } else if (head) {
      head = { ...head, revision: event.revision };
    }
  }
  return head;
}

/** A stored library profile: valid when it was written; one a later limit would refuse still loads (as stored). */
function storedLibrary(json: unknown): Library | undefined {
  if (typeof json !== 'object' || json === null || typeof (json as { code?: unknown }).code !== 'string') return undefined;
  const parsed = LibrarySchema.safeParse(json);
  return parsed.success ? parsed.data : (json as Library);
}
