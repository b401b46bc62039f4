import { isChainHash, logDigest, ValidationError, verifyChain, type ChainAnchor, type ChainFailure, type EventStore } from '@interlend/engine';
import { illRequestWorkflow } from '@interlend/ill';
import { MissingStoreError, openStores } from '@interlend/deployment/local';
import { nodeSha256Hex } from '@interlend/store-sqlite';
import { parse, readJsonFile } from '../args';
import { resolveStore, STORE_FLAGS, STORE_HELP } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { Progress } from '../progress';

const USAGE = 'interlend audit verify [--request ID] [--anchor FILE] [--store URL | --db PATH] [--json]';

const HELP = [
  `usage: ${USAGE}`,
  '',
  "Checks the hash chain of every request (or one) and the global log's order: every event must",
  'recompute to its stored hash from its content and the hash of the event before it. Exits 0 when',
  'everything verifies, 1 naming the first event that does not match in each request. Opens the',
  'store read-only: it fires no deadline and writes nothing.',
  '',
  ...STORE_HELP.split('\n'),
  '',
  '--request ID   verify one request only',
  '--anchor FILE  also check the heads recorded in FILE (an earlier `audit verify --json`): each must',
  '               still be in its chain. Without one, a history rewritten to its end with every later',
  '               hash recomputed, or cut at its end, cannot be told from the real one (docs/audit.md).',
  '--json         the result, with the head hash of every stream and the log digest to publish or sign',
].join('\n');

/** `interlend audit verify`: the tamper-evidence check (docs/audit.md). */
export async function auditCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') return print(io, HELP), 0;
  if (sub !== 'verify') throw new UsageError(`${sub === undefined ? 'what to do is missing' : `unknown audit command '${sub}'`}\nusage: ${USAGE}`);
  const { values } = parse(rest, { request: { type: 'string' }, anchor: { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, HELP), 0;
  const settings = resolveStore(io, values);
  const anchor = values.anchor === undefined ? undefined : readAnchor(io, values.anchor);

  // Read-only: nothing is written (a SQLite file is opened read-only, PostgreSQL without creating its schema).
  const sqlite = await openStores(settings, { readonly: true }).catch((error: unknown) => {
    if (error instanceof MissingStoreError) throw new UsageError(`${error.message}: pass --store URL (or --db PATH)`);
    throw error;
  });
  const dbPath = sqlite.description;
  try {
    const requestId = values.request;
    if (requestId !== undefined && (await sqlite.events.streamRevision(requestId)) < 0 && !anchor?.heads.some((h) => h.streamId === requestId)) {
      throw new UsageError(`no request '${requestId}' in ${dbPath} (list them with 'interlend requests')`);
    }
    const progress = new Progress(io, 'verifying', { quiet: values.json });
    const report = await verifyChain(sqlite.events, {
      streamId: requestId,
      anchors: anchor?.heads,
      sha256: nodeSha256Hex,
      onProgress: (p) => progress.update(p.done, p.total, requestId === undefined ? 'positions' : 'events'),
    });
    progress.done();
    const names = await streamNames(sqlite.events, report.failures);
    const failures = report.failures.map((f) => ({ ...f, description: `${names.get(f.streamId)}: ${f.message}` }));
    if (values.json) {
      const { ok, events, streams, headPosition, logDigest: digest, heads } = report;
      printJson(io, { ok, database: dbPath, request: requestId ?? null, events, streams, headPosition, logDigest: digest, failures, heads });
      return ok ? 0 : 1;
    }
    if (report.ok) {
      const what = requestId === undefined ? `${report.events} events in ${report.streams} streams` : `request ${requestId}: ${report.events} events`;
      print(io, `Verified ${what}: every hash chain is intact${requestId === undefined ? ' and the log is in order' : ''}${anchor ? `, and every head of ${values.anchor} is still in its chain` : ''}.`);
      const head = report.heads[0];
      if (report.logDigest) print(io, `Log head: position ${report.headPosition}, digest ${report.logDigest}\n(publish or sign the digest and keep this command's --json output; check it later with --anchor)`);
      else if (head) print(io, `Head: revision ${head.revision}, hash ${head.hash}`);
      return 0;
    }
    for (const f of failures) print(io, f.description);
    print(io, `${failures.length} of ${report.streams} stream${report.streams === 1 ? '' : 's'} do${failures.length === 1 ? 'es' : ''} not verify (${report.events} events read).`);
    return 1;
  } finally {
    await sqlite.close();
  }
}

/** "request R" for a request's stream, "stream S" for any other (the directory's). */
async function streamNames(events: EventStore, failures: readonly ChainFailure[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const { streamId } of failures) {
    if (names.has(streamId)) continue;
    const [first] = await events.readStream(streamId, { maxCount: 1 });
    names.set(streamId, `${first === undefined || first.metadata.workflow === illRequestWorkflow.name ? 'request' : 'stream'} ${streamId}`);
  }
  return names;
}

/**
 * The heads an earlier `audit verify --json` printed. When it printed a log digest too, the heads
 * must hash to it: a digest published or signed then vouches for the whole file.
 */
function readAnchor(io: CliIo, file: string): { heads: ChainAnchor[] } {
  const json = readJsonFile(io, file, '--anchor') as { heads?: unknown; headPosition?: unknown; logDigest?: unknown };
  if (!Array.isArray(json.heads)) throw new UsageError(`--anchor ${file}: no 'heads' list (write one with 'interlend audit verify --json > ${file}')`);
  const heads = json.heads.map((h: { streamId?: unknown; revision?: unknown; hash?: unknown }, i): ChainAnchor => {
    if (typeof h?.streamId !== 'string' || !Number.isInteger(h.revision) || !isChainHash(h.hash)) throw new UsageError(`--anchor ${file}: heads[${i}] needs a streamId, a revision and a 64-digit hash`);
    return { streamId: h.streamId, revision: h.revision as number, hash: h.hash };
  });
  if (typeof json.logDigest === 'string') {
    const digest = logDigest(Number(json.headPosition), heads, nodeSha256Hex);
    if (digest !== json.logDigest) {
      throw new ValidationError(`--anchor ${file}: its heads hash to ${digest}, not to the log digest it records (${json.logDigest}): the anchor file was changed`, { file, digest, recorded: json.logDigest });
    }
  }
  return { heads };
}
