/**
 * The engine's error family. Each error has a stable `name` and `code` that an edge
 * (HTTP, NATS, CLI) maps to a status, keeps its `cause`, and has a type guard that
 * does not rely on `instanceof` alone (errors cross package copies and processes).
 */
export type InterlendErrorCode =
  | 'VALIDATION'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'ILLEGAL_STATE'
  | 'CONCURRENCY'
  | 'STORE';

const HTTP_STATUS: Record<InterlendErrorCode, number> = {
  VALIDATION: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  ILLEGAL_STATE: 409,
  CONCURRENCY: 412,
  STORE: 500,
};

export interface ErrorDetails {
  readonly [key: string]: unknown;
}

export class InterlendError extends Error {
  readonly code: InterlendErrorCode;
  readonly details: ErrorDetails;
  constructor(code: InterlendErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
    this.name = 'InterlendError';
  }
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
  toJSON(): { name: string; code: InterlendErrorCode; message: string; details: ErrorDetails } {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/** Bad input: names the offending field(s) in `details.issues`. */
export class ValidationError extends InterlendError {
  constructor(message: string, details: { issues?: { path: string; message: string }[] } & ErrorDetails = {}, options?: { cause?: unknown }) {
    super('VALIDATION', message, details, options);
    this.name = 'ValidationError';
  }
}

/** The actor may not do this (not its request, not the current lender, wrong role). */
export class ForbiddenError extends InterlendError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('FORBIDDEN', message, details);
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends InterlendError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('NOT_FOUND', message, details);
    this.name = 'NotFoundError';
  }
}

/** The command is not allowed in the current state; `details` names the state and what is allowed. */
export class IllegalStateError extends InterlendError {
  constructor(message: string, details: { state?: string; allowed?: string[] } & ErrorDetails = {}) {
    super('ILLEGAL_STATE', message, details);
    this.name = 'IllegalStateError';
  }
}

/** The stream moved on under us (expected revision did not match) and retries ran out. */
export class ConcurrencyError extends InterlendError {
  constructor(message: string, details: { streamId?: string; expected?: unknown; actual?: unknown } & ErrorDetails = {}) {
    super('CONCURRENCY', message, details);
    this.name = 'ConcurrencyError';
  }
}

/** The store could not be opened, read or written. */
export class StoreError extends InterlendError {
  constructor(message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super('STORE', message, details, options);
    this.name = 'StoreError';
  }
}

const hasCode = (e: unknown, code: InterlendErrorCode): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: unknown }).code === code && typeof (e as { message?: unknown }).message === 'string';

export const isInterlendError = (e: unknown): e is InterlendError =>
  typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code in HTTP_STATUS;
export const isValidationError = (e: unknown): e is ValidationError => hasCode(e, 'VALIDATION');
export const isForbiddenError = (e: unknown): e is ForbiddenError => hasCode(e, 'FORBIDDEN');
export const isNotFoundError = (e: unknown): e is NotFoundError => hasCode(e, 'NOT_FOUND');
export const isIllegalStateError = (e: unknown): e is IllegalStateError => hasCode(e, 'ILLEGAL_STATE');
export const isConcurrencyError = (e: unknown): e is ConcurrencyError => hasCode(e, 'CONCURRENCY');
export const isStoreError = (e: unknown): e is StoreError => hasCode(e, 'STORE');
