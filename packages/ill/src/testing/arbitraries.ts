import fc from 'fast-check';
import type { Actor } from '@interlend/engine';
import {
  commandSchemas,
  COMMAND_PARTY,
  LOAN_CONDITIONS,
  LOSS_KINDS,
  MATERIAL_FLAGS,
  RETRY_REASONS,
  SERVICE_LEVELS,
  UNFILLED_REASONS,
  type IllCommandInput,
  type IllCommandType,
  type MaterialFlag,
  type MaterialFormat,
} from '../commands';
import type { IllContext } from '../context';
import { DEADLINE_NAMES } from '../events';
import { SAMPLE_BORROWER, SAMPLE_TIME, sampleDirectoryJson } from './fixtures';

/**
 * fast-check generators for property tests of the ILL workflow (used by `*.properties.unit.test.ts`;
 * not exported from the testing entry, so that entry does not need fast-check at run time):
 *
 * - `VALID_DATA[type](dc)`: the `data` of every command type, valid for its zod schema (string
 *   limits are read from the schemas), and plausible for the request's current context `dc`
 *   (due dates after the clock, item ids that were shipped, the pending deadlines' keys, ...);
 * - `hostileData(type, dc)`: valid data with 1..3 mutations (wrong types, missing or extra fields,
 *   huge strings, deep nesting, prototype-pollution keys, control characters, NaN/Infinity/-0/1e308,
 *   unicode, cycles, null prototypes);
 * - `actorChoiceArb` + `resolveActor`: who sends a command, most often the party that may send it.
 */

// ---------------------------------------------------------------------------------------------
// Reading the zod schemas (zod 4 keeps each schema's definition in `_zod.def`)

interface ZodCheck {
  readonly _zod: { readonly def: { readonly check: string; readonly minimum?: number; readonly maximum?: number } };
}
/** The parts of a zod 4 schema the generators read. */
export interface ZodNode {
  readonly _zod: {
    readonly def: {
      readonly type: string;
      readonly shape?: Readonly<Record<string, ZodNode>>;
      readonly innerType?: ZodNode;
      readonly element?: ZodNode;
      readonly in?: ZodNode;
      readonly out?: ZodNode;
      readonly checks?: readonly ZodCheck[];
    };
  };
  readonly maxLength?: number | null;
}

const WRAPPERS = new Set(['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional']);
const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key);

/** The zod schema of a command type's data. */
export const schemaOf = (type: IllCommandType): ZodNode => commandSchemas[type] as unknown as ZodNode;

/**
 * A schema without its optional/default wrappers and pipes: a pipe from `unknown` (a check of the
 * whole value, such as the size of a command's data) stands for what it pipes into; any other pipe
 * (a transform) for what it takes in.
 */
export function unwrapSchema(schema: ZodNode): ZodNode {
  let node = schema;
  for (;;) {
    const def = node._zod.def;
    if (WRAPPERS.has(def.type) && def.innerType) node = def.innerType;
    else if (def.type === 'pipe' && def.in && def.out) node = ['unknown', 'any'].includes(def.in._zod.def.type) ? def.out : def.in;
    else return node;
  }
}

/** The segments of an issue path after its prefix: `data.itemIds[2].id` -> ['itemIds', '2', 'id'] (dotted indices too). */
export function pathSegments(path: string, prefix = 'data'): string[] | undefined {
  if (path !== prefix && !path.startsWith(`${prefix}.`) && !path.startsWith(`${prefix}[`)) return undefined;
  return [...path.slice(prefix.length).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((m) => m[1] ?? m[2]!);
}

/** The schema at a field path ('material', 'title'; array items by index), or undefined when the schema has no such field. */
export function schemaAt(schema: ZodNode, segments: readonly string[]): ZodNode | undefined {
  let node = schema;
  for (const segment of segments) {
    const def = unwrapSchema(node)._zod.def;
    if (def.type === 'object' && def.shape && own(def.shape, segment)) node = def.shape[segment]!;
    else if (def.type === 'array' && def.element && /^\d+$/.test(segment)) node = def.element;
    else return undefined;
  }
  return node;
}

export interface SchemaPath {
  readonly path: readonly string[];
  /** The zod type at the path, unwrapped: 'object', 'array', 'string', 'number', 'enum', 'boolean', ... */
  readonly kind: string;
  /** A string's maximum length, an array's maximum item count. */
  readonly max?: number;
}

/** Every field path of a schema (the root, objects, leaves; an array's items as index 0). */
export function schemaPaths(schema: ZodNode): SchemaPath[] {
  const out: SchemaPath[] = [];
  const visit = (node: ZodNode, path: string[]): void => {
    const inner = unwrapSchema(node);
    const def = inner._zod.def;
    const arrayMax = def.checks?.find((c) => c._zod.def.check === 'max_length')?._zod.def.maximum;
    const max = def.type === 'string' ? (inner.maxLength ?? undefined) : def.type === 'array' ? arrayMax : undefined;
    out.push({ path, kind: def.type, ...(max !== undefined ? { max } : {}) });
    if (def.type === 'object' && def.shape) for (const key of Object.keys(def.shape)) visit(def.shape[key]!, [...path, key]);
    if (def.type === 'array' && def.element) visit(def.element, [...path, '0']);
  };
  visit(schema, []);
  return out;
}

/** The maximum length of the string field at `path` of a command's schema (200 when it has none). */
export function maxLengthOf(type: IllCommandType, path: readonly string[]): number {
  const node = schemaAt(schemaOf(type), path);
  const max = node ? unwrapSchema(node).maxLength : undefined;
  return typeof max === 'number' && Number.isFinite(max) ? max : 200;
}

// ---------------------------------------------------------------------------------------------
// The context generated data is plausible for

/** Libraries of the sample directory (LIB1..LIB8). */
export const SAMPLE_LIBRARIES: readonly string[] = sampleDirectoryJson().libraries.map((l) => l.code);

export interface DataContext {
  /** The handler's clock. */
  readonly now: string;
  readonly libraries: readonly string[];
  readonly itemIds: readonly string[];
  readonly dueDate: string | null;
  readonly current: number | null;
  readonly currency: string;
  readonly maxAmount: number;
  readonly deadlines: IllContext['deadlines'];
}

export const DEFAULT_DATA_CONTEXT: DataContext = {
  now: SAMPLE_TIME,
  libraries: SAMPLE_LIBRARIES,
  itemIds: ['ITEM-1', 'ITEM-2'],
  dueDate: '2026-02-05',
  current: 1,
  currency: 'USD',
  maxAmount: 25,
  deadlines: { lenderResponse: { at: '2026-01-09T09:00:00.000Z', key: '1' } },
};

/** What the generators need to know of a request's folded context. */
export function dataContextOf(context: IllContext | undefined, now: string, libraries: readonly string[] = SAMPLE_LIBRARIES): DataContext {
  if (!context) return { ...DEFAULT_DATA_CONTEXT, now, libraries };
  return {
    now,
    libraries,
    itemIds: context.itemIds,
    dueDate: context.dueDate,
    current: context.current,
    currency: context.costs.maximum?.currency ?? 'USD',
    maxAmount: context.costs.maximum?.amount ?? 25,
    deadlines: context.deadlines,
  };
}

// ---------------------------------------------------------------------------------------------
// Valid values

const DAY_MS = 86_400_000;

/** Drops the members whose value is undefined (so an optional field is absent, not undefined). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** An optional member: absent about one time in `freq`. */
const opt = <T>(arb: fc.Arbitrary<T>, freq = 2): fc.Arbitrary<T | undefined> => fc.option(arb, { nil: undefined, freq });

/** Non-blank text whose trimmed length fits `max` (ASCII mostly, some unicode, and exactly `max` with padding). */
export function textArb(max: number): fc.Arbitrary<string> {
  const fits = (s: string): boolean => s.trim().length >= 1 && s.trim().length <= max;
  const arbs: fc.WeightedArbitrary<string>[] = [
    { weight: 8, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: Math.min(max, 24) }).filter(fits) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: Math.min(max, 12) }).filter(fits) },
  ];
  if (max <= 5000) arbs.push({ weight: 1, arbitrary: fc.constant(` ${'x'.repeat(max)}\t`) });
  return fc.oneof(...arbs);
}

const text = (type: IllCommandType, ...path: string[]): fc.Arbitrary<string> => textArb(maxLengthOf(type, path));
const note = (type: IllCommandType): fc.Arbitrary<string | undefined> => opt(text(type, 'note'));

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `base` plus some days and minutes, written as a date, a UTC date-time or a date-time with an offset. */
export function dateAfter(base: string, days: fc.Arbitrary<number>): fc.Arbitrary<string> {
  return fc.record({ days, minutes: fc.integer({ min: 0, max: 1439 }), form: fc.constantFrom('date', 'dateTime', 'offset') }).map(({ days: d, minutes, form }) => {
    const t = Date.parse(base) + d * DAY_MS + minutes * 60_000;
    if (form === 'date') return isoDay(t);
    if (form === 'dateTime') return new Date(t).toISOString();
    return `${new Date(t + 2 * 3_600_000).toISOString().slice(0, 19)}+02:00`;
  });
}

/** Days ahead: mostly in the future, sometimes today or in the past. */
const daysAhead = fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 1, max: 90 }) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 0 }) });

/** An amount in [0, max*1.3], often whole, sometimes exactly `max`. */
function amountArb(max: number): fc.Arbitrary<number> {
  const top = Math.max(1, Math.ceil(max * 1.3));
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: top }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: top * 100 }).map((cents) => cents / 100) },
    { weight: 1, arbitrary: fc.constant(max) },
  );
}

function moneyArb(currency: string, max: number): fc.Arbitrary<{ amount: number; currency: string }> {
  return fc.record({
    amount: amountArb(max),
    currency: fc.oneof({ weight: 12, arbitrary: fc.constant(currency) }, { weight: 1, arbitrary: fc.constantFrom('EUR', 'GBP', 'USD') }),
  });
}

const RETURNABLE_PLAIN: MaterialFormat[] = ['audiovisual', 'microform', 'score', 'map', 'thesis', 'other'];
/** Mostly formats that go to the network check, so sequences get far; some to review, rejection, document delivery. */
const formatArb: fc.Arbitrary<MaterialFormat> = fc.oneof(
  { weight: 14, arbitrary: fc.constant('book' as const) },
  { weight: 4, arbitrary: fc.constantFrom(...RETURNABLE_PLAIN) },
  { weight: 1, arbitrary: fc.constantFrom('periodicalIssue' as const, 'software' as const) },
  { weight: 1, arbitrary: fc.constantFrom('ebook' as const, 'electronic' as const) },
  { weight: 1, arbitrary: fc.constantFrom('article' as const, 'chapter' as const) },
);

function materialArb(): fc.Arbitrary<IllCommandInput['submit']['material']> {
  const t = (field: string) => textArb(maxLengthOf('submit', ['material', field]));
  return fc
    .record({
      format: formatArb,
      title: t('title'),
      author: opt(t('author')),
      isbn: opt(t('isbn'), 3),
      issn: opt(t('issn'), 3),
      oclcNumber: opt(t('oclcNumber'), 3),
      edition: opt(t('edition'), 3),
      volume: opt(t('volume'), 3),
      publicationYear: opt(fc.integer({ min: 0, max: 9999 })),
      flags: fc.oneof({ weight: 10, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constant<MaterialFlag[]>([]) }, { weight: 2, arbitrary: fc.uniqueArray(fc.constantFrom(...MATERIAL_FLAGS), { minLength: 1, maxLength: 3 }) }),
    })
    .map(compact);
}

/** A citation correction (amend): some of the amendable fields, mostly one or two. */
function amendMaterialArb(): fc.Arbitrary<NonNullable<IllCommandInput['amend']['material']>> {
  const t = (field: string) => opt(textArb(maxLengthOf('amend', ['material', field])), 3);
  return fc
    .record({
      title: t('title'),
      author: t('author'),
      isbn: t('isbn'),
      issn: t('issn'),
      oclcNumber: t('oclcNumber'),
      edition: t('edition'),
      volume: t('volume'),
      publicationYear: opt(fc.integer({ min: 0, max: 9999 }), 3),
    })
    .map(compact);
}

/** A rota position: mostly the current one, sometimes another. */
const rotaPositionArb = (dc: DataContext): fc.Arbitrary<number | undefined> =>
  opt(fc.oneof({ weight: 5, arbitrary: fc.constant(dc.current ?? 1) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 9 }) }), 2);

const itemIdArb = fc.oneof(fc.constantFrom('ITEM-1', 'ITEM-2', 'ITEM-3'), fc.stringMatching(/^[A-Z]{1,4}-\d{1,6}$/), textArb(40));

const noteOnly =
  (type: IllCommandType) =>
  (): fc.Arbitrary<{ note?: string }> =>
    fc.record({ note: note(type) }).map(compact);
const lenderNote =
  (type: IllCommandType) =>
  (dc: DataContext): fc.Arbitrary<{ note?: string; rotaPosition?: number }> =>
    fc.record({ note: note(type), rotaPosition: rotaPositionArb(dc) }).map(compact);
const tracking =
  (type: IllCommandType) =>
  (): fc.Arbitrary<{ trackingId?: string; note?: string }> =>
    fc.record({ trackingId: opt(text(type, 'trackingId')), note: note(type) }).map(compact);

/** The data of a `deadlineReached`: mostly a pending deadline as the timer worker sends it; sometimes stale or wrong. */
function deadlineDataArb(dc: DataContext): fc.Arbitrary<IllCommandInput['deadlineReached']> {
  const pending = DEADLINE_NAMES.flatMap((name) => {
    const p = dc.deadlines[name];
    return p ? [{ name, key: p.key, at: p.at }] : [];
  });
  const anyDeadline = fc.record({
    name: fc.constantFrom(...DEADLINE_NAMES),
    key: fc.oneof(fc.constantFrom('1', '2', '3', dc.dueDate ?? '2026-02-05'), fc.string({ maxLength: 12 })),
    at: fc.integer({ min: -10 * DAY_MS, max: 60 * DAY_MS }).map((d) => new Date(Date.parse(dc.now) + d).toISOString()),
  });
  if (pending.length === 0) return anyDeadline;
  const one = fc.constantFrom(...pending);
  return fc.oneof(
    { weight: 12, arbitrary: one },
    // a stale key: the position before, or another key
    { weight: 1, arbitrary: one.chain((p) => fc.constantFrom(String(Number(p.key) - 1), `${p.key} `, `${p.key}0`, '').map((key) => ({ ...p, key }))) },
    // the right key at another time (1 ms, a minute or a day off; the same instant written with an offset is the same time)
    {
      weight: 1,
      arbitrary: one.chain((p) =>
        fc.constantFrom(-DAY_MS, -1, 1, 60_000).map((d) => ({ ...p, at: new Date(Date.parse(p.at) + d).toISOString() })),
      ),
    },
    { weight: 1, arbitrary: one.map((p) => ({ ...p, at: `${new Date(Date.parse(p.at) + 3_600_000).toISOString().slice(0, 19)}+01:00` })) },
    // another deadline's name with this one's key and time
    { weight: 1, arbitrary: one.chain((p) => fc.constantFrom(...DEADLINE_NAMES.filter((n) => n !== p.name)).map((name) => ({ ...p, name }))) },
    { weight: 1, arbitrary: anyDeadline },
  );
}

type ValidDataArbitraries = { readonly [K in IllCommandType]: (dc: DataContext) => fc.Arbitrary<IllCommandInput[K]> };

/** Valid data of every command type, plausible in the context `dc`. */
export const VALID_DATA: ValidDataArbitraries = {
  submit: () =>
    fc
      .record({
        serviceType: fc.oneof({ weight: 6, arbitrary: fc.constant('Loan' as const) }, { weight: 2, arbitrary: fc.constant('CopyOrLoan' as const) }, { weight: 1, arbitrary: fc.constant('Copy' as const) }),
        serviceLevel: opt(fc.constantFrom(...SERVICE_LEVELS)),
        material: materialArb(),
        maximumCost: fc.record({
          amount: fc.oneof({ weight: 3, arbitrary: fc.constant(25) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: 80 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 8000 }).map((c) => c / 100) }),
          currency: fc.oneof({ weight: 12, arbitrary: fc.constant('USD') }, { weight: 1, arbitrary: fc.constant('EUR') }),
        }),
        needBefore: opt(dateAfter(SAMPLE_TIME, fc.integer({ min: -10, max: 120 })).map((d) => d.slice(0, 10)), 3),
        patronRef: opt(text('submit', 'patronRef')),
        note: note('submit'),
        relatedRequestId: opt(text('submit', 'relatedRequestId'), 4),
        // Hub staff only, rarely (docs/workflow/costs.md): from anyone else it is refused.
        onBehalfOf: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('LIB1', 'LIB2') }),
      })
      .map(compact),
  approve: noteOnly('approve'),
  reject: () => fc.record({ reason: text('reject', 'reason') }),
  fillLocally: noteOnly('fillLocally'),
  notAvailableLocally: (dc) =>
    fc
      .record({
        preferredLenders: opt(
          fc.oneof(
            { weight: 8, arbitrary: fc.shuffledSubarray([...dc.libraries], { maxLength: 4 }) },
            { weight: 1, arbitrary: fc.array(fc.constantFrom(...dc.libraries), { minLength: 2, maxLength: 4 }) },
            { weight: 1, arbitrary: fc.shuffledSubarray([...dc.libraries, 'LIB99'], { minLength: 1, maxLength: 3 }) },
          ),
          4,
        ),
        note: note('notAvailableLocally'),
      })
      .map(compact),
  expectToSupply: lenderNote('expectToSupply'),
  willSupply: lenderNote('willSupply'),
  answerConditional: (dc) =>
    fc
      .record({
        condition: fc.constantFrom(...LOAN_CONDITIONS),
        note: note('answerConditional'),
        offeredCost: opt(moneyArb(dc.currency, dc.maxAmount)),
        rotaPosition: rotaPositionArb(dc),
      })
      .map(compact),
  acceptConditions: () => fc.record({ consentToCost: opt(fc.boolean()), note: note('acceptConditions') }).map(compact),
  rejectConditions: noteOnly('rejectConditions'),
  retryPossible: (dc) => fc.record({ reason: fc.constantFrom(...RETRY_REASONS), note: note('retryPossible'), rotaPosition: rotaPositionArb(dc) }).map(compact),
  cannotSupply: (dc) => fc.record({ reason: fc.constantFrom(...UNFILLED_REASONS), note: note('cannotSupply'), rotaPosition: rotaPositionArb(dc) }).map(compact),
  ship: (dc) =>
    fc
      .record({
        itemIds: fc.oneof(
          { weight: 10, arbitrary: fc.uniqueArray(itemIdArb, { minLength: 1, maxLength: 3, selector: (s) => s.trim() }) },
          { weight: 1, arbitrary: itemIdArb.map((id) => [id, id]) },
        ),
        dueDate: dateAfter(dc.now, daysAhead),
        cost: moneyArb(dc.currency, dc.maxAmount),
        trackingId: opt(text('ship', 'trackingId')),
        sentVia: opt(text('ship', 'sentVia')),
        conditions: opt(fc.array(text('ship', 'conditions', '0'), { maxLength: 3 }), 3),
        // Required from a lender outside the delivery network without a profile default, refused from one inside it.
        returnShippingCost: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: moneyArb(dc.currency, dc.maxAmount) }),
        note: note('ship'),
        rotaPosition: rotaPositionArb(dc),
      })
      .map(compact),
  withdrawFromLender: () => fc.record({ reason: text('withdrawFromLender', 'reason'), continueWithNextLender: opt(fc.boolean()) }).map(compact),
  amend: (dc) =>
    fc
      .record({
        // Mostly a raise; sometimes the same maximum (refused when nothing else changes).
        maximumCost: opt(fc.integer({ min: 0, max: 50 }).map((raise) => ({ amount: dc.maxAmount + raise, currency: dc.currency }))),
        material: opt(amendMaterialArb()),
        note: note('amend'),
      })
      .map(compact),
  cancel: () => fc.record({ reason: text('cancel', 'reason'), continueWithNextLender: opt(fc.boolean()) }).map(compact),
  acceptCancel: lenderNote('acceptCancel'),
  refuseCancel: lenderNote('refuseCancel'),
  receive: (dc) =>
    fc
      .record({
        itemIds: opt(
          dc.itemIds.length
            ? fc.oneof({ weight: 6, arbitrary: fc.shuffledSubarray([...dc.itemIds], { minLength: 1 }) }, { weight: 1, arbitrary: fc.constant<string[]>([...dc.itemIds, 'NOT-SHIPPED']) })
            : fc.constant<string[]>(['ITEM-1']),
          2,
        ),
        note: note('receive'),
      })
      .map(compact),
  reportMisdelivered: (dc) => fc.record({ receivedBy: fc.constantFrom(...dc.libraries, 'LIB99'), note: note('reportMisdelivered') }).map(compact),
  reroute: tracking('reroute'),
  returnMisdelivered: tracking('returnMisdelivered'),
  reportWrongItem: () => fc.record({ note: text('reportWrongItem', 'note') }),
  checkOutToPatron: noteOnly('checkOutToPatron'),
  requestRenewal: noteOnly('requestRenewal'),
  grantRenewal: (dc) =>
    fc
      .record({
        dueDate: dateAfter(dc.dueDate ? `${dc.dueDate.slice(0, 10)}T12:00:00.000Z` : dc.now, daysAhead),
        note: note('grantRenewal'),
        rotaPosition: rotaPositionArb(dc),
      })
      .map(compact),
  denyRenewal: lenderNote('denyRenewal'),
  recall: lenderNote('recall'),
  shipReturn: tracking('shipReturn'),
  checkIn: lenderNote('checkIn'),
  close: () => fc.record({ reason: text('close', 'reason') }),
  reportLost: () => fc.record({ kind: fc.constantFrom(...LOSS_KINDS), note: note('reportLost') }).map(compact),
  reRequest: noteOnly('reRequest'),
  deadlineReached: deadlineDataArb,
  scheduleMissingDeadline: () => fc.record({ name: fc.constantFrom('supply' as const, 'cancelAnswer' as const, 'needBefore' as const) }),
};

// ---------------------------------------------------------------------------------------------
// Hostile values

/** Keys that reach for an object's prototype or shadow its methods. */
export const POLLUTION_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__', 'then', 'toJSON'] as const;

const HOSTILE_NUMBERS = [NaN, Infinity, -Infinity, -0, 0, -1, 0.5, 1.5, 1e308, -1e308, 5e-324, Number.MAX_VALUE, 2 ** 53, 2 ** 53 + 2, 1e21, 9999.5, 10_000, -(2 ** 31)];

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\t\n\r \u00a0\u2028\u2029\ufeff\u3000',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31mred\u001b[0m',
  '\u202eLIB2',
  '\ud800',
  'x\udfffy',
  '👩‍👩‍👧‍👦',
  'é',
  'NaN',
  'null',
  'undefined',
  '[object Object]',
  '{"__proto__":{"polluted":true}}',
  '__proto__',
  'constructor',
  "'; DROP TABLE events; --",
  '2026-02-30',
  '2026-02-29',
  '2028-02-29',
  '0000-01-01',
  '0099-12-31',
  '9999-12-31',
  '2026-1-5',
  '20260105',
  ' 2026-01-05',
  '+002026-01-05',
  '2026-01-05T10:00:00',
  '2026-01-05T24:00Z',
  '2026-01-05T25:00Z',
  '2026-01-05T10:00:00+24:00',
  '2026-01-05T10:00:00.1234567891Z',
  '2026-01-05T10:00:00.123456789Z',
  '+010000-01-01T00:00:00.000Z',
  'usd',
  'US',
  'USDD',
  'ÜSD',
  'US\u0000',
  'LIB1',
  'LIB99',
  ' LIB2 ',
  'lib2',
];

/** Text at and around a string field's limits, and long or strange text. */
function hostileStringArb(max: number | undefined): fc.Arbitrary<string> {
  const limits = max !== undefined && max <= 100_000 ? [max - 1, max, max + 1].filter((n) => n >= 0) : [];
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 30 }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
    // long text: over most field limits, just over the 64 KiB a command's data may have, and a million characters
    { weight: 1, arbitrary: fc.oneof({ weight: 4, arbitrary: fc.constant(1_000) }, { weight: 3, arbitrary: fc.constant(70_000) }, { weight: 1, arbitrary: fc.constant(1_000_000) }).map((n) => 'x'.repeat(n)) },
    { weight: 1, arbitrary: fc.constantFrom(1, 10_000).map((n) => ' '.repeat(n)) },
    { weight: limits.length ? 2 : 0, arbitrary: (limits.length ? fc.constantFrom(...limits) : fc.constant(1)).chain((n) => fc.constantFrom('x'.repeat(n), ` ${'x'.repeat(n)} `, 'é'.repeat(n))) },
  );
}

const hostileNumberArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_NUMBERS) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.bigInt() },
  { weight: 1, arbitrary: fc.constantFrom('25', '1e3', '0x10', ' 5 ') },
);

/** Objects nested `depth` levels under one key (or arrays nested `depth` levels): built iteratively. */
export function nest(leaf: unknown, depth: number, key: string, asArray: boolean): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) {
    if (asArray) value = [value];
    else {
      const o: Record<string, unknown> = {};
      Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
      value = o;
    }
  }
  return value;
}

/** Nesting depth: mostly tens of levels, sometimes thousands (slow to walk, so not often). */
const depthArb = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 2, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 300, max: 1500 }) });

const deepArb: fc.Arbitrary<unknown> = fc
  .record({ depth: depthArb, key: fc.constantFrom('a', 'material', 'cost', 'amount', '__proto__', '0'), asArray: fc.boolean(), leaf: fc.constantFrom('x', 1, null, {}) })
  .map(({ depth, key, asArray, leaf }) => nest(leaf, depth, key, asArray));

/** Any hostile value: special numbers and strings, wrong types, deep nesting, odd objects. */
export const hostileValueArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileStringArb(undefined) },
  { weight: 3, arbitrary: hostileNumberArb },
  { weight: 2, arbitrary: fc.constantFrom<unknown>(null, undefined, true, false, [], {}, [null], [undefined], Object.create(null), new Date(NaN), Symbol('hostile'), () => 1) },
  {
    weight: 3,
    arbitrary: fc.anything({
      maxDepth: 3,
      maxKeys: 5,
      key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...POLLUTION_KEYS)),
      withNullPrototype: true,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withSparseArray: true,
      withTypedArray: true,
      withBoxedValues: true,
    }),
  },
  { weight: 1, arbitrary: deepArb },
);

type Mutation =
  | { readonly op: 'root'; readonly value: unknown }
  | { readonly op: 'set'; readonly path: readonly string[]; readonly value: unknown }
  | { readonly op: 'delete'; readonly path: readonly string[] }
  | { readonly op: 'addKey'; readonly path: readonly string[]; readonly key: string; readonly value: unknown }
  | { readonly op: 'proto'; readonly path: readonly string[]; readonly proto: Record<string, unknown> | null }
  | { readonly op: 'nest'; readonly path: readonly string[]; readonly depth: number; readonly asArray: boolean }
  | { readonly op: 'cycle'; readonly path: readonly string[] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** Sets an own property, `__proto__` included (as JSON.parse does), without touching a prototype. */
function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // A target that refuses (a frozen object, a boxed string's index, a typed array given a bigint) keeps what it had.
  try {
    Reflect.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } catch {
    // the mutation does not happen
  }
}

function getOwn(root: unknown, path: readonly string[]): unknown {
  let node = root;
  for (const segment of path) {
    if (!isObject(node) || !own(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** Sets the value at a path (creating objects on the way); returns the new root. */
function setOwn(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const top: Record<string, unknown> = isObject(root) ? root : {};
  let node = top;
  path.slice(0, -1).forEach((segment) => {
    const next = own(node, segment) ? node[segment] : undefined;
    if (isObject(next) && !Object.isFrozen(next)) node = next;
    else {
      const created: Record<string, unknown> = {};
      defineOwn(node, segment, created);
      node = created;
    }
  });
  defineOwn(node, path[path.length - 1]!, value);
  return top;
}

function applyMutation(root: unknown, m: Mutation): unknown {
  switch (m.op) {
    case 'root':
      return m.value;
    case 'set':
      return setOwn(root, m.path, m.value);
    case 'delete': {
      const parent = getOwn(root, m.path.slice(0, -1));
      if (isObject(parent)) Reflect.deleteProperty(parent, m.path[m.path.length - 1]!);
      return root;
    }
    case 'addKey': {
      const parent = getOwn(root, m.path);
      if (isObject(parent)) defineOwn(parent, m.key, m.value);
      return root;
    }
    case 'proto': {
      const target = getOwn(root, m.path);
      if (isObject(target) && !Array.isArray(target)) Reflect.setPrototypeOf(target, m.proto);
      return root;
    }
    case 'nest':
      return setOwn(root, m.path, nest(getOwn(root, m.path), m.depth, m.path[m.path.length - 1] ?? 'a', m.asArray));
    case 'cycle':
      return setOwn(root, m.path, root);
  }
}

function mutationArb(type: IllCommandType): fc.Arbitrary<Mutation> {
  const paths = schemaPaths(schemaOf(type));
  const fields = paths.filter((p) => p.path.length > 0);
  const objects = paths.filter((p) => p.kind === 'object');
  const strings = paths.filter((p) => p.kind === 'string');
  const numbers = paths.filter((p) => p.kind === 'number');
  const pathOf = (list: readonly SchemaPath[]) => fc.constantFrom(...list);
  const arbs: fc.WeightedArbitrary<Mutation>[] = [
    { weight: 1, arbitrary: hostileValueArb.map((value) => ({ op: 'root', value })) },
    { weight: 2, arbitrary: fc.record({ key: fc.oneof(fc.constantFrom(...POLLUTION_KEYS), fc.string({ maxLength: 10 })), value: hostileValueArb, at: pathOf(objects) }).map(({ key, value, at }) => ({ op: 'addKey', path: at.path, key, value })) },
    { weight: 1, arbitrary: fc.record({ at: pathOf(objects), proto: fc.constantFrom<Record<string, unknown> | null>(null, { reason: 'inherited', note: 'inherited', amount: 1 }, { polluted: true }) }).map(({ at, proto }) => ({ op: 'proto', path: at.path, proto })) },
  ];
  if (fields.length) {
    arbs.push(
      { weight: 4, arbitrary: fc.record({ at: pathOf(fields), value: hostileValueArb }).map(({ at, value }) => ({ op: 'set', path: at.path, value })) },
      { weight: 2, arbitrary: pathOf(fields).map((at) => ({ op: 'delete', path: at.path })) },
      { weight: 1, arbitrary: fc.record({ at: pathOf(fields), depth: depthArb, asArray: fc.boolean() }).map(({ at, depth, asArray }) => ({ op: 'nest', path: at.path, depth, asArray })) },
      { weight: 1, arbitrary: pathOf(fields).map((at) => ({ op: 'cycle', path: at.path })) },
    );
  }
  if (strings.length) {
    arbs.push({ weight: 4, arbitrary: pathOf(strings).chain((at) => hostileStringArb(at.max).map((value): Mutation => ({ op: 'set', path: at.path, value }))) });
  }
  if (numbers.length) {
    arbs.push({ weight: 3, arbitrary: fc.record({ at: pathOf(numbers), value: hostileNumberArb }).map(({ at, value }) => ({ op: 'set', path: at.path, value })) });
  }
  return fc.oneof(...arbs);
}

/**
 * A deep copy of plain data (objects, arrays, primitives; a null prototype kept), made in this realm:
 * `structuredClone` would hand objects of another realm (another Object.prototype) to a jest test.
 */
export function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => copyPlain(v)) as T;
  if (isObject(value)) {
    const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
    for (const key of Object.keys(value)) defineOwn(out, key, copyPlain(value[key]));
    return out as T;
  }
  return value;
}

/** Valid data of `type` with 1..3 hostile mutations (the valid value is copied, never shared). */
export function hostileData(type: IllCommandType, dc: DataContext = DEFAULT_DATA_CONTEXT): fc.Arbitrary<unknown> {
  return fc
    .tuple(VALID_DATA[type](dc) as fc.Arbitrary<unknown>, fc.array(mutationArb(type), { minLength: 1, maxLength: 3 }))
    .map(([valid, mutations]) => mutations.reduce<unknown>((root, m) => applyMutation(root, m), copyPlain(valid)));
}

/** Data for a command: valid most of the time, hostile one time in `1 + validWeight`. */
export function commandDataArb(type: IllCommandType, dc: DataContext, validWeight = 6): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: validWeight, arbitrary: VALID_DATA[type](dc) as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: hostileData(type, dc) });
}

// ---------------------------------------------------------------------------------------------
// Actors

export const ACTOR_KINDS = [
  'right',
  'borrower',
  'currentLender',
  'hub',
  'previousLender',
  'nextCandidate',
  'otherLibrary',
  'system',
  'receivedBy',
  'wrongRole',
  'unknownRole',
  'blank',
] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];
export interface ActorChoice {
  readonly kind: ActorKind;
  /** Picks among the candidates of the kind. */
  readonly n: number;
}

const ACTOR_WEIGHTS: Readonly<Record<ActorKind, number>> = {
  right: 75,
  borrower: 5,
  currentLender: 5,
  hub: 4,
  previousLender: 4,
  nextCandidate: 4,
  otherLibrary: 4,
  system: 3,
  receivedBy: 2,
  wrongRole: 3,
  unknownRole: 3,
  blank: 2,
};

/** Who sends a command: the party that may send it most of the time ('right'), anybody else otherwise. */
export const actorChoiceArb: fc.Arbitrary<ActorChoice> = fc.record({
  kind: fc.oneof(...ACTOR_KINDS.map((kind) => ({ weight: ACTOR_WEIGHTS[kind], arbitrary: fc.constant(kind) }))),
  n: fc.nat(999),
});

const HUB: Actor = { id: 'HUB', role: 'hub' };
const SYSTEM: Actor = { id: 'system', role: 'system' };

/** The actor a choice names for `type` on a request in `context` (data: for the library a misdelivery reached). */
export function resolveActor(choice: ActorChoice, type: string, context: IllContext | undefined, data: unknown, libraries: readonly string[] = SAMPLE_LIBRARIES): Actor {
  const pick = <T>(xs: readonly T[], fallback: T): T => (xs.length ? xs[choice.n % xs.length]! : fallback);
  const borrower = context?.borrower ?? SAMPLE_BORROWER;
  const rota = context?.rota ?? [];
  const lender = context?.lender ?? rota.find((e) => e.status === 'candidate')?.library ?? 'LIB2';
  const party = (COMMAND_PARTY as Readonly<Record<string, string>>)[type] ?? 'borrower';
  switch (choice.kind) {
    case 'right':
      switch (party) {
        case 'lender':
          return choice.n % 6 === 0 ? HUB : { id: lender, role: 'lending' };
        case 'involved':
          return pick([{ id: borrower, role: 'borrowing' }, { id: lender, role: 'lending' }, HUB], HUB);
        case 'hub':
          return HUB;
        case 'system':
          return SYSTEM;
        default:
          return choice.n % 6 === 0 ? HUB : { id: borrower, role: 'borrowing' };
      }
    case 'borrower':
      return { id: borrower, role: 'borrowing' };
    case 'currentLender':
      return { id: lender, role: 'lending' };
    case 'hub':
      return HUB;
    case 'previousLender':
      return { id: pick(rota.filter((e) => e.requestedAt !== null && e.position !== context?.current).map((e) => e.library), 'LIB3'), role: 'lending' };
    case 'nextCandidate':
      return { id: pick(rota.filter((e) => e.status === 'candidate' && e.requestedAt === null).map((e) => e.library), 'LIB4'), role: 'lending' };
    case 'otherLibrary':
      return { id: pick([...libraries.filter((l) => l !== borrower && l !== context?.lender), 'LIB99'], 'LIB99'), role: choice.n % 2 ? 'lending' : 'borrowing' };
    case 'system':
      return SYSTEM;
    case 'receivedBy': {
      const receivedBy = isObject(data) && typeof data.receivedBy === 'string' ? data.receivedBy : pick(libraries, 'LIB5');
      return { id: receivedBy, role: pick(['lending', 'borrowing'], 'lending') };
    }
    case 'wrongRole':
      return pick([{ id: borrower, role: 'lending' }, { id: lender, role: 'borrowing' }, { id: 'system', role: 'hub' }, { id: borrower, role: 'system' }], HUB);
    case 'unknownRole':
      return { id: pick([borrower, lender, 'HUB'], 'HUB'), role: pick(['admin', 'patron', 'SYSTEM', 'Hub', '__proto__', 'constructor', 'borrowing '], 'admin') };
    case 'blank':
      return pick<Actor>([{ id: '', role: 'hub' }, { id: '   ', role: 'borrowing' }, { id: borrower, role: '' }, { id: 42, role: 'hub' } as unknown as Actor, null as unknown as Actor], HUB);
  }
}

// ---------------------------------------------------------------------------------------------
// Checking that nothing changed an input

function sampleString(v: string): string {
  let out = '';
  for (let i = 0; i < 256; i++) out += v.charAt(Math.floor((i * (v.length - 1)) / 255));
  return out;
}

const TYPED_ARRAY_PROTOTYPE: object = Object.getPrototypeOf(Uint8Array.prototype);
const intrinsicGetter = (proto: object, name: string) => Object.getOwnPropertyDescriptor(proto, name)!.get!;

/** The bytes a typed array or DataView shows, read through the intrinsic getters (its prototype may have been replaced). */
function viewBytes(view: ArrayBufferView): string {
  let source: object = TYPED_ARRAY_PROTOTYPE;
  try {
    intrinsicGetter(TYPED_ARRAY_PROTOTYPE, 'buffer').call(view);
  } catch {
    source = DataView.prototype;
  }
  const buffer = intrinsicGetter(source, 'buffer').call(view) as ArrayBuffer;
  const offset = intrinsicGetter(source, 'byteOffset').call(view) as number;
  const length = intrinsicGetter(source, 'byteLength').call(view) as number;
  return Array.from(new Uint8Array(buffer, offset, length), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A string that changes when anything reachable from `root` changes: own keys (symbols, `__proto__`
 * included) and their values (getters are named, never called), prototypes, -0, NaN, Map/Set/Date
 * contents, shared references and cycles. Iterative: inputs are nested thousands of levels deep.
 */
export function fingerprint(root: unknown): string {
  const parts: string[] = [];
  const ids = new Map<unknown, number>();
  const idOf = (x: unknown): number => {
    let id = ids.get(x);
    if (id === undefined) ids.set(x, (id = ids.size));
    return id;
  };
  const stack: ({ readonly v: unknown } | { readonly t: string })[] = [{ v: root }];
  while (stack.length) {
    const item = stack.pop()!;
    if ('t' in item) {
      parts.push(item.t);
      continue;
    }
    const v = item.v;
    switch (typeof v) {
      case 'number':
        parts.push(Object.is(v, -0) ? 'n:-0' : `n:${v}`);
        break;
      case 'string':
        // Length-prefixed, not escaped. Strings are immutable, so only a replaced value can differ:
        // a long one (inputs hold a million characters) is taken by its length and 256 samples.
        parts.push(`s${v.length}:`, v.length <= 4096 ? v : sampleString(v));
        break;
      case 'bigint':
        parts.push(`b:${v}`);
        break;
      case 'boolean':
      case 'undefined':
        parts.push(String(v));
        break;
      case 'symbol':
      case 'function':
        parts.push(`${typeof v}#${idOf(v)}`);
        break;
      case 'object': {
        if (v === null) {
          parts.push('null');
          break;
        }
        if (ids.has(v)) {
          parts.push(`ref#${ids.get(v)}`);
          break;
        }
        const id = idOf(v);
        const proto: unknown = Object.getPrototypeOf(v);
        const protoTag =
          proto === null ? 'null' : proto === Object.prototype ? 'O' : proto === Array.prototype ? 'A' : `P:${String((proto as { constructor?: { name?: unknown } }).constructor?.name)}`;
        const extra =
          v instanceof Date
            ? String(v.getTime())
            : v instanceof Number || v instanceof Boolean || v instanceof String
              ? String(v.valueOf())
              : '';
        parts.push(`{#${id} ${protoTag} ${extra}`);
        stack.push({ t: '}' });
        if (v instanceof Map) stack.push({ v: [...v.entries()] });
        if (v instanceof Set) stack.push({ v: [...v.values()] });
        if (ArrayBuffer.isView(v)) stack.push({ t: `bytes:${viewBytes(v)}` });
        // A prototype the generators made (inherited fields) is part of the value.
        if (proto !== null && proto !== Object.prototype && proto !== Array.prototype && Object.getPrototypeOf(proto) === Object.prototype) stack.push({ v: proto });
        for (const key of Reflect.ownKeys(v).reverse()) {
          const d = Object.getOwnPropertyDescriptor(v, key)!;
          const name = typeof key === 'symbol' ? `sym#${idOf(key)}` : `k${key.length}:${key}`;
          if ('value' in d) stack.push({ v: d.value }, { t: `${name}${d.enumerable ? '' : '(hidden)'}:` });
          else stack.push({ t: `${name}:accessor` });
        }
        break;
      }
    }
  }
  return parts.join(' ');
}
