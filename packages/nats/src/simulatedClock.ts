import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { ForbiddenError, StoreError, ValidationError, type ManualClock } from '@interlend/engine';
import { z } from 'zod';
import { decode, encode } from './envelopes';
import { errorBody, natsFailure } from './errorBodies';
import { backoffDelay, pause } from './pause';
import { resolveSettings, subjectsOf, type NatsSettings, type NatsSettingsInput } from './settings';

/**
 * A simulated clock for workers. Ordinary workers keep their own clock: a command carries no time
 * that the worker would record (its `sentAt` is information only), so no client can backdate when
 * something was recorded. (A command may say it happened earlier, `occurredAt`: that business time
 * is kept beside the worker's record time, never instead of it; docs/workflow/business-time.md.)
 * A simulation (`interlend simulate --nats --workers K`) starts its own workers with a secret key
 * in their environment; those workers, and only those, follow the time the simulation sets, when
 * it comes signed with that key (HMAC-SHA256 over the subject prefix and the time), and only
 * forwards: a replayed old tick cannot move them back.
 */
export const SIMULATED_CLOCK_KEY_ENV = 'INTERLEND_SIMULATED_CLOCK_KEY';

const TickSchema = z.object({ v: z.literal(1), time: z.iso.datetime(), signature: z.string().regex(/^[0-9a-f]{64}$/) });
const TickReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), worker: z.string(), time: z.string() }),
  z.object({ ok: z.literal(false), worker: z.string(), error: z.object({ code: z.string(), message: z.string() }) }),
]);

export function signTime(key: string, prefix: string, time: string): string {
  return createHmac('sha256', key).update(`interlend-clock\n${prefix}\n${time}`).digest('hex');
}

function verifyTime(key: string, prefix: string, time: string, signature: string): boolean {
  const expected = Buffer.from(signTime(key, prefix, time), 'hex');
  const given = Buffer.from(signature, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The key must be long enough not to be guessed: 32 bytes of hex or more. */
export function checkClockKey(key: string | undefined): string {
  if (!key || key.length < 32) throw new ValidationError(`${SIMULATED_CLOCK_KEY_ENV}: a key of at least 32 characters is required to follow a simulated clock`, { field: SIMULATED_CLOCK_KEY_ENV });
  return key;
}

/**
 * A worker's side: sets `clock` to each signed time (forwards only) and answers, so that the
 * simulation knows every worker has moved before it sends the next command.
 */
export function followSimulatedClock(nc: NatsConnection, options: { key: string; clock: ManualClock; worker: string; settings?: NatsSettingsInput | NatsSettings }): Subscription {
  const settings = resolveSettings(options.settings);
  const key = checkClockKey(options.key);
  const subject = subjectsOf(settings).clockSet;
  return nc.subscribe(subject, {
    callback: (error, msg: Msg) => {
      if (error || !msg.reply) return;
      let reply: z.infer<typeof TickReplySchema>;
      try {
        const tick = decode(TickSchema, msg.data, 'clock tick');
        if (!verifyTime(key, settings.prefix, tick.time, tick.signature)) throw new ForbiddenError('clock tick: the signature does not match this simulation\'s key', {});
        const t = Date.parse(tick.time);
        if (t < options.clock.now().getTime()) throw new ForbiddenError(`clock tick: ${tick.time} is before this worker's time ${options.clock.now().toISOString()}; the clock only moves forwards`, {});
        options.clock.set(t);
        reply = { ok: true, worker: options.worker, time: options.clock.now().toISOString() };
      } catch (failure) {
        const body = errorBody(failure);
        reply = { ok: false, worker: options.worker, error: { code: body.code, message: body.message } };
      }
      msg.respond(encode(reply));
    },
  });
}

/** The simulation's side: moves every one of its `workers` to `time` and waits for each to say so. */
export class SimulatedClockSender {
  private readonly settings: NatsSettings;
  private readonly subject: string;
  constructor(
    private readonly nc: NatsConnection,
    private readonly options: { key: string; workers: number; settings?: NatsSettingsInput | NatsSettings; timeoutMs?: number },
  ) {
    this.settings = resolveSettings(options.settings);
    this.subject = subjectsOf(this.settings).clockSet;
    checkClockKey(options.key);
  }

  /**
   * Sends the signed time until every worker has answered, within `timeoutMs` (default 30 s) in
   * all. A tick may be sent again (a worker takes the time it already has), so a worker that was
   * reconnecting (its server lost) or not yet subscribed ("no responders") is asked again after a
   * short pause; a worker that refuses the time fails the call at once.
   */
  async set(time: Date): Promise<void> {
    const iso = time.toISOString();
    const tick = encode({ v: 1, time: iso, signature: signTime(this.options.key, this.settings.prefix, iso) });
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const answered = new Set<string>();
    let lastProblem: unknown;
    for (let attempt = 1; answered.size < this.options.workers; attempt++) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      try {
        // Each attempt waits for the workers still missing (a worker answers every copy: `count` bounds the wait).
        const replies = await this.nc.requestMany(this.subject, tick, { strategy: 'count', maxMessages: this.options.workers, maxWait: Math.min(left, 2_000) });
        for await (const m of replies) {
          const reply = decode(TickReplySchema, m.data, 'clock tick reply');
          if (!reply.ok) throw new StoreError(`worker ${reply.worker} did not take the simulated time ${iso}: ${reply.error.message}`, { worker: reply.worker });
          answered.add(reply.worker);
        }
      } catch (error) {
        if (error instanceof StoreError) throw error;
        lastProblem = error;
      }
      if (answered.size < this.options.workers) await pause(Math.min(backoffDelay(attempt, 100, 1_000), Math.max(0, deadline - Date.now())));
    }
    if (answered.size < this.options.workers) {
      const why = lastProblem === undefined ? '' : ` (last: ${natsFailure('', lastProblem).message.replace(/^: /, '')})`;
      throw new StoreError(`cannot set the simulated clock to ${iso}: only ${answered.size} of ${this.options.workers} workers took it within ${timeoutMs} ms${why}`, {
        answered: answered.size,
        workers: this.options.workers,
      });
    }
  }
}
