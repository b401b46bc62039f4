import { ForbiddenError, ValidationError, uuidV7Ids, type StoredEvent } from '@interlend/engine';
import { COMMAND_PARTY, type IllCommandType } from '@interlend/ill';
import { allowedForPeople, openApp } from '../app';
import { parse, parseJson, readJsonFile } from '../args';
import { COMMAND_ID_USAGE, commandIdFrom, commandIdLine } from '../commandIds';
import { resolveStore, STORE_FLAGS } from '../config';
import { print, printJson, UsageError, type CliIo } from '../io';
import { NATS_FLAGS, NATS_HELP, NATS_USAGE, allowedFromOutcome, natsSettings, natsUrl, sendThroughNats } from '../natsOptions';

const USAGE = `interlend act <requestId> <command> --as LIBRARY [--role borrowing|lending|hub] [--data JSON | --file F] [--occurred-at TIME] ${COMMAND_ID_USAGE} [--store URL | --db PATH | ${NATS_USAGE}] [--json]
       interlend act <requestId> --allowed [--as LIBRARY [--role ROLE]] [--store URL | --db PATH] [--json]`;
const HELP = `usage: ${USAGE}

  --as LIBRARY      who sends the command: a library of the directory
  --allowed         list the commands the request accepts now (the timer's excluded); with
                    --as (and --role), only those that library may send now
  --role ROLE       how it acts: borrowing or lending (by default, from the command and the
                    request), or hub: hub staff, which must be said explicitly. close, reroute
                    and returnMisdelivered are hub staff's only.
  --occurred-at TIME  when it happened, when that was earlier than now (recording on Monday
                    what happened on Friday): an ISO 8601 date-time with a zone, e.g.
                    2026-03-06T15:30:00+01:00. Not in the future, not before the request's
                    previous event. Deadlines count from it; history shows both times.
  --command-id ID   an id of your choosing: sending the command again with the same id (an
                    answer lost, a script retried) returns the first result and changes nothing.
                    Without it a new id is made; either way the output shows it.
${NATS_HELP}
                    (with --nats the CLI does not read the request: commands either party may
                    send, such as reportLost, need --role)`;
const ROLES = ['borrowing', 'lending', 'hub'];

/** Sends any lifecycle command as a library; prints the new state, or why it is not allowed now. */
export async function actCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      as: { type: 'string' },
      role: { type: 'string' },
      data: { type: 'string' },
      file: { type: 'string' },
      'command-id': { type: 'string' },
      'occurred-at': { type: 'string' },
      allowed: { type: 'boolean' },
      ...STORE_FLAGS,
      json: { type: 'boolean' },
      ...NATS_FLAGS,
    },
    USAGE,
    { max: 2 },
  );
  if (values.help) return print(io, HELP), 0;
  const [requestId, type] = positionals;
  if (!requestId) throw new UsageError(`a request id is required\nusage: ${USAGE}`);
  if (values.role && !ROLES.includes(values.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, not '${values.role}'`);
  if (values.data && values.file) throw new UsageError('give the command data with --data or --file, not both');

  const url = natsUrl(io, values.nats);
  if (url) return actThroughNats(io, url, requestId, type, values);

  // Listing what is allowed is a read; sending a command fires what is due first.
  const app = await openApp(resolveStore(io, values), { mustExist: true, mode: values.allowed || !type ? 'read' : 'command', warningsTo: io });
  try {
    const state = await app.runtime.handler.load(requestId);
    if (!state) throw new UsageError(`no request '${requestId}' in ${app.description} (list them with 'interlend requests')`);
    const allowed = allowedForPeople(app.runtime, state);
    if (values.allowed && values.as) {
      // What this library (in this role) may send now: the workflow's authorization applied.
      const borrower = (state.snapshot.context as { borrower?: string }).borrower;
      const role = values.role ?? (values.as === borrower ? 'borrowing' : 'lending');
      const mine = app.runtime.handler.workflow.allowedCommands(state, { id: values.as, role });
      if (values.json) printJson(io, { requestId, state: state.stateName, as: values.as, role, allowed: mine });
      else print(io, `${requestId} is ${state.stateName}\nallowed now for ${values.as} (${role}): ${mine.join(', ') || 'none'}`);
      return 0;
    }
    if (values.allowed || !type) {
      if (values.json) printJson(io, { requestId, state: state.stateName, allowed });
      else print(io, `${requestId} is ${state.stateName}\nallowed now: ${allowed.join(', ') || 'none (it has ended)'}`);
      return values.allowed ? 0 : 2;
    }
    if (!Object.prototype.hasOwnProperty.call(COMMAND_PARTY, type)) {
      throw new UsageError(`unknown command '${type}'; allowed now in state ${state.stateName}: ${allowed.join(', ') || 'none'}`);
    }
    const party = COMMAND_PARTY[type as IllCommandType];
    if (party === 'system') {
      throw new UsageError(
        type === 'scheduleMissingDeadline'
          ? `'${type}' is the system's repair after an upgrade: use 'interlend timers schedule-missing [--dry-run]'`
          : `'${type}' is sent by the timer worker when a deadline is due: use 'interlend timers run [--now TIME]'`,
      );
    }
    if (!values.as) throw new UsageError(`--as LIBRARY is required: who sends '${type}'\nusage: ${USAGE}`);
    if (app.directory && !app.directory.has(values.as)) throw new UsageError(`--as: '${values.as}' is not in the library directory (see 'interlend directory list')`);
    // Hub staff's powers are never presumed: a caller is hub staff only when it says so.
    if (party === 'hub' && values.role !== 'hub') {
      throw new ForbiddenError(`only hub staff may send '${type}' for request ${requestId}: if ${values.as} acts as hub staff, say so with --role hub`, { actor: values.as, role: values.role ?? null });
    }
    const data = values.data !== undefined ? parseJson(values.data, '--data') : values.file ? readJsonFile(io, values.file, '--file') : {};
    const borrower = (state.snapshot.context as { borrower?: string }).borrower;
    const role = values.role ?? (party === 'borrower' || (party === 'involved' && values.as === borrower) ? 'borrowing' : 'lending');
    const commandId = commandIdFrom(values['command-id'], app.ids);
    const result = await app.runtime.execute({ commandId, streamId: requestId, type, data, actor: { id: values.as, role }, ...occurredAt(values['occurred-at']) });
    if (result.duplicate) checkSameCommand(result.events, { commandId, requestId, type, actor: values.as });
    const nowAllowed = allowedForPeople(app.runtime, result.state);
    const events = result.events.map((e) => e.type);
    if (values.json) {
      printJson(io, { requestId, commandId, duplicate: result.duplicate, state: result.state.stateName, events, allowed: nowAllowed });
    } else {
      const [from, to] = transition(result.events, state.stateName, result.state.stateName);
      print(io, `${requestId} ${from} -> ${to} (${events.join(', ')})\nallowed now: ${nowAllowed.join(', ') || 'none (it has ended)'}\n${commandIdLine(commandId, result.duplicate)}`);
    }
    return 0;
  } finally {
    await app.close();
  }
}

/** `act --nats`: the same command, applied by a worker; the CLI reads nothing. */
async function actThroughNats(
  io: CliIo,
  url: string,
  requestId: string,
  type: string | undefined,
  values: { as?: string; role?: string; data?: string; file?: string; 'command-id'?: string; 'occurred-at'?: string; db?: string; store?: string; 'read-models'?: string; json?: boolean; allowed?: boolean; prefix?: string; replicas?: string },
): Promise<number> {
  if ((values.db ?? values.store ?? values['read-models']) !== undefined) throw new UsageError('--db or --store and --nats: the workers have the store; give one or the other');
  if (values.allowed || !type) throw new UsageError(`--allowed reads the database: run it where the database is (without --nats)\nusage: ${USAGE}`);
  if (!Object.prototype.hasOwnProperty.call(COMMAND_PARTY, type)) throw new UsageError(`unknown command '${type}'`);
  const party = COMMAND_PARTY[type as IllCommandType];
  if (party === 'system') throw new UsageError(`'${type}' is sent by the timer worker when a deadline is due: use 'interlend timers run --nats URL'`);
  if (!values.as) throw new UsageError(`--as LIBRARY is required: who sends '${type}'\nusage: ${USAGE}`);
  if (party === 'hub' && values.role !== 'hub') {
    throw new ForbiddenError(`only hub staff may send '${type}' for request ${requestId}: if ${values.as} acts as hub staff, say so with --role hub`, { actor: values.as, role: values.role ?? null });
  }
  const role = values.role ?? (party === 'borrower' ? 'borrowing' : party === 'lender' ? 'lending' : undefined);
  if (!role) throw new UsageError(`'${type}' may come from the borrower or the lender: with --nats say which with --role borrowing or --role lending`);
  const data = values.data !== undefined ? parseJson(values.data, '--data') : values.file ? readJsonFile(io, values.file, '--file') : {};
  const commandId = commandIdFrom(values['command-id'], uuidV7Ids);
  const outcome = await sendThroughNats(io, url, natsSettings(values), { commandId, streamId: requestId, type, data, actor: { id: values.as, role }, ...occurredAt(values['occurred-at']) });
  const events = outcome.events as unknown as StoredEvent[];
  if (outcome.duplicate) checkSameCommand(events, { commandId, requestId, type, actor: values.as });
  const nowAllowed = allowedFromOutcome(outcome);
  if (values.json) {
    printJson(io, { requestId, commandId, duplicate: outcome.duplicate, state: outcome.state.name, events: events.map((e) => e.type), allowed: nowAllowed });
  } else {
    const [from, to] = transition(events, '?', outcome.state.name);
    print(io, `${requestId} ${from} -> ${to} (${events.map((e) => e.type).join(', ')})\nallowed now: ${nowAllowed.join(', ') || 'none (it has ended)'}\n${commandIdLine(commandId, outcome.duplicate)}`);
  }
  return 0;
}

/** The envelope's `occurredAt` from --occurred-at (the engine checks it: a date-time with a zone, not in the future, not before the previous event). */
export function occurredAt(value: string | undefined): { occurredAt?: string } {
  return value === undefined ? {} : { occurredAt: value };
}

/** The states the command's events went from and to (on a resend: the first time's, not now's). */
function transition(events: readonly StoredEvent[], before: string, now: string): [string, string] {
  const meta = (e: StoredEvent | undefined) => e?.metadata as { stateBefore?: string; stateAfter?: string } | undefined;
  return [meta(events[0])?.stateBefore ?? before, meta(events.at(-1))?.stateAfter ?? now];
}

/** A resend must be the same command: a command id used for another command, or by another library, is refused. */
function checkSameCommand(events: readonly StoredEvent[], sent: { commandId: string; requestId: string; type: string; actor: string }): void {
  const first = events[0]?.metadata as { commandType?: string; actor?: { id?: string } } | undefined;
  if (!first) return;
  if (first.commandType !== sent.type || first.actor?.id !== sent.actor) {
    const message = `command id '${sent.commandId}' was already used on request ${sent.requestId} for '${first.commandType}' by ${first.actor?.id}; a new command needs a new --command-id`;
    throw new ValidationError(message, { issues: [{ path: 'commandId', message }] });
  }
}
