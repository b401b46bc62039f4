import * as path from 'node:path';
import type { CliIo } from './io';

export const DEFAULT_DB = path.join('data', 'interlend.db');

/** The database path: `--db`, else INTERLEND_DB, else ./data/interlend.db (relative to the working directory). */
export function resolveDbPath(io: CliIo, flag: string | undefined): string {
  const chosen = flag ?? io.env.INTERLEND_DB ?? DEFAULT_DB;
  return path.resolve(io.cwd, chosen);
}
