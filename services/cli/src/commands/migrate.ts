import { ProjectionRunner } from '@interlend/engine';
import { carryFollowerCheckpoints, copyLog, describeStore, openStores, parseStoreUrl, sameStore, type CopyLogResult, type CopyProgress, type OpenedStores, type StoreLocation } from '@interlend/deployment';
import { intFlag, parse } from '../args';
import { print, printJson, UsageError, type CliIo } from '../io';
import { Progress } from '../progress';
import { REBUILDABLE } from './rebuild';

const USAGE = 'interlend migrate --from URL --to URL [--to-read-models URL] [--no-rebuild] [--batch-size N] [--json]';
const HELP = `usage: ${USAGE}

Copies the whole event log of --from into --to, which must be empty (or hold an earlier,
interrupted copy of the same source: the copy then resumes after it). Stores: sqlite:PATH,
postgres://…, kurrentdb://…. Event ids, types, data, metadata, stream revisions and the order of
the log are kept; the target computes the hash chain again, and it comes out the same. The source
is only read (a SQLite source is opened read-only). Stop every writer (workers, the API) first.

Read models are not copied: they are rebuilt from the copied log on the target (as
'interlend rebuild' does), and the effect dispatcher's checkpoint is carried over so that no
effect runs twice. Ctrl-C stops after the batch in hand; the same command resumes.

--to-read-models URL  where the target's read models live (needed for a kurrentdb:// target)
--no-rebuild          copy only; print the rebuild to run
--batch-size N        events read per batch (default 1,000; appends take at most 1,024)
--json                a JSON summary on stdout at the end (no progress lines)
See docs/migrate.md.`;

/** How often a progress line is written when stderr is not a terminal. */
const LINE_EVERY_MS = 5_000;

export async function migrateCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    { from: { type: 'string' }, to: { type: 'string' }, 'to-read-models': { type: 'string' }, 'no-rebuild': { type: 'boolean' }, 'batch-size': { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
  );
  if (values.help) return print(io, HELP), 0;
  if (!values.from || !values.to) throw new UsageError(`--from and --to are both needed\nusage: ${USAGE}`);
  const from = location(values.from, io, '--from');
  const to = location(values.to, io, '--to');
  const toReadModels = values['to-read-models'] === undefined ? undefined : location(values['to-read-models'], io, '--to-read-models');
  if (sameStore(from, to)) throw new UsageError(`--from and --to name the same store (${describeStore(from)}): copy into another, empty store`);
  if (toReadModels && sameStore(from, toReadModels)) throw new UsageError(`--to-read-models names the source store (${describeStore(from)}): the source is only read`);
  const batchSize = intFlag(values['batch-size'], 'batch-size', 1_000, 1, 100_000);
  const json = Boolean(values.json);
  // A KurrentDB log keeps no read models: without --to-read-models, nothing is rebuilt here.
  const rebuildHere = !values['no-rebuild'] && (to.kind !== 'kurrentdb' || toReadModels !== undefined);
  const memory: StoreLocation = { kind: 'sqlite', path: ':memory:' };

  // Opened for reading only (a SQLite file read-only, a PostgreSQL database without creating a schema); a KurrentDB
  // log is only read anyway, and its placeholder read models (in memory) hold no checkpoint to carry.
  const source = await openStores({ events: from, readModels: from.kind === 'kurrentdb' ? memory : undefined }, { readonly: from.kind !== 'kurrentdb' }).catch((error: unknown) => {
    if (error instanceof Error && error.name === 'MissingStoreError') throw new UsageError(`--from: ${error.message}`);
    throw error;
  });
  let target: OpenedStores | undefined;
  const stop = new AbortController();
  let interrupts = 0;
  let phase: 'copying' | 'rebuilding' = 'copying';
  const onSigint = () => {
    if (++interrupts > 1) process.exit(130);
    stop.abort();
    if (json) return;
    if (phase === 'copying') io.stderr.write('\ninterlend migrate: stopping after the batch in hand (Ctrl-C again to quit at once; running the command again resumes)\n');
    else io.stderr.write("\ninterlend migrate: the copy is complete; finishing the rebuild of the read models (Ctrl-C again to quit, then run 'interlend rebuild' on the target)\n");
  };
  process.on('SIGINT', onSigint);
  try {
    // SQLite: commits reach the disk at the WAL checkpoint on close, not one fsync per append; a power loss mid-copy can
    // lose the last appends only, and the next run's prefix check resumes before them.
    target = await openStores({ events: to, readModels: toReadModels ?? (to.kind === 'kurrentdb' ? memory : undefined) }, { synchronous: 'normal' });
    const from_ = describeStore(from);
    const to_ = describeStore(to);
    const report = progressReporter(io, json);
    const result = await copyLog(source.events, target.events, { batchSize, signal: stop.signal, onProgress: report.update });
    report.done();
    if (!json && result.resumedFrom.events !== 0) print(io, `Resumed: the target already held ${result.resumedFrom.events} events, checked one by one against the source's first events.`);

    const summary = {
      from: from_,
      to: to_,
      status: result.status,
      copied: result.copied,
      events: result.events,
      resumedAfter: result.resumedFrom.events,
      sourcePosition: result.sourcePosition,
      sourceHead: result.sourceHead,
      targetHead: result.targetHead,
      lastEventId: result.lastEventId ?? null,
      appends: result.appends,
      batches: result.batches,
      elapsedMs: result.elapsedMs,
      eventsPerSecond: result.eventsPerSecond,
    };
    const again = `interlend migrate ${argv.filter((a) => a !== '--json').join(' ')}`;
    if (result.status === 'stopped') {
      if (json) printJson(io, { ...summary, resume: again });
      else {
        print(io, `Stopped after copying ${result.copied} events in this run (${result.events} in the target, source position ${result.sourcePosition} of ${result.sourceHead}).`);
        print(io, `Run the same command again to resume: ${again}`);
      }
      return 130;
    }
    if (!json) print(io, copiedLine(result));

    const rebuildCommand = `interlend rebuild${to.kind === 'sqlite' ? ` --db ${to.path}` : ''}`;
    let rebuild: { events: number; elapsedMs: number; eventsPerSecond: number } | null = null;
    let carried: Awaited<ReturnType<typeof carryFollowerCheckpoints>> = [];
    phase = 'rebuilding';
    if (to.kind !== 'kurrentdb' || toReadModels) {
      carried = await carryFollowerCheckpoints(source, target, REBUILDABLE.map((p) => p.name));
      if (rebuildHere) {
        const projecting = new Progress(io, 'rebuilding read models', { quiet: json });
        const started = performance.now();
        const { events } = await new ProjectionRunner(target.events, target.readModels).rebuild(REBUILDABLE, { onProgress: (p) => projecting.update(p.position, p.head, 'events') });
        projecting.done();
        const elapsedMs = Math.round(performance.now() - started);
        rebuild = { events, elapsedMs, eventsPerSecond: elapsedMs > 0 ? Math.round((events / elapsedMs) * 1000) : events };
      }
    }
    if (json) {
      printJson(io, { ...summary, checkpointsCarried: carried, rebuild, next: rebuild ? [`${rebuildCommand} --verify`] : [rebuildCommand, `${rebuildCommand} --verify`] });
      return 0;
    }
    for (const c of carried) print(io, `Carried checkpoint ${c.name}: source position ${c.sourcePosition} is target position ${c.targetPosition} (its effects are not run again).`);
    if (rebuild) print(io, `Rebuilt the read models on the target from ${rebuild.events} events in ${rebuild.elapsedMs} ms (${rebuild.eventsPerSecond} events/s); they were not copied.`);
    else if (to.kind === 'kurrentdb' && !toReadModels) print(io, `Read models were not copied and a KurrentDB log keeps none: rebuild them where they will live, e.g. ${rebuildCommand} with the store settings of the deployment (PostgreSQL or SQLite read models).`);
    else print(io, `Read models were not copied: rebuild them with '${rebuildCommand}'.`);
    print(io, `Check: '${rebuildCommand} --verify' and 'interlend audit verify' on the target; then point the deployment at ${to_}.`);
    return 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await target?.close();
    await source.close();
  }
}

function location(value: string, io: CliIo, flag: string): StoreLocation {
  try {
    return parseStoreUrl(value, io.cwd, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function copiedLine(r: CopyLogResult): string {
  const resumed = r.resumedFrom.events > 0 ? ` (after the ${r.resumedFrom.events} already there)` : '';
  return `Copied ${r.copied} events${resumed} in ${r.appends} appends, ${(r.elapsedMs / 1000).toFixed(1)} s (${r.eventsPerSecond} events/s): the target holds ${r.events < 0 ? 'the whole log' : `${r.events} events`}, last event ${r.lastEventId ?? '(none: the source is empty)'}.`;
}

/** A bar on a terminal; otherwise a line every few seconds; nothing with --json. */
function progressReporter(io: CliIo, json: boolean): { update: (p: CopyProgress) => void; done: () => void } {
  const bar = new Progress(io, 'copying', { quiet: json });
  let lastLine = Date.now();
  const rateOf = (p: CopyProgress) => Math.round((p.copied / Math.max(1, p.elapsedMs)) * 1000);
  return {
    update: (p) => {
      if (json) return;
      const rate = rateOf(p);
      if (io.stderr.isTTY) return bar.update(p.sourcePosition, p.sourceHead, `${rate} events/s`);
      const now = Date.now();
      if (now - lastLine < LINE_EVERY_MS) return;
      lastLine = now;
      const left = rate > 0 ? Math.ceil((p.sourceHead - p.sourcePosition) / rate) : 0;
      io.stderr.write(`interlend migrate: ${p.copied} events copied, source position ${p.sourcePosition}/${p.sourceHead} (${Math.floor((p.sourcePosition / Math.max(1, p.sourceHead)) * 100)}%), ${rate} events/s, eta ${left}s\n`);
    },
    done: () => bar.done(),
  };
}
