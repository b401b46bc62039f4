import { allowedForPeople, openApp } from '../app';
import { parse, readJsonFile } from '../args';
import { COMMAND_ID_USAGE, commandIdFrom, commandIdLine, requestIdFor } from '../commandIds';
import { resolveStore, STORE_FLAGS } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { NATS_FLAGS, NATS_HELP, NATS_USAGE, allowedFromOutcome, natsSettings, natsUrl, sendThroughNats } from '../natsOptions';
import { uuidV7Ids } from '@interlend/engine';
import { occurredAt } from './act';

const USAGE = `interlend submit --as LIBRARY [--role borrowing|hub] --file request.json [--occurred-at TIME] ${COMMAND_ID_USAGE} [--store URL | --db PATH | ${NATS_USAGE}] [--json]`;
const HELP = `usage: ${USAGE}
${NATS_HELP}

  --role hub        submit as hub staff (default: borrowing). With "onBehalfOf": "LIB1" in the
                    request, hub staff submit for that library and may exceed its maximum cost
                    (docs/workflow/costs.md).
  --command-id ID   an id of your choosing for this submit: sending it again with the same id
                    (an answer lost, a script retried) returns the first request, not a second
                    one. Without it a new id is made; either way the output shows it.
  --occurred-at TIME  when the request was made, when that was earlier than now (an ISO 8601
                    date-time with a zone, e.g. 2026-03-06T15:30:00+01:00; not in the future).
                    Deadlines and statistics count from it; history shows both times.`;

export async function submitCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { as: { type: 'string' }, role: { type: 'string' }, file: { type: 'string' }, 'command-id': { type: 'string' }, 'occurred-at': { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' }, ...NATS_FLAGS }, USAGE);
  if (values.help) return print(io, HELP), 0;
  if (!values.as) throw new UsageError(`--as LIBRARY is required: the borrowing library that submits\nusage: ${USAGE}`);
  if (!values.file) throw new UsageError(`--file is required: the request as JSON\nusage: ${USAGE}`);
  if (values.role !== undefined && values.role !== 'borrowing' && values.role !== 'hub') throw new UsageError(`--role must be borrowing or hub, not '${values.role}'\nusage: ${USAGE}`);
  const role = values.role ?? 'borrowing';
  const data = readJsonFile(io, values.file, '--file');
  const url = natsUrl(io, values.nats);
  if (url) {
    if ((values.db ?? values.store ?? values['read-models']) !== undefined) throw new UsageError('--db or --store and --nats: the workers have the store; give one or the other');
    const commandId = commandIdFrom(values['command-id'], uuidV7Ids);
    const requestId = values['command-id'] === undefined ? uuidV7Ids.next() : requestIdFor(values.as, commandId);
    const outcome = await sendThroughNats(io, url, natsSettings(values), { commandId, streamId: requestId, type: 'submit', data, actor: { id: values.as, role }, ...occurredAt(values['occurred-at']) });
    return report(io, values.json, requestId, commandId, outcome.duplicate, outcome.state.name, allowedFromOutcome(outcome));
  }
  const app = await openApp(resolveStore(io, values), { warningsTo: io });
  try {
    if (app.directory && !app.directory.has(values.as)) throw new UsageError(`--as: '${values.as}' is not in the library directory (see 'interlend directory list')`);
    const commandId = commandIdFrom(values['command-id'], app.ids);
    // With a command id of the caller's, the request id follows from it: a resend reaches the same request.
    const requestId = values['command-id'] === undefined ? app.ids.next() : requestIdFor(values.as, commandId);
    const result = await app.runtime.execute({ commandId, streamId: requestId, type: 'submit', data, actor: { id: values.as, role }, ...occurredAt(values['occurred-at']) });
    return report(io, values.json, requestId, commandId, result.duplicate, result.state.stateName, allowedForPeople(app.runtime, result.state));
  } finally {
    await app.close();
  }
}

function report(io: CliIo, json: boolean | undefined, requestId: string, commandId: string, duplicate: boolean, state: string, allowed: readonly string[]): number {
  if (json) printJson(io, { requestId, commandId, duplicate, state, allowed });
  else print(io, `${requestId} ${state}\nallowed now: ${allowed.join(', ') || 'none'}\n${commandIdLine(commandId, duplicate)}`);
  return 0;
}
