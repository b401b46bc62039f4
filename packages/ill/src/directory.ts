import { z } from 'zod';
import { ValidationError } from '@interlend/engine';
import { isoDate, libraryCode, safeCode } from './commands';
import { formatCount, jsonBytes, LIMITS } from './limits';

/**
 * The library directory: who lends, on what clock, and when they are closed. Callers load it
 * (file, database, service) and pass it in as `services.directory`; this package only parses it.
 */

export const DAYS_TO_RESPOND = [1, 2, 4, 8, 12, 16, 20] as const;
export type DaysToRespond = (typeof DAYS_TO_RESPOND)[number];
export const LENDING_POLICIES = ['lends', 'doesNotLend', 'lastResort'] as const;
export type LendingPolicy = (typeof LENDING_POLICIES)[number];
export const DEFAULT_MAX_LENDERS = 10;

const daysToRespond = z.union(DAYS_TO_RESPOND.map((d) => z.literal(d)) as unknown as [z.ZodLiteral<DaysToRespond>, z.ZodLiteral<DaysToRespond>], {
  error: `must be one of ${DAYS_TO_RESPOND.join(', ')} (business days)`,
});
const amount = z.number().finite().nonnegative({ message: 'must be a number >= 0' });

export const ClosureSchema = z
  .strictObject({ from: isoDate, to: isoDate, reason: z.string().trim().min(1, { message: 'must not be empty' }).max(LIMITS.name) })
  .refine((c) => c.from <= c.to, { message: 'must not be before from', path: ['to'] });

export const LibrarySchema = z.strictObject({
  code: libraryCode,
  /** Free text, printed escaped. */
  name: z.string().trim().min(1, { message: 'must not be empty' }).max(LIMITS.name),
  illCode: safeCode(LIMITS.illCode, 'an ILL code'),
  inDeliveryNetwork: z.boolean(),
  lendingPolicy: z.enum(LENDING_POLICIES),
  daysToRespond: z.strictObject({ loan: daysToRespond.default(4), copy: daysToRespond.default(2) }).default({ loan: 4, copy: 2 }),
  maxShipping: amount,
  maxFees: amount,
  lendingFee: amount.optional(),
  closures: z.array(ClosureSchema).max(LIMITS.closures).default([]),
});

export const DirectorySchema = z.strictObject({
  libraries: z.array(LibrarySchema).max(LIMITS.libraries),
  /** Cap on the candidate lenders of one rota (lenders of last resort come on top). Default 10. */
  maxLenders: z.number().int().positive().max(LIMITS.libraries).optional(),
});

export type Library = z.output<typeof LibrarySchema>;
export type DirectoryData = z.output<typeof DirectorySchema>;
/** What a directory file may contain (defaults not yet applied). */
export type DirectoryInput = z.input<typeof DirectorySchema>;

/** A path like ['libraries', 3, 'daysToRespond', 'loan'] as `libraries[3].daysToRespond.loan`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || '(root)';
}

/** The parsed library directory. */
export class Directory {
  private readonly byCode: ReadonlyMap<string, Library>;
  readonly maxLenders: number;

  constructor(private readonly data: DirectoryData) {
    this.byCode = new Map(data.libraries.map((l) => [l.code, l]));
    this.maxLenders = data.maxLenders ?? DEFAULT_MAX_LENDERS;
  }

  get(code: string): Library | undefined {
    return this.byCode.get(code);
  }

  has(code: string): boolean {
    return this.byCode.has(code);
  }

  /** Every library, in directory order. */
  list(): readonly Library[] {
    return this.data.libraries;
  }

  toJSON(): DirectoryData {
    return this.data;
  }
}

/** Issues shown in an error's message; all of them are in `details.issues`. */
const ISSUES_IN_MESSAGE = 10;

function invalidDirectory(issues: { path: string; message: string }[]): ValidationError {
  const shown = issues.slice(0, ISSUES_IN_MESSAGE).map((i) => `${i.path}: ${i.message}`);
  if (issues.length > shown.length) shown.push(`and ${formatCount(issues.length - shown.length)} more`);
  return new ValidationError(`invalid directory: ${shown.join('; ')}`, { issues });
}

/** The limits on the whole directory, checked before any field is parsed. */
function checkSize(json: unknown): void {
  const libraries = (json as { libraries?: unknown } | null)?.libraries;
  if (Array.isArray(libraries) && libraries.length > LIMITS.libraries) {
    throw invalidDirectory([{ path: 'libraries', message: `has ${formatCount(libraries.length)} libraries; a directory may have at most ${formatCount(LIMITS.libraries)}` }]);
  }
  let bytes: number;
  try {
    bytes = jsonBytes(json);
  } catch {
    throw invalidDirectory([{ path: '(root)', message: 'must be JSON' }]);
  }
  if (bytes > LIMITS.directoryBytes) {
    throw invalidDirectory([{ path: '(root)', message: `is ${formatCount(bytes)} bytes as JSON; a directory may have at most ${formatCount(LIMITS.directoryBytes)}` }]);
  }
}

/**
 * Parses a directory (e.g. a JSON file's content). Throws ValidationError naming each bad field,
 * e.g. `libraries[3].daysToRespond.loan: must be one of 1, 2, 4, 8, 12, 16, 20 (business days)`.
 * Duplicate library codes are refused, and so is a directory over the limits (`LIMITS`).
 */
export function parseDirectory(json: unknown): Directory {
  checkSize(json);
  const parsed = DirectorySchema.safeParse(json);
  if (!parsed.success) throw invalidDirectory(parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  const seen = new Map<string, number>();
  const issues: { path: string; message: string }[] = [];
  parsed.data.libraries.forEach((library, i) => {
    const first = seen.get(library.code);
    if (first !== undefined) issues.push({ path: `libraries[${i}].code`, message: `duplicate code '${library.code}' (also libraries[${first}])` });
    else seen.set(library.code, i);
  });
  if (issues.length) throw invalidDirectory(issues);
  return new Directory(parsed.data);
}
