import { clockAt, openApp } from '../app';
import { parse } from '../args';
import { resolveDbPath } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend timers run [--now TIME] [--db PATH] [--json] | interlend timers list [--db PATH] [--json]';

export async function timersCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { now: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, USAGE, { max: 1 });
  const [sub] = positionals;
  if (values.help || !sub) return print(io, `usage: ${USAGE}`), values.help ? 0 : 2;
  if (sub !== 'run' && sub !== 'list') throw new UsageError(`unknown timers command '${sub}'\nusage: ${USAGE}`);
  const clock = clockAt(values.now);
  const app = await openApp(resolveDbPath(io, values.db), { mustExist: true, clock, mode: sub === 'list' ? 'read' : 'maintain', warningsTo: io });
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
