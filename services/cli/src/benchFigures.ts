import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** docs/benchmarks.md, from services/cli/dist or services/cli/src. */
export const BENCHMARKS_DOC = path.join(__dirname, '..', '..', '..', 'docs', 'benchmarks.md');

/**
 * Replaces what stands between `<!-- section -->` and `<!-- /section -->` in docs/benchmarks.md
 * with `table`: the benches write their figures there, and only there.
 */
export function writeFigures(section: string, table: string, doc = BENCHMARKS_DOC): void {
  const open = `<!-- ${section} -->`;
  const close = `<!-- /${section} -->`;
  const text = readFileSync(doc, 'utf8');
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`${doc} has no ${open} ... ${close} section`);
  writeFileSync(doc, `${text.slice(0, start + open.length)}\n${table}\n${text.slice(end)}`);
}

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The whole number after `--name` in `args` (at least `min`), or `fallback` when the flag is absent. */
export function wholeFlag(args: readonly string[], name: string, fallback: number, min = 1): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number >= ${min}, not '${args[i + 1] ?? ''}'`);
  return value;
}
