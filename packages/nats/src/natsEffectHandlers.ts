import { jetstream } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import { ValidationError, isInterlendError, type CommandInput, type Effect, type EffectContext, type EffectHandler } from '@interlend/engine';
import { encode, type EffectMessage } from './envelopes';
import { natsFailure } from './errorBodies';
import { NatsCommandBus } from './natsCommandBus';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';
import { HEADERS } from './subjects';

/**
 * Where an effect goes:
 * - `deliver`: published on `<prefix>.effects.<party>.<effect type>` (EFFECTS stream) for the party
 *   the function names (undefined: `~`, a service of no party);
 * - `command`: sent as a command on the work queue; its command id defaults to `effect:<effectId>`,
 *   so it is applied once however often the effect runs.
 */
export type EffectRoute =
  | { readonly deliver: (effect: Effect, context: EffectContext) => string | undefined }
  | { readonly command: (effect: Effect, context: EffectContext) => Omit<CommandInput, 'commandId'> & { readonly commandId?: string } };

export interface NatsEffectHandlersOptions {
  readonly settings?: NatsSettingsInput | NatsSettings;
  /** Effect type -> route. Effects without a route are not handled here. */
  readonly routes: Readonly<Record<string, EffectRoute>>;
  readonly publishTimeoutMs?: number;
}

/**
 * Effect handlers for the engine's EffectDispatcher, which runs them after the events committed
 * and never during a replay (folds and projection rebuilds do not call it). Each publish carries
 * Nats-Msg-Id = the effect id (`<eventId>:<index>`), so the at-least-once dispatcher (a retry, two
 * workers) delivers each effect once within the EFFECTS stream's duplicate window; receivers
 * deduplicate on `effectId` beyond it. A route that cannot be followed (a function that throws)
 * is a ValidationError: the dispatcher reports it and skips the effect. A NATS failure is a
 * StoreError: the dispatcher keeps its progress and tries the effect again next time.
 */
export function natsEffectHandlers(nc: NatsConnection, options: NatsEffectHandlersOptions): Record<string, EffectHandler> {
  const settings = resolveSettings(options.settings);
  const subjects = subjectsOf(settings);
  const js = jetstream(nc);
  const bus = new NatsCommandBus(nc, { settings, publishTimeoutMs: options.publishTimeoutMs });
  const handlers: Record<string, EffectHandler> = {};
  for (const [type, route] of Object.entries(options.routes)) {
    handlers[type] = async (effect, context) => {
      if ('command' in route) {
        const command = follow(type, () => route.command(effect, context));
        await bus.publish({ ...command, commandId: command.commandId ?? `effect:${context.effectId}` });
        return;
      }
      const party = follow(type, () => route.deliver(effect, context));
      const message: EffectMessage = {
        v: 1,
        effectId: context.effectId,
        type: effect.type,
        params: effect.params,
        ...(party ? { party } : {}),
        streamId: context.event.streamId,
        eventId: context.event.id,
        position: context.event.position,
      };
      const h = headers();
      h.set(HEADERS.effectId, context.effectId);
      h.set(HEADERS.stream, context.event.streamId);
      try {
        await js.publish(subjects.effect(party, effect.type), encode(message), { msgID: context.effectId, headers: h, timeout: options.publishTimeoutMs ?? 5_000 });
      } catch (error) {
        throw natsFailure(`cannot deliver effect ${context.effectId} (${effect.type})`, error, { effectId: context.effectId });
      }
    };
  }
  return handlers;
}

function follow<T>(type: string, route: () => T): T {
  try {
    return route();
  } catch (error) {
    if (isInterlendError(error)) throw error;
    throw new ValidationError(`effect '${type}': cannot route it: ${(error as Error)?.message ?? String(error)}`, { effect: type }, { cause: error });
  }
}
