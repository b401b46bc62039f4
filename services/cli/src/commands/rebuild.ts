import { DEFAULT_CACHE_DOCS, DEFAULT_FLUSH_DOCS, timersProjection, type Projection } from '@interlend/engine';
import { illProjections } from '@interlend/ill';
import { openApp } from '../app';
import { intFlag, parse } from '../args';
import { resolveStore, STORE_FLAGS } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { Progress } from '../progress';

const USAGE = 'interlend rebuild [--projection NAME] [--verify] [--batch-size N] [--commit-every N] [--cache-docs N] [--store URL | --db PATH] [--json]';

/** Every read model that can be rebuilt from the log (the effect dispatcher's checkpoint cannot: that would run effects again). */
export const REBUILDABLE: readonly Projection[] = [...illProjections, timersProjection];

/**
 * Drops read models and builds them again from the first event. With --verify, builds them from
 * zero beside the live ones and compares every document, exiting 1 on any difference.
 */
export async function rebuildCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(
    argv,
    { projection: { type: 'string' }, verify: { type: 'boolean' }, 'batch-size': { type: 'string' }, 'commit-every': { type: 'string' }, 'cache-docs': { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } },
    USAGE,
  );
  if (values.help) {
    const help = [
      `usage: ${USAGE}`,
      '',
      'Drops the read models and builds them again from the first event, one pass over the log.',
      '--verify          build each one from zero beside the live one and compare; exit 1 on any difference',
      '--batch-size N    events read per batch (default 1,000)',
      `--commit-every N  commit once N documents changed (default ${DEFAULT_FLUSH_DOCS.toLocaleString('en-US')}; the rest at the end)`,
      `--cache-docs N    documents each projection keeps cached between commits (default ${DEFAULT_CACHE_DOCS.toLocaleString('en-US')}): memory is bounded by it, not by the size of the log`,
      `projections: ${REBUILDABLE.map((p) => p.name).join(', ')}`,
    ];
    return print(io, help.join('\n')), 0;
  }
  const chosen = values.projection ? REBUILDABLE.filter((p) => p.name === values.projection) : REBUILDABLE;
  if (!chosen.length) throw new UsageError(`--projection: no projection '${values.projection}'; projections: ${REBUILDABLE.map((p) => p.name).join(', ')}`);
  // Events read per batch, and documents changed before a commit with the checkpoint (the runner's defaults).
  const tuning = {
    batchSize: intFlag(values['batch-size'], 'batch-size', 1_000),
    flushDocs: intFlag(values['commit-every'], 'commit-every', DEFAULT_FLUSH_DOCS),
    cacheDocs: intFlag(values['cache-docs'], 'cache-docs', DEFAULT_CACHE_DOCS),
  };
  const app = await openApp(resolveStore(io, values), { mustExist: true, mode: 'maintain', warningsTo: io });
  try {
    const runner = app.runtime.runner;
    const progress = new Progress(io, values.verify ? 'verifying' : 'rebuilding', { quiet: values.json });
    const onProgress = (p: { position: number; head: number }) => progress.update(p.position, p.head, 'events');
    const started = performance.now();
    if (values.verify) {
      await runner.catchUp(chosen, tuning);
      const differences = await runner.verify(chosen, { ...tuning, onProgress });
      progress.done();
      const elapsedMs = Math.round(performance.now() - started);
      if (values.json) printJson(io, { verified: chosen.map((p) => p.name), differences: differences.length, first: differences.slice(0, 10), elapsedMs });
      else if (!differences.length) print(io, `Rebuilt from zero and compared ${chosen.map((p) => p.name).join(', ')}: identical to the incremental read models (${elapsedMs} ms).`);
      else {
        print(io, `${differences.length} document(s) differ between the incremental and the rebuilt read models:`);
        for (const d of differences.slice(0, 10)) print(io, `  ${d.projection} ${d.key}\n    incremental: ${JSON.stringify(d.incremental)}\n    rebuilt:     ${JSON.stringify(d.rebuilt)}`);
      }
      return differences.length ? 1 : 0;
    }
    const { events } = await runner.rebuild(chosen, { ...tuning, onProgress });
    progress.done();
    const elapsedMs = Math.round(performance.now() - started);
    const rate = elapsedMs > 0 ? Math.round((events / elapsedMs) * 1000) : events;
    if (values.json) printJson(io, { rebuilt: chosen.map((p) => p.name), events, elapsedMs, eventsPerSecond: rate });
    else print(io, `Rebuilt ${chosen.map((p) => p.name).join(', ')} from ${events} events in ${elapsedMs} ms (${rate} events/s).`);
    return 0;
  } finally {
    await app.close();
  }
}
