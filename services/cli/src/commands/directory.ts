import { saveDirectory } from '@interlend/ill';
import { openApp } from '../app';
import { parse, readJsonFile } from '../args';
import { resolveDbPath } from '../config';
import { table } from '../format';
import { print, printJson, UsageError, type CliIo } from '../io';

const USAGE = 'interlend directory import <file.json> [--db PATH] [--json] | interlend directory list [--db PATH] [--json]';

export async function directoryCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv, { db: { type: 'string' }, json: { type: 'boolean' } }, USAGE, { max: 2 });
  const [sub, file] = positionals;
  if (values.help || !sub) return print(io, `usage: ${USAGE}`), values.help ? 0 : 2;
  if (sub === 'import') {
    if (!file) throw new UsageError(`directory import needs a file\nusage: ${USAGE}`);
    const json = readJsonFile(io, file, 'directory import');
    const app = await openApp(resolveDbPath(io, values.db), { runDueTimers: false });
    try {
      const directory = await saveDirectory(app.sqlite.events, json, { actor: { id: 'hub', role: 'hub' }, time: app.clock.now().toISOString(), eventId: app.ids.next() });
      if (values.json) printJson(io, { imported: directory.list().length, database: app.dbPath });
      else print(io, `Imported ${directory.list().length} libraries into ${app.dbPath}`);
      return 0;
    } finally {
      await app.close();
    }
  }
  if (sub === 'list') {
    if (file) throw new UsageError(`unexpected argument '${file}'\nusage: ${USAGE}`);
    const app = await openApp(resolveDbPath(io, values.db), { mustExist: true });
    try {
      const libraries = app.directory?.list() ?? [];
      if (values.json) return printJson(io, { libraries }), 0;
      if (!libraries.length) return print(io, `No directory in ${app.dbPath}: import one with 'interlend directory import FILE'`), 0;
      print(
        io,
        table(
          ['code', 'ILL code', 'name', 'network', 'policy', 'days loan/copy', 'closures'],
          libraries.map((l) => [
            l.code,
            l.illCode,
            l.name,
            l.inDeliveryNetwork ? 'yes' : 'no',
            l.lendingPolicy,
            `${l.daysToRespond.loan}/${l.daysToRespond.copy}`,
            l.closures.map((c) => `${c.from}..${c.to}`).join(' '),
          ]),
        ),
      );
      return 0;
    } finally {
      await app.close();
    }
  }
  throw new UsageError(`unknown directory command '${sub}'\nusage: ${USAGE}`);
}
