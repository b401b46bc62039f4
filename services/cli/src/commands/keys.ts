import { UsageError, type CliIo } from '../io';

/** Placeholder: being built. */
export async function keysCommand(_argv: readonly string[], _io: CliIo): Promise<number> {
  throw new UsageError('interlend keys: not built yet');
}
