import { UsageError, type CliIo } from '../io';

/** Placeholder: being built. */
export async function serveCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new UsageError('interlend serve: not built yet');
}
