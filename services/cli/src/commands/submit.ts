import { allowedForPeople, openApp } from '../app';
import { parse, readJsonFile } from '../args';
import { COMMAND_ID_USAGE, commandIdFrom, commandIdLine, requestIdFor } from '../commandIds';
import { resolveDbPath } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = `interlend submit --as LIBRARY --file request.json ${COMMAND_ID_USAGE} [--db PATH] [--json]`;
const HELP = `usage: ${USAGE}

  --command-id ID   an id of your choosing for this submit: sending it again with the same id
                    (an answer lost, a script retried) returns the first request, not a second
                    one. Without it a new id is made; either way the output shows it.`;

export async function submitCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { as: { type: 'string' }, file: { type: 'string' }, 'command-id': { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, HELP), 0;
  if (!values.as) throw new UsageError(`--as LIBRARY is required: the borrowing library that submits\nusage: ${USAGE}`);
  if (!values.file) throw new UsageError(`--file is required: the request as JSON\nusage: ${USAGE}`);
  const data = readJsonFile(io, values.file, '--file');
  const app = await openApp(resolveDbPath(io, values.db), { warningsTo: io });
  try {
    if (app.directory && !app.directory.has(values.as)) throw new UsageError(`--as: '${values.as}' is not in the library directory (see 'interlend directory list')`);
    const commandId = commandIdFrom(values['command-id'], app.ids);
    // With a command id of the caller's, the request id follows from it: a resend reaches the same request.
    const requestId = values['command-id'] === undefined ? app.ids.next() : requestIdFor(values.as, commandId);
    const result = await app.runtime.execute({ commandId, streamId: requestId, type: 'submit', data, actor: { id: values.as, role: 'borrowing' } });
    const allowed = allowedForPeople(app.runtime, result.state);
    if (values.json) printJson(io, { requestId, commandId, duplicate: result.duplicate, state: result.state.stateName, allowed });
    else print(io, `${requestId} ${result.state.stateName}\nallowed now: ${allowed.join(', ') || 'none'}\n${commandIdLine(commandId, result.duplicate)}`);
    return 0;
  } finally {
    await app.close();
  }
}
