import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError, type CliIo } from './io';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed flags, typed from the option table: boolean flags are booleans, the others strings. */
export type Values<O extends Options> = { [K in keyof O]?: O[K] extends { type: 'boolean' } ? boolean : string } & { help?: boolean };

export interface PositionalRules {
  /** How many positional arguments the command takes (default 0): one more is a UsageError naming it. */
  readonly max?: number;
  /** Said after a stray argument's name, e.g. '(the database is --db PATH)'. */
  readonly strayHint?: string;
}

/**
 * Parses flags strictly: an unknown flag, a missing value or a positional argument beyond
 * `positionals.max` is a UsageError naming it (unless --help was asked for).
 */
export function parse<O extends Options>(argv: readonly string[], options: O, usage: string, positionals: PositionalRules = {}): { values: Values<O>; positionals: string[] } {
  let parsed: { values: Values<O>; positionals: string[] };
  try {
    const result = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    parsed = { values: result.values as Values<O>, positionals: result.positionals };
  } catch (error) {
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message}\nusage: ${usage}`);
  }
  const stray = parsed.positionals[positionals.max ?? 0];
  if (stray !== undefined && !parsed.values.help) {
    throw new UsageError(`unexpected argument '${stray}'${positionals.strayHint ? ` ${positionals.strayHint}` : ''}\nusage: ${usage}`);
  }
  return parsed;
}

/** A positive integer flag, with a default. */
export function intFlag(value: string | undefined, name: string, fallback: number, min = 1, max = 1_000_000): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not '${value}'`);
  return n;
}

/** Reads and parses a JSON file named on the command line (UTF-8, with or without a byte order mark). */
export function readJsonFile(io: CliIo, file: string, flag: string): unknown {
  const full = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  // A byte order mark some editors put at the start of a UTF-8 file is not part of the JSON.
  return parseJson(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, `${flag} ${file}`);
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${what}: not valid JSON (${(error as Error).message})`);
  }
}

/** An ISO date-time flag. */
export function timeFlag(value: string | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new UsageError(`--${name}: '${value}' is not a date-time (use ISO 8601, e.g. 2026-03-01T12:00:00Z)`);
  return new Date(t).toISOString();
}
