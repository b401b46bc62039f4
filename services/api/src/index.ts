// The interlend HTTP API: Fastify 5, zod schemas (OpenAPI 3.1), the live stream and the dashboard.
export { buildApi, DEFAULT_BODY_LIMIT, DEFAULT_RATE_LIMIT, DEFAULT_READY_MAX_LAG } from './server';
export type { ApiOptions } from './server';
export { startServer } from './serve';
export type { RunningServer, ServeOptions } from './serve';
export { embeddedSender, natsSender } from './commandSender';
export type { CommandSender, SentCommand, SentEvent } from './commandSender';
export type { KeyAuthenticator } from './auth';
export { PROBLEM_CODES, problemType } from './problems';
export type { ProblemBody, ProblemCode } from './problems';
