import type { CommandInput } from '@interlend/engine';
import { allowedForPeople, type App, type NatsCommandSender } from '@interlend/deployment';

/** One event a command wrote, as the API reports it. */
export interface SentEvent {
  readonly type: string;
  readonly revision: number;
  readonly position: number;
  readonly metadata: Record<string, unknown>;
}

/** What became of a command, wherever it was applied. */
export interface SentCommand {
  readonly duplicate: boolean;
  readonly state: string;
  readonly revision: number;
  /** The request's context after the command (who borrows, who lends now). */
  readonly context: Record<string, unknown>;
  readonly events: readonly SentEvent[];
  /** The commands people may send now (any party); the route narrows them to the caller. */
  readonly allowed: readonly string[];
}

/** Where commands go: the runtime in this process, or the NATS workers. */
export interface CommandSender {
  readonly mode: 'embedded' | 'nats';
  send(command: CommandInput): Promise<SentCommand>;
}

/** Applies commands in this process (the embedded default): the command, then its effects and read models. */
export function embeddedSender(app: App): CommandSender {
  return {
    mode: 'embedded',
    async send(command) {
      const result = await app.runtime.execute(command);
      return {
        duplicate: result.duplicate,
        state: result.state.stateName,
        revision: result.state.revision,
        context: ((result.state.snapshot as unknown as { context?: Record<string, unknown> }).context) ?? {},
        events: result.events.map((e) => ({ type: e.type, revision: e.revision, position: e.position, metadata: e.metadata as Record<string, unknown> })),
        allowed: allowedForPeople(app.runtime, result.state),
      };
    },
  };
}

/** Has the NATS workers apply commands (`serve --nats URL`): this process applies none itself. */
export function natsSender(nats: NatsCommandSender): CommandSender {
  return {
    mode: 'nats',
    async send(command) {
      const outcome = await nats.request(command);
      return {
        duplicate: outcome.duplicate,
        state: outcome.state.name,
        revision: outcome.state.revision,
        context: (outcome.state.context as Record<string, unknown> | undefined) ?? {},
        events: outcome.events.map((e) => ({ type: e.type, revision: e.revision, position: e.position, metadata: e.metadata })),
        allowed: outcome.allowed ?? [],
      };
    },
  };
}
