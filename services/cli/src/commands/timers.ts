import { clockAt, openApp } from '../app';
import { parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';
import { NATS_FLAGS, connect, nats, natsSettings, natsUrl } from '../natsOptions';

const USAGE = `interlend timers run [--now TIME] [--store URL | --db PATH] [--json] | interlend timers run --nats URL [--prefix P] [--json] | interlend timers list [--store URL | --db PATH] [--json]`;

export async function timersCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { now: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' }, ...NATS_FLAGS }, USAGE, { max: 1 });
  const [sub] = positionals;
  if (values.help || !sub) return print(io, `usage: ${USAGE}\n\nWith --nats URL, a worker of the timers role fires what is due at its own clock.`), values.help ? 0 : 2;
  if (sub !== 'run' && sub !== 'list') throw new UsageError(`unknown timers command '${sub}'\nusage: ${USAGE}`);
  const url = natsUrl(io, values.nats);
  if (url) {
    if (sub !== 'run') throw new UsageError(`timers list reads the database: run it where the database is (without --nats)`);
    if (values.now !== undefined) throw new UsageError('--now cannot go with --nats: the workers keep their own clock, and no client may move it');
    if ((values.db ?? values.store ?? values['read-models']) !== undefined) throw new UsageError('--db or --store and --nats: the workers have the store; give one or the other');
    const nc = await connect(io, url, 'interlend-cli');
    try {
      const run = await nats().requestTimerRun(nc, { settings: natsSettings(values) });
      if (values.json) printJson(io, { now: run.at, worker: run.worker, fired: run.fired, refused: run.refusals.map((r) => ({ requestId: r.streamId, deadline: r.name, error: r.error })) });
      else {
        print(io, `Fired ${run.fired} deadline(s) due by ${shortTime(run.at)} (worker ${run.worker})${run.refused ? `; ${run.refused} refused` : ''}.`);
        for (const r of run.refusals) print(io, `  ${r.streamId} ${r.name}: ${r.error}`);
      }
      return 0;
    } finally {
      await nc.drain().catch(() => nc.close());
    }
  }
  const clock = clockAt(values.now);
  const app = await openApp(resolveStore(io, values), { mustExist: true, clock, mode: sub === 'list' ? 'read' : 'maintain', warningsTo: io });
  try {
    if (sub === 'run') {
      const run = await app.runtime.runDueTimers();
      if (values.json) printJson(io, { now: clock.now().toISOString(), fired: run.fired, refused: run.refusals.map((r) => ({ requestId: r.timer.streamId, deadline: r.timer.name, error: r.error })) });
      else {
        print(io, `Fired ${run.fired} deadline(s) due by ${shortTime(clock.now().toISOString())}${run.refused ? `; ${run.refused} refused` : ''}.`);
        for (const r of run.refusals) print(io, `  ${r.timer.streamId} ${r.timer.name}: ${r.error}`);
      }
      return 0;
    }
    const pending = await app.runtime.timers.pending();
    if (values.json) return printJson(io, { pending }), 0;
    if (!pending.length) return print(io, 'No pending deadlines.'), 0;
    print(io, table(['due', 'request', 'deadline', 'key'], pending.map((t) => [shortTime(t.at), t.streamId, t.name, t.key])));
    return 0;
  } finally {
    await app.close();
  }
}
