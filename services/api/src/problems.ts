import { isInterlendError, type InterlendError } from '@interlend/engine';

/** One field's problem: `body.material.title`, `querystring.limit`, `headers.idempotency-key`. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** The stable codes of the API's problems (the `code` member; the `type` URI ends with it). */
export const PROBLEM_CODES = {
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  UNAUTHORIZED: { status: 401, title: 'A valid API key is required' },
  FORBIDDEN: { status: 403, title: 'Not allowed' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  ILLEGAL_STATE: { status: 409, title: 'Not allowed in the current state' },
  CONCURRENCY: { status: 409, title: 'The request changed at the same time; send the command again' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Send application/json' },
  VALIDATION: { status: 422, title: 'The request does not match its schema' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal error' },
  UNAVAILABLE: { status: 503, title: 'The store is unavailable; try again' },
} as const;
export type ProblemCode = keyof typeof PROBLEM_CODES;

/** The `type` URI of a problem code. */
export const problemType = (code: ProblemCode): string => `urn:interlend:problem:${code.toLowerCase().replace(/_/g, '-')}`;

/** An error the API answers with as an RFC 9457 problem (`application/problem+json`). */
export class ApiProblem extends Error {
  readonly status: number;
  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extra: { errors?: FieldProblem[]; state?: string; allowed?: string[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
    this.status = PROBLEM_CODES[code].status;
  }
}

export const isApiProblem = (e: unknown): e is ApiProblem => e instanceof ApiProblem || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'ApiProblem');

/** The body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ProblemCode;
  errors?: FieldProblem[];
  state?: string;
  allowed?: string[];
}

export function problemBody(problem: ApiProblem, instance: string): ProblemBody {
  const { errors, state, allowed } = problem.extra;
  return {
    type: problemType(problem.code),
    title: PROBLEM_CODES[problem.code].title,
    status: problem.status,
    detail: problem.detail,
    instance,
    code: problem.code,
    ...(errors ? { errors } : {}),
    ...(state !== undefined ? { state } : {}),
    ...(allowed ? { allowed } : {}),
  };
}

/** The body's field paths: the engine names `data.x`, the client sent `body.x`. */
const bodyPath = (path: string): string =>
  path === 'data'
    ? 'body'
    : path.startsWith('data.') || path.startsWith('data[')
      ? `body${path.slice(4)}`
      : path === 'commandId'
        ? 'headers.idempotency-key'
        : path === 'occurredAt'
          ? 'headers.occurred-at'
          : path;

/**
 * The problem for an engine error (by its stable code, never by class). `allowedFor` turns the
 * engine's list of what a state accepts into what this caller may send.
 */
export function fromEngineError(error: InterlendError, allowedFor?: (allowed: readonly string[]) => string[]): ApiProblem {
  const details = error.details as { issues?: FieldProblem[]; state?: string; allowed?: string[] };
  switch (error.code) {
    case 'VALIDATION':
      return new ApiProblem('VALIDATION', error.message, { errors: (details.issues ?? []).map((i) => ({ path: bodyPath(i.path), message: i.message })) });
    case 'FORBIDDEN':
      return new ApiProblem('FORBIDDEN', error.message);
    case 'NOT_FOUND':
      return new ApiProblem('NOT_FOUND', error.message);
    case 'ILLEGAL_STATE': {
      const allowed = details.allowed ? (allowedFor ? allowedFor(details.allowed) : [...details.allowed]) : undefined;
      return new ApiProblem('ILLEGAL_STATE', error.message, { state: details.state, allowed });
    }
    case 'CONCURRENCY':
      return new ApiProblem('CONCURRENCY', `${error.message}; nothing was written: send the command again (with the same Idempotency-Key)`);
    case 'STORE':
      return new ApiProblem('UNAVAILABLE', error.message, { headers: { 'retry-after': '1' } });
  }
}

export { isInterlendError };
