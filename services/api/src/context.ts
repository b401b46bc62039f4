import type { FastifyRequest } from 'fastify';
import { isInterlendError, type CommandInput, type StoredEvent } from '@interlend/engine';
import { allowedForPeople, type App, type Principal } from '@interlend/deployment';
import { DIRECTORY_STREAM, Directory, ILL_WORKFLOW, refreshDirectoryHead, refusedNow, type DirectoryHead, type IllContext, type IllServices } from '@interlend/ill';
import { allowedFor, canSee } from './access';
import type { BearerAuthenticator } from './auth';
import type { CommandSender, SentCommand } from './commandSender';
import { ApiProblem, fromEngineError } from './problems';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who called, once the key is checked (every /v1 route). */
    principal?: Principal;
    /** Why the key was refused: answered before the body is read, after the rate limiter counted it. */
    authProblem?: unknown;
  }
}

/** What the routes work with. */
export interface ApiContext {
  readonly app: App;
  readonly sender: CommandSender;
  readonly auth: BearerAuthenticator;
  readonly directory: DirectoryCache;
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new ApiProblem('UNAUTHORIZED', 'send your API key: Authorization: Bearer <key>');
  return request.principal;
}

/**
 * The directory, brought up to date when it changed while the server runs (an import or a
 * library's update is an event on the directory stream: only the events since are read), and
 * handed to the runtime so new rotas use it too.
 */
export class DirectoryCache {
  private revision: number;
  private current: Directory | undefined;
  private head: DirectoryHead | undefined;
  constructor(private readonly app: App) {
    this.current = app.directory;
    this.revision = -2;
  }

  async get(): Promise<Directory | undefined> {
    const revision = await this.app.events.streamRevision(DIRECTORY_STREAM);
    if (revision !== this.revision) {
      this.head = revision < 0 ? undefined : await refreshDirectoryHead(this.app.events, this.head);
      this.current = this.head?.directory;
      this.revision = this.head?.revision ?? revision;
      // The runtime's services are the ones its `decide` reads (rotas, library codes in commands).
      (this.app.runtime.options.services as { directory: IllServices['directory'] }).directory = this.current ?? new Directory({ libraries: [] });
    }
    return this.current;
  }
}

/** The request's folded state, when the caller may see it; otherwise "not found" (404), whether it exists or not. */
export async function loadVisible(ctx: ApiContext, p: Principal, requestId: string) {
  const notFound = () => new ApiProblem('NOT_FOUND', `no request '${requestId}' that this key may see (${p.library}, ${p.role})`);
  let state;
  try {
    state = await ctx.app.runtime.handler.load(requestId);
  } catch (error) {
    if (isInterlendError(error) && error.code === 'STORE') throw fromEngineError(error);
    throw notFound();
  }
  const context = state?.snapshot.context as IllContext | undefined;
  if (!state || !context?.borrower || !canSee(p, context)) throw notFound();
  return { state, context };
}

/** True when the stream's first event belongs to the ILL request workflow. */
export const isRequestStream = (events: readonly StoredEvent[]): boolean => events.length > 0 && events[0]!.metadata.workflow === ILL_WORKFLOW;

/**
 * Sends a command as the key's library and reports it as the API does. Engine refusals become
 * problems; a 409 names what this caller may send in that state.
 */
export async function sendCommand(ctx: ApiContext, p: Principal, command: CommandInput, before: IllContext | undefined): Promise<SentCommand> {
  await ctx.directory.get();
  let sent: SentCommand;
  try {
    sent = await ctx.sender.send(command);
  } catch (error) {
    // What this key may send instead: never the command just refused (nor the timer's).
    if (isInterlendError(error)) throw fromEngineError(error, (allowed) => allowedFor(p, before ?? {}, allowed).filter((type) => type !== command.type));
    throw error;
  }
  if (sent.duplicate) {
    const first = sent.events[0]?.metadata as { commandType?: string; actor?: { id?: string } } | undefined;
    if (first && (first.commandType !== command.type || first.actor?.id !== command.actor.id)) {
      const message = `Idempotency-Key '${command.commandId}' was already used on request ${command.streamId} for '${first.commandType}' by ${first.actor?.id}; a new command needs a new key`;
      throw new ApiProblem('VALIDATION', message, { errors: [{ path: 'headers.idempotency-key', message }] });
    }
  }
  return sent;
}

/** The answer to a command: the request, the command id, what it wrote, what the caller may do now. */
export function commandResult(p: Principal, requestId: string, commandId: string, sent: SentCommand) {
  return {
    requestId,
    commandId,
    duplicate: sent.duplicate,
    state: sent.state,
    events: sent.events.map((e) => ({ type: e.type, revision: e.revision, position: e.position })),
    allowed: offeredNow(p, sent.state, sent.context as unknown as IllContext, sent.allowed),
  };
}

/**
 * What the caller may send now: the commands its key may send (`allowedFor`) less those this
 * request refuses all the same (a second renewal, a withdrawal before a lender clock fell due):
 * the list a refusal gives (docs/workflow/amendments.md).
 */
function offeredNow(p: Principal, stateName: string, context: IllContext, allowed: readonly string[]): string[] {
  return allowedFor(p, context, allowed).filter((type) => !refusedNow(type, stateName, context));
}

/** What the caller may send now on a request it has loaded. */
export function allowedNow(ctx: ApiContext, p: Principal, state: Parameters<typeof allowedForPeople>[1], context: IllContext): string[] {
  return offeredNow(p, state.stateName, context, allowedForPeople(ctx.app.runtime, state));
}
