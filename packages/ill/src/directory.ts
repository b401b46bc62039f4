import { z } from 'zod';
import { ValidationError } from '@interlend/engine';
import { isoDate, libraryCode, safeCode, type Money } from './commands';
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
/** Lender clocks (docs/workflow/lender-clocks.md): business days a lender has to ship after answering expects/will supply, unless its profile or the directory says otherwise. */
export const DEFAULT_DAYS_TO_SHIP = 5;
/** Lender clocks: business days a lender has to answer a cancel request, unless its profile or the directory says otherwise. */
export const DEFAULT_DAYS_TO_ANSWER_CANCEL = 2;
/** The longest lender clock a profile may set, in business days. */
export const MAX_CLOCK_DAYS = 60;
/** The currency of a directory's amounts when it names none. */
export const DEFAULT_CURRENCY = 'USD';

const daysToRespond = z.union(DAYS_TO_RESPOND.map((d) => z.literal(d)) as unknown as [z.ZodLiteral<DaysToRespond>, z.ZodLiteral<DaysToRespond>], {
  error: `must be one of ${DAYS_TO_RESPOND.join(', ')} (business days)`,
});
const amount = z.number().finite().nonnegative({ message: 'must be a number >= 0' });
const clockDays = z.number().int({ message: 'must be a whole number of business days' }).min(1, { message: 'must be at least 1 (business day)' }).max(MAX_CLOCK_DAYS, { message: `must be at most ${MAX_CLOCK_DAYS} (business days)` });

export const ClosureSchema = z
  .strictObject({ from: isoDate, to: isoDate, reason: z.string().trim().min(1, { message: 'must not be empty' }).max(LIMITS.name) })
  .refine((c) => c.from <= c.to, { message: 'must not be before from', path: ['to'] });

const contactText = (max: number) => z.string().trim().min(1, { message: 'must not be empty' }).max(max);

/** Whom to write to about loans (free text, printed escaped); every part optional. */
export const ContactSchema = z.strictObject({
  name: contactText(LIMITS.name).optional(),
  email: contactText(LIMITS.shortText)
    .regex(/^[^\s@]+@[^\s@]+$/, { message: 'must be an e-mail address (name@example.org)' })
    .optional(),
  phone: contactText(LIMITS.shortText).optional(),
  address: contactText(LIMITS.note).optional(),
});

export const LibrarySchema = z.strictObject({
  code: libraryCode,
  /** Free text, printed escaped. */
  name: z.string().trim().min(1, { message: 'must not be empty' }).max(LIMITS.name),
  illCode: safeCode(LIMITS.illCode, 'an ILL code'),
  inDeliveryNetwork: z.boolean(),
  lendingPolicy: z.enum(LENDING_POLICIES),
  daysToRespond: z.strictObject({ loan: daysToRespond.default(4), copy: daysToRespond.default(2) }).default({ loan: 4, copy: 2 }),
  /** The most this library pays for one request's shipping, in the directory's currency. */
  maxShipping: amount,
  /** The most this library pays in fees for one request; with maxShipping, its maximum cost (docs/workflow/costs.md). */
  maxFees: amount,
  /** What this library charges as a lender; the rota skips it for a request whose maximum cost is lower. Absent: no fee. */
  lendingFee: amount.optional(),
  /** Outside the delivery network: the return shipping a borrower owes for an item it lent (the default of ship's returnShippingCost). */
  returnShippingCost: amount.optional(),
  closures: z.array(ClosureSchema).max(LIMITS.closures).default([]),
  /** Lender clock: business days to ship after answering expects/will supply. Absent: the directory's `lenderClocks.daysToShip`. */
  daysToShip: clockDays.optional(),
  /** Lender clock: business days to answer a cancel request. Absent: the directory's `lenderClocks.daysToAnswerCancel`. */
  daysToAnswerCancel: clockDays.optional(),
  contact: ContactSchema.optional(),
});

export const DirectorySchema = z.strictObject({
  libraries: z.array(LibrarySchema).max(LIMITS.libraries),
  /** Cap on the candidate lenders of one rota (lenders of last resort come on top). Default 10. */
  maxLenders: z.number().int().positive().max(LIMITS.libraries).optional(),
  /** Network-wide lender clocks for profiles that set none (defaults 5 and 2 business days). */
  lenderClocks: z.strictObject({ daysToShip: clockDays.optional(), daysToAnswerCancel: clockDays.optional() }).optional(),
  /** The currency of every amount in the profiles (maxShipping, maxFees, lendingFee, returnShippingCost). Default USD. */
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be a 3-letter ISO 4217 currency code, e.g. USD' }).optional(),
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
  /** The currency of the profiles' amounts (default USD). */
  readonly currency: string;

  constructor(private readonly data: DirectoryData) {
    this.byCode = new Map(data.libraries.map((l) => [l.code, l]));
    this.maxLenders = data.maxLenders ?? DEFAULT_MAX_LENDERS;
    this.currency = data.currency ?? DEFAULT_CURRENCY;
  }

  /** An amount of a profile as Money in the directory's currency. */
  money(amount: number): Money {
    return { amount, currency: this.currency };
  }

  get(code: string): Library | undefined {
    return this.byCode.get(code);
  }

  has(code: string): boolean {
    return this.byCode.has(code);
  }

  /** Business days `library` has to ship after answering expects/will supply: its profile, else the directory's, else DEFAULT_DAYS_TO_SHIP. */
  daysToShip(library: Library): number {
    return library.daysToShip ?? this.data.lenderClocks?.daysToShip ?? DEFAULT_DAYS_TO_SHIP;
  }

  /** Business days `library` has to answer a cancel request: its profile, else the directory's, else DEFAULT_DAYS_TO_ANSWER_CANCEL. */
  daysToAnswerCancel(library: Library): number {
    return library.daysToAnswerCancel ?? this.data.lenderClocks?.daysToAnswerCancel ?? DEFAULT_DAYS_TO_ANSWER_CANCEL;
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
