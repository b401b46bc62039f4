import { CONTROL_CHARACTERS } from '@interlend/ill/limits';

/** What a command may touch of the process: injected so tests run the CLI in-process. */
export interface CliIo {
  readonly stdout: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  readonly stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
}

/** A usage or input problem found by the CLI itself (bad flag, unreadable file): one line, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const UNSAFE = new RegExp(CONTROL_CHARACTERS.source, 'g');
/** What JSON.stringify leaves raw of CONTROL_CHARACTERS: all but the C0 controls. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const hex = (c: string, digits: number) => c.charCodeAt(0).toString(16).padStart(digits, '0');

/**
 * Text as it may reach a terminal: every control or bidi character (CONTROL_CHARACTERS: an
 * escape sequence, a carriage return, a right-to-left override) written as an escape, `\x1b`,
 * `\x7f`, `\u202e`. Line breaks are kept unless `oneLine` (for a value inside a line).
 */
export function safeText(text: string, options: { oneLine?: boolean } = {}): string {
  return text.replace(UNSAFE, (c) => (c === '\n' && !options.oneLine ? c : c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** Human output: one or more lines, with what a terminal would act on escaped. */
export const print = (io: CliIo, line = ''): void => void io.stdout.write(`${safeText(line)}\n`);

/**
 * JSON output. JSON.stringify escapes C0 controls; DEL, C1 controls and bidi characters it leaves
 * raw, so they are escaped too (`\u009b`): they only occur inside strings, and the JSON stays the same.
 */
export const printJson = (io: CliIo, value: unknown): void =>
  void io.stdout.write(`${JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${hex(c, 4)}`)}\n`);
