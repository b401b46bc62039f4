import { saveDirectory } from '@interlend/ill';
import { openApp } from '../app';
import { parse, readJsonFile } from '../args';
import { COMMAND_ID_USAGE, commandIdFrom, commandIdLine } from '../commandIds';
import { resolveStore, STORE_FLAGS } from '../config';
import { table } from '../format';
import { print, printJson, safeText, UsageError, type CliIo } from '../io';

const USAGE = `interlend directory import <file.json> ${COMMAND_ID_USAGE} [--store URL | --db PATH] [--json] | interlend directory list [--store URL | --db PATH] [--json]`;
const HELP = `usage: ${USAGE}

  --command-id ID   an id of your choosing for this import: importing again with the same id
                    (an answer lost, a script retried) returns the first result and stores
                    nothing. Without it a new id is made; either way the output shows it.`;

export async function directoryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { 'command-id': { type: 'string' }, ...STORE_FLAGS, json: { type: 'boolean' } }, USAGE, { max: 2 });
  const [sub, file] = positionals;
  if (values.help || !sub) return print(io, values.help ? HELP : `usage: ${USAGE}`), values.help ? 0 : 2;
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
    if (values['command-id'] !== undefined) throw new UsageError(`--command-id is for 'directory import' only: 'directory list' sends nothing\nusage: ${USAGE}`);
    const app = await openApp(resolveStore(io, values), { mode: 'read', warningsTo: io });
    try {
      const libraries = app.directory?.list() ?? [];
      if (values.json) return printJson(io, { libraries }), 0;
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
