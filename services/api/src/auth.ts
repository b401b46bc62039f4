import type { FastifyRequest } from 'fastify';
import type { Principal } from '@interlend/deployment';
import { ApiProblem } from './problems';

/** What checks a key: `ApiKeys` of @interlend/deployment (slow hash, constant-time compare). */
export interface KeyAuthenticator {
  authenticate(key: string): Promise<Principal | undefined>;
}

const CHALLENGE = 'Bearer realm="interlend"';
/** A key's shape: `ilk_<keyId>_<secret>`. */
const KEY_SHAPE = /^ilk_[A-Za-z0-9-]+_[A-Za-z0-9_-]+$/;
const MAX_KEY = 512;

export const unauthorized = (detail: string, invalid = false): ApiProblem =>
  new ApiProblem('UNAUTHORIZED', detail, { headers: { 'www-authenticate': invalid ? `${CHALLENGE}, error="invalid_token"` : CHALLENGE } });

/** The key of an `Authorization: Bearer <key>` header, or undefined when there is none. */
export function bearerKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] ?? '' : header;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(value);
  if (!match) throw unauthorized("the Authorization header must be 'Bearer <key>'", true);
  return match[1];
}

/**
 * Turns the Authorization header into the caller's principal. The key check itself (a slow hash,
 * compared in constant time, with a cache of verified keys that honours revocations at once) is
 * `ApiKeys` of @interlend/deployment.
 */
export class BearerAuthenticator {
  constructor(private readonly keys: KeyAuthenticator) {}

  /** The principal of the request's key; throws the 401 problem when the key is missing or not valid. */
  async principalOf(request: Pick<FastifyRequest, 'headers'>): Promise<Principal> {
    const key = bearerKey(request.headers.authorization);
    if (key === undefined) throw unauthorized('send your API key: Authorization: Bearer <key>');
    if (key.length > MAX_KEY || !KEY_SHAPE.test(key)) throw unauthorized('the key is not valid: an API key looks like ilk_<keyId>_<secret>', true);
    const principal = await this.keys.authenticate(key);
    if (!principal) throw unauthorized('the key is not valid (unknown, revoked or mistyped)', true);
    return principal;
  }
}
