import { NotFoundError, ValidationError, isConcurrencyError, type Actor, type EventStore, type JsonObject, type JsonValue, type StoredEvent } from '@interlend/engine';
import { Directory, LibrarySchema, formatPath, type Library } from '../directory';
import { formatCount, jsonBytes, LIMITS } from '../limits';
import { DIRECTORY_IMPORTED, DIRECTORY_STREAM, LIBRARY_UPDATED, loadDirectoryHead, type DirectoryHead } from './directoryRepository';

/**
 * One library's profile changed as an event on the directory stream. Requests already under way
 * are not touched: their rota recorded each lender's terms when it was built (RotaBuilt), and only
 * rotas built after the change read the new profile.
 */

/** One field of a profile, before and after (`from` absent: the field was not set; `to` absent: it was removed). */
export interface LibraryChange {
  /** e.g. `daysToRespond.loan`, `contact.email`, `closures` (arrays change as a whole). */
  readonly field: string;
  readonly from?: JsonValue;
  readonly to?: JsonValue;
}

/**
 * How the input describes the new profile:
 * - 'merge' (default): the fields to change, as a JSON merge patch (RFC 7386): an object is merged
 *   field by field (`{"daysToRespond": {"loan": 8}}` keeps `copy`), an array replaces the old one
 *   (`closures`), `null` removes an optional field (`"contact": null`);
 * - 'replace': the whole profile (fields left out take their defaults or are removed).
 */
export type UpdateMode = 'merge' | 'replace';

export interface UpdatedLibrary {
  readonly code: string;
  /** The profile after the update (on a duplicate: the one stored the first time). */
  readonly library: Library;
  /** What changed; empty when the input changed nothing (nothing was written then). */
  readonly changes: readonly LibraryChange[];
  readonly commandId: string;
  /** True when an update with this command id was stored before: nothing was written this time. */
  readonly duplicate: boolean;
  /** True when this call appended a `LibraryUpdated` event. */
  readonly written: boolean;
}

export interface UpdateMeta {
  readonly actor: Actor;
  readonly time: string;
  readonly eventId: string;
  readonly commandId?: string;
  readonly mode?: UpdateMode;
}

const ATTEMPTS = 5;

/**
 * Changes one library's profile: validates the new profile as the directory would, then appends a
 * `LibraryUpdated` event to the directory stream at the revision it read (another change in
 * between: read again and apply again). Idempotent by `commandId` among the updates since the
 * latest import. Throws NotFoundError for an unknown code or no directory, ValidationError naming
 * each bad field (`closures[0].to: must not be before from`); nothing is written then.
 * A code that is not in the directory is refused rather than added: a misspelt code must not
 * become a new lender that rotas start asking (new libraries come with `directory import`).
 */
export async function updateLibrary(store: EventStore, code: string, input: unknown, meta: UpdateMeta): Promise<UpdatedLibrary> {
  const mode = meta.mode ?? 'merge';
  if (!isPlainObject(input)) throw invalidProfile(code, [{ path: '(root)', message: mode === 'merge' ? 'must be a JSON object of the fields to change' : 'must be a JSON object (the library profile)' }]);
  if (input.code !== undefined && input.code !== code) {
    throw invalidProfile(code, [{ path: 'code', message: `is ${JSON.stringify(input.code)}, but the library updated is '${code}': a library's code does not change` }]);
  }
  const commandId = meta.commandId ?? meta.eventId;
  for (let attempt = 1; ; attempt++) {
    const head = await loadDirectoryHead(store);
    if (!head) throw new NotFoundError(`no library '${code}': no library directory has been imported (interlend directory import FILE)`);
    const first = await findUpdate(store, commandId, head);
    if (first) {
      if (first.data.code !== code) {
        throw new ValidationError(`command id '${commandId}' was already used to update library ${String(first.data.code)}; a new update needs a new command id`, {
          issues: [{ path: 'commandId', message: `already used for library ${String(first.data.code)}` }],
        });
      }
      return { code, library: first.data.library as unknown as Library, changes: (first.data.changes ?? []) as unknown as LibraryChange[], commandId, duplicate: true, written: false };
    }
    const before = head.directory.get(code);
    if (!before) throw new NotFoundError(`no library '${code}' in the directory: 'directory update' changes a library already there (add one with 'interlend directory import')`);
    const library = parseProfile(code, mode === 'merge' ? mergePatch(before, input) : { ...input, code });
    checkDirectorySize(code, head.directory, library);
    const changes = diffProfiles(before, library);
    if (!changes.length) return { code, library: before, changes, commandId, duplicate: false, written: false };
    try {
      await store.appendToStream(
        DIRECTORY_STREAM,
        [
          {
            id: meta.eventId,
            type: LIBRARY_UPDATED,
            data: { code, library: library as unknown as JsonObject, changes: changes as unknown as JsonValue[] },
            metadata: {
              workflow: 'directory',
              actor: { id: meta.actor.id, role: meta.actor.role, ...(meta.actor.key ? { key: meta.actor.key } : {}) },
              time: meta.time,
              commandId,
              // Where the fold starts: loading reads this import and the updates after it only.
              importRevision: head.importRevision,
            },
          },
        ],
        { expectedRevision: head.revision },
      );
      return { code, library, changes, commandId, duplicate: false, written: true };
    } catch (error) {
      // Another change came in between: apply this one to the directory as it is now.
      if (!isConcurrencyError(error) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** The update stored under `commandId` since the latest import (newest first). */
async function findUpdate(store: EventStore, commandId: string, head: DirectoryHead): Promise<StoredEvent | undefined> {
  if (head.revision === head.importRevision) return undefined;
  const events = await store.readStream(DIRECTORY_STREAM, { fromRevision: head.importRevision + 1, maxCount: head.revision - head.importRevision });
  return events.reverse().find((e) => e.type === LIBRARY_UPDATED && e.metadata.commandId === commandId);
}

function parseProfile(code: string, json: unknown): Library {
  const parsed = LibrarySchema.safeParse(json);
  if (!parsed.success) throw invalidProfile(code, parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  return parsed.data;
}

/** The directory with the new profile must stay within the directory's limit. */
function checkDirectorySize(code: string, directory: Directory, library: Library): void {
  const data = directory.toJSON();
  const bytes = jsonBytes({ ...data, libraries: data.libraries.map((l) => (l.code === code ? library : l)) });
  if (bytes > LIMITS.directoryBytes) {
    throw invalidProfile(code, [{ path: '(root)', message: `would make the directory ${formatCount(bytes)} bytes as JSON; a directory may have at most ${formatCount(LIMITS.directoryBytes)}` }]);
  }
}

const ISSUES_IN_MESSAGE = 10;

function invalidProfile(code: string, issues: { path: string; message: string }[]): ValidationError {
  const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`and ${formatCount(issues.length - shown.length)} more`);
  return new ValidationError(`invalid profile for library ${code}: ${shown.join('; ')}`, { issues });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch: objects merge, `null` removes, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** A profile as `field -> value`: nested objects by their dotted path, arrays and scalars as they are. */
function flatten(value: unknown, prefix = '', out = new Map<string, JsonValue>()): Map<string, JsonValue> {
  if (isPlainObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      flatten(v, prefix ? `${prefix}.${key}` : key, out);
    }
  } else if (prefix) {
    out.set(prefix, value as JsonValue);
  }
  return out;
}

/** The fields that differ between two profiles (either may be absent), in the order of the profile. */
export function diffProfiles(before: unknown, after: unknown): LibraryChange[] {
  const a = flatten(before);
  const b = flatten(after);
  const changes: LibraryChange[] = [];
  for (const field of new Set([...a.keys(), ...b.keys()])) {
    const from = a.get(field);
    const to = b.get(field);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changes.push({ field, ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) });
  }
  return changes;
}

// ---------------------------------------------------------------------------------------------
// History

/** A stored profile with today's defaults (a field added since shows as a change only when it is set); as stored if today's schema refuses it. */
function normalized(profile: unknown): unknown {
  if (profile === undefined) return undefined;
  const parsed = LibrarySchema.safeParse(profile);
  return parsed.success ? parsed.data : profile;
}

/** One change of a library's profile. */
export interface LibraryProfileChange {
  /** The event's revision in the directory stream. */
  readonly revision: number;
  readonly time: string;
  readonly actor: { readonly id: string; readonly role: string; readonly key?: string };
  readonly commandId?: string;
  readonly event: typeof DIRECTORY_IMPORTED | typeof LIBRARY_UPDATED;
  /** 'added': an import brought the library in; 'changed': an update or an import changed it; 'removed': an import left it out. */
  readonly kind: 'added' | 'changed' | 'removed';
  /** For 'added': every field set (no `from`); for 'removed': every field it had (no `to`). */
  readonly changes: readonly LibraryChange[];
}

/**
 * What changed in one library's profile, when and by whom: from the import that brought it in,
 * every update and every import that changed it (an import that left it as it was is not shown).
 * Reads the whole directory stream in batches, keeping only this library's profile; undefined
 * when the library never was in the directory.
 */
export async function libraryProfileHistory(store: EventStore, code: string): Promise<LibraryProfileChange[] | undefined> {
  const BATCH = 32;
  const entries: LibraryProfileChange[] = [];
  let current: unknown;
  let seen = false;
  for (let from = 0; ; from += BATCH) {
    const events = await store.readStream(DIRECTORY_STREAM, { fromRevision: from, maxCount: BATCH });
    for (const event of events) {
      let next: unknown;
      if (event.type === DIRECTORY_IMPORTED) {
        const libraries = (event.data as { libraries?: unknown }).libraries;
        next = normalized(Array.isArray(libraries) ? libraries.find((l) => isPlainObject(l) && l.code === code) : undefined);
      } else if (event.type === LIBRARY_UPDATED && event.data.code === code) {
        next = normalized(event.data.library);
      } else {
        continue;
      }
      const changes = diffProfiles(current, next);
      if (changes.length) {
        seen = true;
        const kind = current === undefined ? 'added' : next === undefined ? 'removed' : 'changed';
        const meta = event.metadata as { time?: unknown; actor?: { id?: unknown; role?: unknown; key?: unknown }; commandId?: unknown };
        entries.push({
          revision: event.revision,
          time: String(meta.time ?? ''),
          actor: { id: String(meta.actor?.id ?? ''), role: String(meta.actor?.role ?? ''), ...(typeof meta.actor?.key === 'string' ? { key: meta.actor.key } : {}) },
          ...(typeof meta.commandId === 'string' ? { commandId: meta.commandId } : {}),
          event: event.type as LibraryProfileChange['event'],
          kind,
          changes,
        });
      }
      current = next;
    }
    if (events.length < BATCH) break;
  }
  return seen ? entries : undefined;
}
