import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { StoreError } from '@interlend/engine';
import { z } from 'zod';
import { ErrorBodySchema, decode, encode } from './envelopes';
import { errorBody, errorFromBody, natsFailure } from './errorBodies';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';

/** What a timer run did: the engine's TimerRun, as a reply carries it. */
export const TimerRunOutcomeSchema = z.object({
  /** Deadlines whose command was applied. */
  fired: z.number().int().min(0),
  /** Deadlines the workflow refused (the request had moved on). */
  refused: z.number().int().min(0),
  refusals: z.array(z.object({ streamId: z.string(), name: z.string(), at: z.string(), error: z.string() })),
  /** The time the worker fired them at (its clock). */
  at: z.string(),
  worker: z.string(),
});
export type TimerRunOutcome = z.infer<typeof TimerRunOutcomeSchema>;

const TimerRunReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), outcome: TimerRunOutcomeSchema }),
  z.object({ ok: z.literal(false), error: ErrorBodySchema }),
]);
type TimerRunReply = z.infer<typeof TimerRunReplySchema>;

/**
 * A worker of the timers role answers `<prefix>.timers.run` (queue group: one worker takes each
 * request): it fires the deadlines due at its own clock through the command path and says what
 * happened. A request carries no time: the worker's clock decides what is due, so a caller
 * cannot make a deadline fire early. Each deadline's command id is deterministic, so two runs at
 * once (two callers, the periodic scan) apply each deadline once.
 */
export function serveTimerRuns(
  nc: NatsConnection,
  options: { run: () => Promise<Omit<TimerRunOutcome, 'worker'>>; worker: string; settings?: NatsSettingsInput | NatsSettings; onError?: (error: unknown) => void },
): Subscription {
  const subjects = subjectsOf(resolveSettings(options.settings));
  return nc.subscribe(subjects.timersRun, {
    queue: 'timers',
    callback: (error, msg) => {
      if (error) return options.onError?.(error);
      void (async () => {
        let reply: TimerRunReply;
        try {
          reply = { ok: true, outcome: { ...(await options.run()), worker: options.worker } };
        } catch (failure) {
          options.onError?.(failure);
          reply = { ok: false, error: errorBody(failure) };
        }
        if (msg.reply) msg.respond(encode(reply));
      })();
    },
  });
}

/** Asks a worker of the timers role to fire the deadlines due now; the outcome, or the engine's typed error. */
export async function requestTimerRun(nc: NatsConnection, options: { settings?: NatsSettingsInput | NatsSettings; timeoutMs?: number } = {}): Promise<TimerRunOutcome> {
  const subjects = subjectsOf(resolveSettings(options.settings));
  const timeout = options.timeoutMs ?? 60_000;
  let data: Uint8Array;
  try {
    data = (await nc.request(subjects.timersRun, encode({ v: 1 }), { timeout })).data;
  } catch (error) {
    const text = String((error as Error)?.message ?? error);
    if (/no responders/i.test(text) || (error as { isNoResponders?: () => boolean })?.isNoResponders?.()) {
      throw new StoreError('no worker of the timers role is running (no responders)', { reason: 'no_responders' }, { cause: error });
    }
    throw natsFailure('timer run request failed', error);
  }
  const reply = decode(TimerRunReplySchema, data, 'timer run reply');
  if (!reply.ok) throw errorFromBody(reply.error);
  return reply.outcome;
}
