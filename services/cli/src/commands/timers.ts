import { scheduleMissingDeadlines, type ScheduleMissingResult } from '@interlend/ill';
import { clockAt, openApp } from '../app';
import { parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { shortTime, table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';
import { NATS_FLAGS, connect, nats, natsSettings, natsUrl } from '../natsOptions';

const USAGE = `interlend timers run [--now TIME] [--store URL | --db PATH] [--json] | interlend timers run --nats URL [--prefix P] [--json] | interlend timers list [--store URL | --db PATH] [--json] | interlend timers schedule-missing [--dry-run] [--store URL | --db PATH] [--json]`;

const HELP = `With --nats URL, a worker of the timers role fires what is due at its own clock.

schedule-missing: the one-off repair after upgrading to the lender clocks (docs/workflow/lender-clocks.md,
"Upgrading"). Requests that were in a state with a supply, cancel-answer or need-before clock before
that clock existed have no pending deadline for it; this finds the open ones and schedules each
deadline through the engine (a MissingDeadlineScheduled event from the system actor, due when the
terms its rota recorded say, or the defaults). Running it again writes nothing. --dry-run lists what
it would schedule and writes nothing.`;

export async function timersCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { now: { type: 'string' }, 'dry-run': { type: 'boolean' }, ...STORE_FLAGS, json: { type: 'boolean' }, ...NATS_FLAGS }, USAGE, { max: 1 });
  const [sub] = positionals;
  if (values.help || !sub) return print(io, `usage: ${USAGE}\n\n${HELP}`), values.help ? 0 : 2;
  if (sub !== 'run' && sub !== 'list' && sub !== 'schedule-missing') throw new UsageError(`unknown timers command '${sub}'\nusage: ${USAGE}`);
  if (values['dry-run'] && sub !== 'schedule-missing') throw new UsageError(`--dry-run goes with timers schedule-missing only\nusage: ${USAGE}`);
  const url = natsUrl(io, values.nats);
  if (url) {
    if (sub !== 'run') throw new UsageError(`timers ${sub} reads the database: run it where the database is (without --nats)`);
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
  // A dry run reads only (a read-only database can be checked); the repair writes, firing nothing on opening.
  const readOnly = sub === 'list' || (sub === 'schedule-missing' && values['dry-run'] === true);
  const app = await openApp(resolveStore(io, values), { mustExist: true, clock, mode: readOnly ? 'read' : 'maintain', warningsTo: io });
  try {
    if (sub === 'schedule-missing') {
      const dryRun = values['dry-run'] === true;
      const result = await scheduleMissingDeadlines(app.runtime, app.readModels, { dryRun });
      if (values.json) printJson(io, { dryRun, ...result });
      else printScheduleMissing(io, result, dryRun);
      return 0;
    }
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

/** What schedule-missing did (or would do): one line per deadline, then the count. */
function printScheduleMissing(io: CliIo, result: ScheduleMissingResult, dryRun: boolean): void {
  if (result.missing.length) {
    const refused = new Set(result.refused.map((r) => `${r.requestId} ${r.name}`));
    const done = (m: { requestId: string; name: string }) => (dryRun ? 'would schedule' : refused.has(`${m.requestId} ${m.name}`) ? 'refused' : 'scheduled');
    print(io, table(['', 'request', 'state', 'deadline', 'due', 'key'], result.missing.map((m) => [done(m), m.requestId, m.state, m.name, shortTime(m.at), m.key])));
  }
  const of = `of ${result.checked} open request(s)`;
  if (dryRun) print(io, `Would schedule ${result.missing.length} missing deadline(s) ${of}; nothing written (--dry-run).`);
  else {
    const also = [result.duplicates ? `${result.duplicates} already scheduled by an earlier run` : '', result.refused.length ? `${result.refused.length} refused` : ''].filter(Boolean).join('; ');
    print(io, `Scheduled ${result.scheduled} missing deadline(s) ${of}${also ? `; ${also}` : ''}.`);
  }
  for (const r of result.refused) print(io, `  ${r.requestId} ${r.name}: ${r.error}`);
}
