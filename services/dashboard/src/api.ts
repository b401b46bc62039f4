/** Calls to the interlend API with the signed-in key; every failure becomes an ApiError holding the RFC 9457 problem. */

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  code?: string;
  errors?: { path: string; message: string }[];
  state?: string;
  allowed?: string[];
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** True for an ApiError, also across bundles (checks the name, not only the prototype). */
export function isApiError(value: unknown): value is ApiError {
  return value instanceof Error && value.name === 'ApiError' && typeof (value as { problem?: unknown }).problem === 'object';
}

/** The problem behind any thrown value (a plain Error becomes a problem with status 0). */
export function problemOf(error: unknown): Problem {
  if (isApiError(error)) return error.problem;
  return { title: 'Error', status: 0, detail: error instanceof Error ? error.message : String(error) };
}

function asProblem(status: number, statusText: string, body: unknown, text: string): Problem {
  if (body && typeof body === 'object' && 'title' in body) return { status, ...(body as Omit<Problem, 'status'>) };
  return { title: statusText || `HTTP ${status}`, status, detail: text.slice(0, 500) || `the API answered ${status}` };
}

export class Api {
  constructor(readonly key: string) {}

  get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  /** A command or a submit; with an `idempotencyKey` (the engine's command id), sending it again cannot apply it twice. */
  post<T>(path: string, body: unknown, idempotencyKey?: string): Promise<T> {
    return this.send<T>('POST', path, body, idempotencyKey);
  }

  private async send<T>(method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.key}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['Idempotency-Key'] = idempotencyKey;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    } catch (cause) {
      throw new ApiError({ title: 'Network error', status: 0, detail: `could not reach the API (${method} ${path}): ${cause instanceof Error ? cause.message : String(cause)}` });
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) throw new ApiError(asProblem(response.status, response.statusText, json, text));
    return json as T;
  }
}

/** `?a=1&b=2` from the defined, non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * A random id for the Idempotency-Key of one form: kept while the form is open, so a resend after a
 * lost answer reaches the first result. (crypto.randomUUID needs a secure context; getRandomValues does not.)
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `dash-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}
