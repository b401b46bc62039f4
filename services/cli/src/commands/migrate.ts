import { UsageError, type CliIo } from '../io';

/** Placeholder: being built. */
export async function migrateCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new UsageError('interlend migrate: not built yet');
}
