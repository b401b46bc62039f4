import {
  ConcurrencyError,
  ForbiddenError,
  IllegalStateError,
  InterlendError,
  NotFoundError,
  StoreError,
  ValidationError,
  isInterlendError,
  type ErrorDetails,
} from '@interlend/engine';
import type { ErrorBody } from './envelopes';

/** An error as a reply carries it: `{ code, message, details }` with the engine's codes. */
export function errorBody(error: unknown): ErrorBody {
  if (isInterlendError(error)) return { code: error.code, message: error.message, details: jsonDetails(error.details) };
  // Not one of ours: a bug or a driver error. Reported as a store failure (500), marked internal.
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'STORE', message: `internal error: ${message}`, details: { internal: true } };
}

/** The engine's typed error for a reply's error body (so `isForbiddenError(e)` works on the caller's side). */
export function errorFromBody(body: ErrorBody): InterlendError {
  const details = body.details as ErrorDetails;
  switch (body.code) {
    case 'VALIDATION':
      return new ValidationError(body.message, details);
    case 'FORBIDDEN':
      return new ForbiddenError(body.message, details);
    case 'NOT_FOUND':
      return new NotFoundError(body.message, details);
    case 'ILLEGAL_STATE':
      return new IllegalStateError(body.message, details);
    case 'CONCURRENCY':
      return new ConcurrencyError(body.message, details);
    case 'STORE':
      return new StoreError(body.message, details);
  }
}

/** Errors that may pass if tried again: the store failed or the stream kept changing. */
export const isTransient = (error: unknown): boolean => isInterlendError(error) && (error.code === 'STORE' || error.code === 'CONCURRENCY');

/** Errors that say the command can never be applied as sent. */
export const isRefusal = (error: unknown): boolean =>
  isInterlendError(error) && (error.code === 'VALIDATION' || error.code === 'FORBIDDEN' || error.code === 'NOT_FOUND' || error.code === 'ILLEGAL_STATE');

/** A NATS or network failure as the engine's StoreError (the broker is part of the store path here). */
export function natsFailure(what: string, error: unknown, details: ErrorDetails = {}): StoreError {
  if (error instanceof StoreError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError(`${what}: ${message}`, { ...details, nats: true }, { cause: error });
}

function jsonDetails(details: ErrorDetails): Record<string, unknown> {
  try {
    const copy = JSON.parse(JSON.stringify(details ?? {})) as unknown;
    return copy && typeof copy === 'object' && !Array.isArray(copy) ? (copy as Record<string, unknown>) : {};
  } catch {
    return { unserializable: true };
  }
}
