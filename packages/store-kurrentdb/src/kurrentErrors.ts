import { ErrorType } from '@kurrent/kurrentdb-client';
import { checkExpectedRevision, ConcurrencyError, isConcurrencyError, isInterlendError, StoreError } from '@interlend/engine';
import type { ExpectedRevision } from '@interlend/engine';

/**
 * The client's errors, recognised by their `type` (ErrorType), not by `instanceof`: the class
 * can come from another copy of the client, and the bridge converts its own errors.
 */
export const kurrentErrorType = (error: unknown): string | undefined => {
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : undefined;
};

export const isWrongExpectedVersion = (error: unknown): boolean => kurrentErrorType(error) === ErrorType.WRONG_EXPECTED_VERSION;
export const isStreamNotFound = (error: unknown): boolean => kurrentErrorType(error) === ErrorType.STREAM_NOT_FOUND;

/**
 * The stream's revision as a WrongExpectedVersionError reports it (`actualState`): -1 for
 * 'no_stream', else the revision. Undefined when the error does not say (or says something no
 * engine revision can be).
 */
export function actualRevisionOf(error: unknown): number | undefined {
  const actual = typeof error === 'object' && error !== null ? (error as { actualState?: unknown }).actualState : undefined;
  if (actual === 'no_stream') return -1;
  if (typeof actual === 'bigint' && actual >= 0n && actual <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(actual);
  return undefined;
}

/**
 * The engine's ConcurrencyError for a refused append, with the code, message and details SQLite
 * gives: `{ streamId, expected, actual }` (actual -1 for no stream) from the same
 * `checkExpectedRevision`; when the server names no revision that contradicts the expectation,
 * SQLite's other form, `{ streamId, reason }`.
 */
export function concurrencyErrorFor(streamId: string, expected: ExpectedRevision, error: unknown): ConcurrencyError {
  const actual = actualRevisionOf(error);
  if (actual !== undefined) {
    try {
      checkExpectedRevision(streamId, expected, actual);
    } catch (refused) {
      if (isConcurrencyError(refused)) return refused;
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConcurrencyError(`stream '${streamId}' moved on during the append; nothing was appended`, { streamId, reason: message });
}

const HINTS: Partial<Record<string, string>> = {
  [ErrorType.UNAVAILABLE]: 'the server cannot be reached: is KurrentDB running there, and does the connection string (tls=...) match it?',
  [ErrorType.DEADLINE_EXCEEDED]: 'the server did not answer in time',
  [ErrorType.TIMEOUT]: 'the server did not answer in time',
  [ErrorType.ACCESS_DENIED]: 'the credentials in the connection string may not do this',
  [ErrorType.NOT_LEADER]: 'the node is not the leader: connect with nodePreference=leader or to the cluster (kurrentdb+discover://)',
  [ErrorType.STREAM_DELETED]: 'the stream was deleted in KurrentDB, which the engine never does',
  [ErrorType.STREAM_TOMBSTONED]: 'the stream was tombstoned in KurrentDB, which the engine never does',
  [ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED]: "the append is larger than the server's MaxAppendSize",
};

/** Wraps a client error in StoreError (keeping it as the cause and its ErrorType as `details.kurrentError`); engine errors pass through. */
export function toStoreError(error: unknown, what: string): unknown {
  if (isInterlendError(error)) return error;
  const type = kurrentErrorType(error);
  const message = error instanceof Error ? error.message : String(error);
  const hint = type ? HINTS[type] : undefined;
  return new StoreError(`${what}: ${message}${hint ? ` (${hint})` : ''}`, type ? { kurrentError: type } : {}, { cause: error });
}
