import { isInterlendError, StoreError } from '@interlend/engine';

/**
 * SQLSTATEs after which the same call may succeed when tried again: the connection broke or the
 * server is starting or stopping (class 08, 57P01-57P03), a serialization failure or deadlock
 * (40001, 40P01), a lock or statement timeout (55P03, 57014), too many connections or another
 * shortage of resources (class 53). The PostgreSQL counterpart of SQLite's SQLITE_BUSY.
 */
const RETRYABLE_STATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03']);
const RETRYABLE_CLASSES = ['08', '53'];
/** Node's socket errors and node-postgres' own messages for a connection that broke or never came. */
const RETRYABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const RETRYABLE_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly/i;

/** The SQLSTATE of a server error (five characters), or undefined for anything else. */
export function pgCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** Whether trying the same call again may succeed (see RETRYABLE_STATES). */
export function isRetryable(error: unknown): boolean {
  const state = pgCode(error);
  if (state) return RETRYABLE_STATES.has(state) || RETRYABLE_CLASSES.includes(state.slice(0, 2));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && RETRYABLE_NODE_CODES.has(code)) return true;
  return error instanceof Error && RETRYABLE_MESSAGES.test(error.message);
}

/**
 * Wraps a driver error in StoreError, keeping it as the cause: `details.pgCode` (the SQLSTATE,
 * when the server answered) and `details.retryable`. Errors of the engine's family pass through.
 */
export function toStoreError(error: unknown, what: string, details: Record<string, unknown> = {}): unknown {
  if (isInterlendError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const state = pgCode(error);
  const nodeCode = (error as { code?: unknown } | null)?.code;
  return new StoreError(
    `${what}: ${message}`,
    { ...details, ...(state ? { pgCode: state } : typeof nodeCode === 'string' ? { errno: nodeCode } : {}), retryable: isRetryable(error) },
    { cause: error },
  );
}
