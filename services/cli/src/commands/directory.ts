import { libraryProfileHistory, saveDirectory, updateLibrary, type LibraryChange, type LibraryProfileChange } from '@interlend/ill';
import { openApp } from '../app';
import { parse, readJsonFile } from '../args';
import { COMMAND_ID_USAGE, commandIdFrom, commandIdLine } from '../commandIds';
import { resolveStore, STORE_FLAGS, type StoreFlags } from '../config';
import { table } from '../format';
import { print, printJson, safeText, UsageError, type CliIo } from '../io';

const USAGE = `interlend directory import <file.json> ${COMMAND_ID_USAGE} [--store URL | --db PATH] [--json] | interlend directory list [--store URL | --db PATH] [--json] | interlend directory update CODE --file <profile.json> [--replace] ${COMMAND_ID_USAGE} [--store URL | --db PATH] [--json] | interlend directory history CODE [--store URL | --db PATH] [--json]`;
const HELP = `usage: ${USAGE}

  import            replaces the whole directory with a file's.
  update CODE       changes one library's profile: --file holds the fields to change (a JSON
                    merge patch: {"daysToRespond": {"loan": 8}} keeps the rest; null removes an
                    optional field; an array such as closures replaces the old one). With
                    --replace the file is the whole profile. Requests already under way keep the
                    terms their rota recorded; rotas built from now on use the new profile.
  history CODE      what changed in one library's profile, when and by whom.
  --command-id ID   an id of your choosing for this import or update: sending it again with the
                    same id (an answer lost, a script retried) returns the first result and stores
                    nothing. Without it a new id is made; either way the output shows it.`;

export async function directoryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { 'command-id': { type: 'string' }, file: { type: 'string' }, replace: { type: 'boolean' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE, { max: 2 });
  const [sub, file] = positionals;
  if (values.help || !sub) return print(io, values.help ? HELP : `usage: ${USAGE}`), values.help ? 0 : 2;
  if (sub !== 'update' && (values.file !== undefined || values.replace)) throw new UsageError(`--file and --replace are for 'directory update' only\nusage: ${USAGE}`);
  if (sub === 'update') return updateCommand(io, file, values);
  if (sub === 'history') return historyCommand(io, file, values);
  if (sub === 'import') {
    if (!file) throw new UsageError(`directory import needs a file\nusage: ${USAGE}`);
    const json = readJsonFile(io, file, 'directory import');
    const app = await openApp(resolveStore(io, values), { mode: 'maintain', warningsTo: io });
    try {
      const commandId = commandIdFrom(values['command-id'], app.ids);
      const saved = await saveDirectory(app.events, json, { actor: { id: 'hub', role: 'hub' }, time: app.clock.now().toISOString(), eventId: app.ids.next(), commandId });
      const imported = saved.directory.list().length;
      if (values.json) printJson(io, { imported, database: app.description, commandId, duplicate: saved.duplicate });
      else print(io, `Imported ${imported} libraries into ${app.description}\n${commandIdLine(commandId, saved.duplicate)}`);
      return 0;
    } finally {
      await app.close();
    }
  }
  if (sub === 'list') {
    if (file) throw new UsageError(`unexpected argument '${file}'\nusage: ${USAGE}`);
    if (values['command-id'] !== undefined) throw new UsageError(`--command-id is for 'directory import' and 'update' only: 'directory list' sends nothing\nusage: ${USAGE}`);
    const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
    try {
      const libraries = app.directory?.list() ?? [];
      // The whole directory as a directory file (maxLenders and every other setting included): it can be imported again.
      if (values.json) return printJson(io, { ...app.directory?.toJSON(), libraries }), 0;
      if (!libraries.length) return print(io, `No directory in ${app.description}: import one with 'interlend directory import FILE'`), 0;
      print(
        io,
        table(
          ['code', 'ILL code', 'name', 'network', 'policy', 'days loan/copy', 'closures'],
          libraries.map((l) =>
            [
              l.code,
              l.illCode,
              l.name,
              l.inDeliveryNetwork ? 'yes' : 'no',
              l.lendingPolicy,
              `${l.daysToRespond.loan}/${l.daysToRespond.copy}`,
              l.closures.map((c) => `${c.from}..${c.to}`).join(' '),
            ].map((cell) => safeText(cell, { oneLine: true })),
          ),
        ),
      );
      return 0;
    } finally {
      await app.close();
    }
  }
  throw new UsageError(`unknown directory command '${sub}'\nusage: ${USAGE}`);
}

type DirectoryValues = StoreFlags & { 'command-id'?: string; file?: string; replace?: boolean; json?: boolean };

/** `directory update CODE --file F`: one library's profile, as a `LibraryUpdated` event. */
async function updateCommand(io: CliIo, code: string | undefined, values: DirectoryValues): Promise<number> {
  if (!code) throw new UsageError(`directory update needs the library's code, e.g. 'interlend directory update LIB3 --file lib3.json'\nusage: ${USAGE}`);
  if (values.file === undefined) throw new UsageError(`directory update needs --file with the fields to change (or the whole profile with --replace)\nusage: ${USAGE}`);
  const json = readJsonFile(io, values.file, 'directory update --file');
  const app = await openApp(resolveStore(io, values), { mode: 'maintain', mustExist: true, warningsTo: io });
  try {
    const commandId = commandIdFrom(values['command-id'], app.ids);
    const updated = await updateLibrary(app.events, code, json, {
      actor: { id: 'hub', role: 'hub' },
      time: app.clock.now().toISOString(),
      eventId: app.ids.next(),
      commandId,
      mode: values.replace ? 'replace' : 'merge',
    });
    if (values.json) {
      printJson(io, { code, changes: updated.changes, library: updated.library, database: app.description, commandId, duplicate: updated.duplicate, written: updated.written });
      return 0;
    }
    if (!updated.changes.length) {
      print(io, `${code} is unchanged in ${app.description}: the file matches its profile, nothing was written`);
      return 0;
    }
    print(
      io,
      [
        `Updated ${code} in ${app.description}:`,
        ...updated.changes.map((c) => `  ${describeChange(c)}`),
        'Requests already under way keep the terms their rota recorded; rotas built from now on use this profile.',
        commandIdLine(commandId, updated.duplicate),
      ].join('\n'),
    );
    return 0;
  } finally {
    await app.close();
  }
}

/** `directory history CODE`: each change of one library's profile. */
async function historyCommand(io: CliIo, code: string | undefined, values: DirectoryValues): Promise<number> {
  if (!code) throw new UsageError(`directory history needs the library's code, e.g. 'interlend directory history LIB3'\nusage: ${USAGE}`);
  if (values['command-id'] !== undefined) throw new UsageError(`--command-id is for 'directory import' and 'update' only: 'directory history' sends nothing\nusage: ${USAGE}`);
  const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
  try {
    const history = await libraryProfileHistory(app.events, code);
    if (!history) throw new UsageError(`no library '${code}' in the directory of ${app.description}, now or before`);
    if (values.json) return printJson(io, { code, changes: history }), 0;
    print(io, [`History of ${code} in ${app.description}:`, ...history.flatMap(describeEntry)].join('\n'));
    return 0;
  } finally {
    await app.close();
  }
}

const HOW: Record<LibraryProfileChange['kind'], string> = { added: 'added', changed: 'changed', removed: 'removed' };

function describeEntry(entry: LibraryProfileChange): string[] {
  const by = `${entry.actor.id} (${entry.actor.role}${entry.actor.key ? `, key ${entry.actor.key}` : ''})`;
  const how = entry.event === 'DirectoryImported' ? 'directory import' : 'directory update';
  const head = `${entry.time}  ${HOW[entry.kind]} by ${by}, ${how}${entry.commandId ? ` (command id ${entry.commandId})` : ''}`;
  return [head, ...entry.changes.map((c) => `    ${entry.kind === 'changed' ? describeChange(c) : `${c.field}: ${showValue(c.field, entry.kind === 'added' ? c.to : c.from)}`}`)];
}

/** `daysToRespond.loan: 2 -> 8`; a field set or removed shows `(none)` on its empty side. */
function describeChange(change: LibraryChange): string {
  return `${change.field}: ${showValue(change.field, change.from)} -> ${showValue(change.field, change.to)}`;
}

/** A value on one line: closures as `2027-01-25..2027-01-29 (moving)`, other arrays and objects as JSON. */
function showValue(field: string, value: unknown): string {
  if (value === undefined) return '(none)';
  if (field === 'closures' && Array.isArray(value)) {
    if (!value.length) return '(none)';
    return safeText(value.map((c: { from?: unknown; to?: unknown; reason?: unknown }) => `${String(c.from)}..${String(c.to)} (${String(c.reason)})`).join(', '), { oneLine: true });
  }
  return safeText(typeof value === 'string' ? value : JSON.stringify(value), { oneLine: true });
}
