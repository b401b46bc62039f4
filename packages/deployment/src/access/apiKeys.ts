import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import {
  IllegalStateError,
  NotFoundError,
  StoreError,
  ValidationError,
  isConcurrencyError,
  systemClock,
  uuidV7Ids,
  type Actor,
  type Clock,
  type EventStore,
  type IdGenerator,
  type JsonObject,
  type StoredEvent,
} from '@interlend/engine';
import { hasControlCharacters, loadDirectory } from '@interlend/ill';
import { API_ROLES, type ApiRole, type Principal } from './principal';

/**
 * The registry of API keys (docs/api-keys.md): events in their own stream, appended through the
 * EventStore port. A key is `ilk_<keyId>_<secret>`; only a slow hash of it (scrypt) is stored,
 * never the key, and the key is shown once, by `create`.
 */

/** The stream that holds every key's creation and revocation. */
export const API_KEYS_STREAM = 'access-keys';
/** The `workflow` in the metadata of the stream's events: no ILL projection or command reads them. */
export const API_KEYS_WORKFLOW = 'access-keys';
export const API_KEY_CREATED = 'ApiKeyCreated';
export const API_KEY_REVOKED = 'ApiKeyRevoked';

/** Data of `ApiKeyCreated`. */
export interface ApiKeyCreatedData {
  readonly keyId: string;
  readonly library: string;
  readonly role: ApiRole;
  readonly label: string | null;
  /** `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, salt and hash base64url: never the key. */
  readonly hash: string;
  readonly createdAt: string;
}

/** Data of `ApiKeyRevoked`. */
export interface ApiKeyRevokedData {
  readonly keyId: string;
  readonly reason: string | null;
}

/** scrypt's cost. The stored hash names its own, so raising these later leaves older keys valid. */
export interface HashParams {
  /** log2 of N, the CPU/memory cost (default 15: N = 32,768, 32 MiB with r = 8). */
  readonly logN: number;
  /** Block size (default 8). */
  readonly r: number;
  /** Parallelism (default 1). */
  readonly p: number;
  /** Bytes of output (default 32). */
  readonly keyLength: number;
}

export const DEFAULT_HASH_PARAMS: HashParams = Object.freeze({ logN: 15, r: 8, p: 1, keyLength: 32 });

/** Successful verifications remembered per process by default (key -> key id, least recently used dropped first). */
export const DEFAULT_KEY_CACHE_SIZE = 10_000;

export interface ApiKeysOptions {
  /** Event ids (default UUID v7). */
  readonly ids?: IdGenerator;
  /** Times of creation and revocation (default the system clock). */
  readonly clock?: Clock;
  /** scrypt's cost for new keys (default DEFAULT_HASH_PARAMS). */
  readonly hashParams?: Partial<HashParams>;
  /** How many verified keys to remember (default DEFAULT_KEY_CACHE_SIZE; 0: run scrypt on every request). */
  readonly cacheSize?: number;
  /** Whether a library code may own a key (default: it is in the directory stored in `store`). */
  readonly libraryExists?: (code: string) => boolean | Promise<boolean>;
}

export interface CreateApiKeyInput {
  /** A library code of the directory. */
  readonly library: string;
  readonly role: ApiRole;
  /** What the key is for ("ILL desk, evening shift"); up to 200 characters. */
  readonly label?: string | null;
  /** Who creates it: recorded with the event. */
  readonly actor: Actor;
}

export interface CreatedApiKey {
  readonly keyId: string;
  /** The key itself: returned here once, stored nowhere. */
  readonly key: string;
  readonly principal: Principal;
}

/** A key as `list` shows it: never its hash. */
export interface ApiKeyInfo {
  readonly keyId: string;
  readonly library: string;
  readonly role: ApiRole;
  readonly label: string | null;
  readonly createdAt: string;
  readonly createdBy: Actor;
  /** When it was revoked; null while it is active. */
  readonly revokedAt: string | null;
  readonly revokedBy: Actor | null;
  /** Why, as given when it was revoked. */
  readonly revokeReason: string | null;
}

const KEY_PREFIX = 'ilk';
const KEY_PATTERN = /^ilk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_BYTES = 8;
const SECRET_BYTES = 32;
const SALT_BYTES = 16;
const MAX_LABEL = 200;
const MAX_REASON = 500;
/** Appends tried before a conflict with another process is given up (each round, one writer wins). */
const ATTEMPTS = 10;
/** Bounds on a stored hash's parameters: a tampered event cannot make verification take gigabytes. */
const LIMITS = { logN: [10, 20], r: [1, 32], p: [1, 16], keyLength: [16, 64] } as const satisfies Record<keyof HashParams, readonly [number, number]>;

interface KeyRecord {
  readonly keyId: string;
  readonly library: string;
  readonly role: ApiRole;
  readonly label: string | null;
  readonly hash: string;
  readonly createdAt: string;
  readonly createdBy: Actor;
  revokedAt: string | null;
  revokedBy: Actor | null;
  revokeReason: string | null;
}

/**
 * API keys: create (the key is returned once), authenticate, list, revoke.
 *
 * `authenticate` reads the stream's revision on every call (one indexed lookup) and folds the
 * events it has not seen, so a key revoked by another process is refused on the next call.
 * Keys verified once are remembered by a SHA-256 of the key (bounded, least recently used out
 * first: `cacheSize`), so scrypt runs once per key per process; a revoked key leaves the cache.
 */
export class ApiKeys {
  private readonly ids: IdGenerator;
  private readonly clock: Clock;
  private readonly hashParams: HashParams;
  private readonly cacheSize: number;
  private readonly libraryExists: ((code: string) => boolean | Promise<boolean>) | undefined;
  /** The fold of the stream up to `revision`. */
  private readonly keys = new Map<string, KeyRecord>();
  private revision = -1;
  private refreshing: Promise<void> | undefined;
  /** SHA-256 (hex) of a verified key -> its key id; Map order is recency (oldest first). */
  private readonly verified = new Map<string, string>();
  /** This instance's writes, one at a time: it never conflicts with itself. */
  private writing: Promise<unknown> = Promise.resolve();
  /** What an unknown or revoked key id is checked against, so that it takes as long as a real one. */
  private readonly dummyHash: string;

  constructor(
    private readonly store: EventStore,
    options: ApiKeysOptions = {},
  ) {
    this.ids = options.ids ?? uuidV7Ids;
    this.clock = options.clock ?? systemClock;
    this.hashParams = checkHashParams({ ...DEFAULT_HASH_PARAMS, ...options.hashParams });
    const cacheSize = options.cacheSize ?? DEFAULT_KEY_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) throw new RangeError(`cacheSize must be a whole number >= 0, not ${cacheSize}`);
    this.cacheSize = cacheSize;
    this.libraryExists = options.libraryExists;
    this.dummyHash = encodeHash(this.hashParams, randomBytes(SALT_BYTES), randomBytes(this.hashParams.keyLength));
  }

  /**
   * Makes a key for a library of the directory and records it (`ApiKeyCreated`, with its hash).
   * Throws ValidationError naming the field (`role`, `library`, `label`, `actor`); nothing is written then.
   */
  async create(input: CreateApiKeyInput): Promise<CreatedApiKey> {
    const role = checkRole(input.role);
    const label = checkText(input.label, 'label', MAX_LABEL);
    const actor = checkActor(input.actor);
    const library = await this.checkLibrary(input.library);

    const keyId = randomBytes(KEY_ID_BYTES).toString('hex');
    const key = `${KEY_PREFIX}_${keyId}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const hash = await hashKey(key, this.hashParams);
    return this.write(async (revision) => {
      // 64 random bits: a clash is all but impossible, but it would make two keys one.
      if (this.keys.has(keyId)) throw new IllegalStateError(`key id ${keyId} is taken; create the key again`, { keyId });
      const createdAt = this.clock.now().toISOString();
      const data: ApiKeyCreatedData = { keyId, library, role, label, hash, createdAt };
      await this.append(revision, API_KEY_CREATED, data as unknown as JsonObject, actor, createdAt);
      return { keyId, key, principal: Object.freeze({ keyId, library, role, label }) };
    });
  }

  /**
   * The principal of `key`, or undefined when it is malformed, unknown, wrong or revoked (never a
   * throw for a bad key; a store failure does throw). Unknown and known key ids take the same time.
   */
  async authenticate(key: string): Promise<Principal | undefined> {
    const match = typeof key === 'string' ? KEY_PATTERN.exec(key) : null;
    if (!match) return undefined;
    const keyId = match[1]!;
    await this.refresh();
    const record = this.keys.get(keyId);
    const active = record !== undefined && record.revokedAt === null;
    const digest = createHash('sha256').update(key, 'utf8').digest('hex');
    const cached = this.verified.get(digest);
    if (cached !== undefined) {
      this.verified.delete(digest);
      if (active && cached === keyId) {
        this.verified.set(digest, keyId);
        return principalOf(record);
      }
    }
    const ok = await verifyKey(key, active ? record.hash : this.dummyHash);
    if (!ok || !active) return undefined;
    this.remember(digest, keyId);
    return principalOf(record);
  }

  /** Every key, in the order they were created, active and revoked: never a hash. */
  async list(): Promise<ApiKeyInfo[]> {
    await this.refresh();
    return [...this.keys.values()].map(infoOf);
  }

  /**
   * Revokes a key (`ApiKeyRevoked`): refused from the next `authenticate` on, in this process and
   * in every other that reads the store. NotFoundError for an unknown key; IllegalStateError for
   * one already revoked (nothing is written then).
   */
  async revoke(keyId: string, options: { actor: Actor; reason?: string | null }): Promise<ApiKeyInfo> {
    const actor = checkActor(options.actor);
    const reason = checkText(options.reason, 'reason', MAX_REASON);
    return this.write(async (revision) => {
      const record = typeof keyId === 'string' ? this.keys.get(keyId) : undefined;
      if (!record) throw new NotFoundError(`no API key '${String(keyId)}'`, { keyId });
      if (record.revokedAt !== null) {
        throw new IllegalStateError(`API key ${keyId} was already revoked at ${record.revokedAt} by ${record.revokedBy?.id ?? 'unknown'}: nothing was written`, {
          keyId,
          state: 'revoked',
          allowed: [],
          revokedAt: record.revokedAt,
        });
      }
      const time = this.clock.now().toISOString();
      const data: ApiKeyRevokedData = { keyId, reason };
      await this.append(revision, API_KEY_REVOKED, data as unknown as JsonObject, actor, time);
      await this.refresh();
      return infoOf(this.keys.get(keyId)!);
    });
  }

  /**
   * Runs `attempt` against the registry as of the stream's current revision and retries it when
   * another process appended in between (the append expects that revision), up to ATTEMPTS times.
   */
  private write<T>(attempt: (revision: number) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      for (let n = 1; ; n++) {
        await this.refresh();
        try {
          return await attempt(this.revision);
        } catch (error) {
          if (!isConcurrencyError(error) || n >= ATTEMPTS) throw error;
        }
      }
    };
    const result = this.writing.then(run, run);
    this.writing = result.catch(() => undefined);
    return result;
  }

  private async append(revision: number, type: string, data: JsonObject, actor: Actor, time: string): Promise<void> {
    await this.store.appendToStream(
      API_KEYS_STREAM,
      [{ id: this.ids.next(), type, data, metadata: { workflow: API_KEYS_WORKFLOW, actor: { id: actor.id, role: actor.role }, time } }],
      { expectedRevision: revision < 0 ? 'no_stream' : revision },
    );
  }

  /** Folds the events appended since the last look, if the stream's revision moved. */
  private async refresh(): Promise<void> {
    const head = await this.store.streamRevision(API_KEYS_STREAM);
    while (this.revision < head) {
      const from = this.revision;
      this.refreshing ??= this.catchUp().finally(() => (this.refreshing = undefined));
      await this.refreshing;
      // The store said the stream reached `head` but gave nothing after `from`: do not spin.
      if (this.revision === from) throw new StoreError(`stream ${API_KEYS_STREAM} is at revision ${head}, but no event after revision ${from} could be read`, { streamId: API_KEYS_STREAM, head, from });
    }
  }

  private async catchUp(): Promise<void> {
    const events = await this.store.readStream(API_KEYS_STREAM, { fromRevision: this.revision + 1 });
    const revoked: string[] = [];
    for (const event of events) {
      if (event.revision !== this.revision + 1) break;
      const id = this.evolve(event);
      if (id !== undefined) revoked.push(id);
      this.revision = event.revision;
    }
    if (revoked.length) this.forget(new Set(revoked));
  }

  /** Applies one event to the registry; returns the key id it revoked, if it did. Other event types are skipped. */
  private evolve(event: StoredEvent): string | undefined {
    const data = event.data as Partial<Record<string, unknown>>;
    const meta = event.metadata as { actor?: Actor; time?: string };
    const by: Actor = Object.freeze({ id: String(meta.actor?.id ?? 'unknown'), role: String(meta.actor?.role ?? 'unknown') });
    const valid = event.type === API_KEY_CREATED && typeof data.keyId === 'string' && typeof data.hash === 'string' && API_ROLES.includes(data.role as ApiRole);
    if (valid && !this.keys.has(data.keyId as string)) {
      this.keys.set(data.keyId as string, {
        keyId: data.keyId as string,
        library: String(data.library),
        role: data.role as ApiRole,
        label: typeof data.label === 'string' ? data.label : null,
        hash: data.hash as string,
        createdAt: String(data.createdAt ?? meta.time),
        createdBy: by,
        revokedAt: null,
        revokedBy: null,
        revokeReason: null,
      });
    }
    if (event.type === API_KEY_REVOKED && typeof data.keyId === 'string') {
      const record = this.keys.get(data.keyId);
      if (record && record.revokedAt === null) {
        record.revokedAt = String(meta.time ?? '');
        record.revokedBy = by;
        record.revokeReason = typeof data.reason === 'string' ? data.reason : null;
        return record.keyId;
      }
    }
    return undefined;
  }

  private remember(digest: string, keyId: string): void {
    if (this.cacheSize === 0) return;
    this.verified.delete(digest);
    this.verified.set(digest, keyId);
    while (this.verified.size > this.cacheSize) this.verified.delete(this.verified.keys().next().value!);
  }

  private forget(keyIds: ReadonlySet<string>): void {
    for (const [digest, keyId] of this.verified) if (keyIds.has(keyId)) this.verified.delete(digest);
  }

  private async checkLibrary(library: unknown): Promise<string> {
    if (typeof library !== 'string' || library.trim() === '') throw invalid('library', 'a library code is required');
    if (this.libraryExists) {
      if (!(await this.libraryExists(library))) throw invalid('library', `'${library}' is not in the library directory`);
      return library;
    }
    const directory = await loadDirectory(this.store);
    if (!directory) throw invalid('library', `'${library}' cannot own a key: no library directory has been imported`);
    if (!directory.has(library)) throw invalid('library', `'${library}' is not in the library directory`);
    return library;
  }
}

// ---------------------------------------------------------------------------------------------
// The hash

/** scrypt of `key` with a fresh random salt, encoded with its parameters. */
export async function hashKey(key: string, params: HashParams = DEFAULT_HASH_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  return encodeHash(params, salt, await scryptAsync(key, salt, params));
}

/** Whether `key` hashes to `encoded` (compared in constant time). A malformed `encoded` is false, after the same work. */
export async function verifyKey(key: string, encoded: string): Promise<boolean> {
  const parsed = decodeHash(encoded);
  if (!parsed) {
    await scryptAsync(key, randomBytes(SALT_BYTES), DEFAULT_HASH_PARAMS);
    return false;
  }
  const actual = await scryptAsync(key, parsed.salt, parsed.params);
  return actual.length === parsed.hash.length && timingSafeEqual(actual, parsed.hash);
}

function encodeHash(params: HashParams, salt: Buffer, hash: Buffer): string {
  return `scrypt$${params.logN}$${params.r}$${params.p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

function decodeHash(encoded: string): { params: HashParams; salt: Buffer; hash: Buffer } | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [logN, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const hash = Buffer.from(parts[5]!, 'base64url');
  const params = { logN, r, p, keyLength: hash.length };
  if (!withinLimits(params) || salt.length < 8) return undefined;
  return { params, salt, hash };
}

function scryptAsync(key: string, salt: Buffer, params: HashParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  // OpenSSL needs 128·r·(N + p + 2) bytes; Node's default limit (32 MiB) is just too small for N = 2^15, r = 8.
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 128 * params.r * (N + params.p + 2) + 1024 * 1024 };
  return new Promise((resolve, reject) => scrypt(key, salt, params.keyLength, options, (error, derived) => (error ? reject(error) : resolve(derived))));
}

function withinLimits(params: HashParams): boolean {
  return (Object.keys(LIMITS) as (keyof HashParams)[]).every((name) => Number.isInteger(params[name]) && params[name] >= LIMITS[name][0] && params[name] <= LIMITS[name][1]);
}

function checkHashParams(params: HashParams): HashParams {
  if (!withinLimits(params)) {
    const ranges = (Object.keys(LIMITS) as (keyof HashParams)[]).map((name) => `${name} ${LIMITS[name][0]}..${LIMITS[name][1]}`).join(', ');
    throw new RangeError(`hashParams out of range (${ranges}): ${JSON.stringify(params)}`);
  }
  return Object.freeze({ ...params });
}

// ---------------------------------------------------------------------------------------------
// Checks at the edge

const invalid = (path: string, message: string): ValidationError => new ValidationError(`${path}: ${message}`, { issues: [{ path, message }] });

function checkRole(role: unknown): ApiRole {
  if (typeof role === 'string' && (API_ROLES as readonly string[]).includes(role)) return role as ApiRole;
  throw invalid('role', `must be one of ${API_ROLES.join(', ')}, not ${JSON.stringify(role ?? null)}`);
}

function checkActor(actor: unknown): Actor {
  const a = actor as Partial<Actor> | null | undefined;
  if (typeof a?.id !== 'string' || !a.id || typeof a.role !== 'string' || !a.role) throw invalid('actor', 'who does this is required: { id, role }');
  return { id: a.id, role: a.role };
}

/** Optional free text: null when absent or blank, trimmed, bounded, without control characters. */
function checkText(text: unknown, path: string, max: number): string | null {
  if (text === undefined || text === null) return null;
  if (typeof text !== 'string') throw invalid(path, 'must be text');
  const trimmed = text.trim();
  if (trimmed.length > max) throw invalid(path, `at most ${max} characters, not ${trimmed.length}`);
  if (hasControlCharacters(trimmed)) throw invalid(path, 'must not hold control or bidirectional-override characters');
  return trimmed === '' ? null : trimmed;
}

const principalOf = (record: KeyRecord): Principal => Object.freeze({ keyId: record.keyId, library: record.library, role: record.role, label: record.label });

const infoOf = (record: KeyRecord): ApiKeyInfo => ({
  keyId: record.keyId,
  library: record.library,
  role: record.role,
  label: record.label,
  createdAt: record.createdAt,
  createdBy: record.createdBy,
  revokedAt: record.revokedAt,
  revokedBy: record.revokedBy,
  revokeReason: record.revokeReason,
});
