import { COMMAND_PARTY, type IllCommandType } from '@interlend/ill';
import { allowedForPeople, openApp } from '../app';
import { parse, parseJson, readJsonFile } from '../args';
import { resolveDbPath } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend act <requestId> <command> --as LIBRARY [--role borrowing|lending|hub] [--data JSON | --file F] [--db PATH] [--json]\n       interlend act <requestId> --allowed [--db PATH] [--json]';
const ROLES = ['borrowing', 'lending', 'hub'];

/** Sends any lifecycle command as a library; prints the new state, or why it is not allowed now. */
export async function actCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { as: { type: 'string' }, role: { type: 'string' }, data: { type: 'string' }, file: { type: 'string' }, allowed: { type: 'boolean' }, db: { type: 'string' }, json: { type: 'boolean' } },
    USAGE,
    { max: 2 },
  );
  if (values.help) return print(io, `usage: ${USAGE}`), 0;
  const [requestId, type] = positionals;
  if (!requestId) throw new UsageError(`a request id is required\nusage: ${USAGE}`);
  if (values.role && !ROLES.includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not '${values.role}'`);
  if (values.data && values.file) throw new UsageError('give the command data with --data or --file, not both');

  const app = await openApp(resolveDbPath(io, values.db), { mustExist: true });
  try {
    const state = await app.runtime.handler.load(requestId);
    if (!state) throw new UsageError(`no request '${requestId}' in ${app.dbPath} (list them with 'interlend requests')`);
    const allowed = allowedForPeople(app.runtime, state);
    if (values.allowed || !type) {
      if (values.json) printJson(io, { requestId, state: state.stateName, allowed });
      else print(io, `${requestId} is ${state.stateName}\nallowed now: ${allowed.join(', ') || 'none (it has ended)'}`);
      return values.allowed ? 0 : 2;
    }
    if (!Object.prototype.hasOwnProperty.call(COMMAND_PARTY, type)) {
      throw new UsageError(`unknown command '${type}'; allowed now in state ${state.stateName}: ${allowed.join(', ') || 'none'}`);
    }
    const party = COMMAND_PARTY[type as IllCommandType];
    if (party === 'system') throw new UsageError(`'${type}' is sent by the timer worker when a deadline is due: use 'interlend timers run [--now TIME]'`);
    if (!values.as) throw new UsageError(`--as LIBRARY is required: who sends '${type}'\nusage: ${USAGE}`);
    const data = values.data !== undefined ? parseJson(values.data, '--data') : values.file ? readJsonFile(io, values.file, '--file') : {};
    const borrower = (state.snapshot.context as { borrower?: string }).borrower;
    const role =
      values.role ??
      (values.as === 'hub' || party === 'hub' ? 'hub' : party === 'borrower' ? 'borrowing' : party === 'lender' ? 'lending' : values.as === borrower ? 'borrowing' : 'lending');
    const result = await app.runtime.execute({ commandId: app.ids.next(), streamId: requestId, type, data, actor: { id: values.as, role } });
    const nowAllowed = allowedForPeople(app.runtime, result.state);
    if (values.json) printJson(io, { requestId, state: result.state.stateName, events: result.events.map((e) => e.type), allowed: nowAllowed });
    else print(io, `${requestId} ${state.stateName} -> ${result.state.stateName} (${result.events.map((e) => e.type).join(', ')})\nallowed now: ${nowAllowed.join(', ') || 'none (it has ended)'}`);
    return 0;
  } finally {
    await app.close();
  }
}
