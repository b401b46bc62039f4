import type { Clock } from '@interlend/engine';
import { openApp } from '../app';
import { intFlag, parse } from '../args';
import { resolveDbPath } from '../config';
import { shortTime } from '../format';
import { print, type CliIo } from '../io';

const USAGE = 'interlend worker [--interval MS] [--db PATH] [--json]';

/**
 * The embedded deployment's long-running process: fires deadlines as they fall due, carries out
 * effects and keeps the read models current, until SIGINT or SIGTERM. Wakes on new events at once
 * (other processes' appends within the polling interval) and at least every --interval ms for the
 * clock. With --json, one JSON object per line per event worth reporting.
 */
export async function workerCommand(argv: readonly string[], io: CliIo, options: { signal?: AbortSignal; clock?: Clock } = {}): Promise<number> {
  const { values } = parse(argv, { interval: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  const intervalMs = intFlag(values.interval, 'interval', 1_000, 10, 3_600_000);
  const app = await openApp(resolveDbPath(io, values.db), { mustExist: true, runDueTimers: false, clock: options.clock });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onSignal, { once: true });
  const say = (event: Record<string, unknown>, text: string) => print(io, values.json ? JSON.stringify({ time: app.clock.now().toISOString(), ...event }) : `${shortTime(app.clock.now().toISOString())} ${text}`);
  // The store's waits use unref'd timers (they never hold a process open on their own): this one does.
  const keepAlive = setInterval(() => {}, 2 ** 30);
  try {
    say({ event: 'started', database: app.dbPath, intervalMs }, `worker started on ${app.dbPath}: deadlines checked every ${intervalMs} ms (Ctrl-C stops it)`);
    while (!stop.signal.aborted) {
      const run = await app.runtime.runDueTimers();
      if (run.fired || run.refused) {
        say({ event: 'deadlines', fired: run.fired, refused: run.refused }, `fired ${run.fired} deadline(s)${run.refused ? `, ${run.refused} refused (the request had moved on)` : ''}`);
      }
      const head = await app.sqlite.events.headPosition();
      await app.sqlite.events.waitForEvents(head, { timeoutMs: intervalMs, signal: stop.signal });
    }
    say({ event: 'stopped' }, 'worker stopped');
    return 0;
  } finally {
    clearInterval(keepAlive);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await app.close();
  }
}
