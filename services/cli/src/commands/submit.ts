import { allowedForPeople, openApp } from '../app';
import { parse, readJsonFile } from '../args';
import { resolveDbPath } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend submit --as LIBRARY --file request.json [--db PATH] [--json]';

export async function submitCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(argv, { as: { type: 'string' }, file: { type: 'string' }, db: { type: 'string' }, json: { type: 'boolean' } }, USAGE);
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  if (!values.as) throw new UsageError(`--as LIBRARY is required: the borrowing library that submits\nusage: ${USAGE}`);
  if (!values.file) throw new UsageError(`--file is required: the request as JSON\nusage: ${USAGE}`);
  const data = readJsonFile(io, values.file, '--file');
  const app = await openApp(resolveDbPath(io, values.db));
  try {
    if (app.directory && !app.directory.has(values.as)) throw new UsageError(`--as: '${values.as}' is not in the library directory (see 'interlend directory list')`);
    const requestId = app.ids.next();
    const result = await app.runtime.execute({ commandId: app.ids.next(), streamId: requestId, type: 'submit', data, actor: { id: values.as, role: 'borrowing' } });
    const allowed = allowedForPeople(app.runtime, result.state);
    if (values.json) printJson(io, { requestId, state: result.state.stateName, allowed });
    else print(io, `${requestId} ${result.state.stateName}\nallowed now: ${allowed.join(', ') || 'none'}`);
    return 0;
  } finally {
    await app.close();
  }
}
