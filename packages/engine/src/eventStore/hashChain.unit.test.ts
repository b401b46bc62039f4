import { createHash } from 'node:crypto';
import { canonicalJson, CHAIN_FORMAT, eventHash, eventHashInput, GENESIS_HASH, isChainHash } from './hashChain';
import type { JsonValue } from './types';

const event = { streamId: 's', revision: 0, id: 'e-1', type: 'Opened', data: { b: 1, a: [true, null, 'x'] }, metadata: { actor: 'LIB1' } };

describe('canonicalJson', () => {
  it('sorts members by UTF-16 code units at every depth, with no white space (RFC 8785 for JSON values)', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    // Not JavaScript's own order, which puts integer-like names first in numeric order.
    expect(canonicalJson({ '9': 1, '10': 2, B: 3, a: 4 })).toBe('{"10":2,"9":1,"B":3,"a":4}');
    // A character outside the BMP sorts by its first (surrogate) code unit: before U+FFFF.
    expect(canonicalJson({ '\uffff': 1, '😀': 2 })).toBe('{"😀":2,"\uffff":1}');
  });

  it('writes strings and numbers as JSON.stringify does, and leaves out undefined members', () => {
    expect(canonicalJson(['quote " \\ \n \u2028 \u0000', 1e21, 0.1, -0, 1.5e-7] as JsonValue)).toBe(JSON.stringify(['quote " \\ \n \u2028 \u0000', 1e21, 0.1, 0, 1.5e-7]));
    expect(canonicalJson({ a: undefined, b: [undefined] } as unknown as JsonValue)).toBe('{"b":[null]}');
    expect(canonicalJson({})).toBe('{}');
  });
});

describe('eventHash', () => {
  it('is SHA-256 over the UTF-8 of the canonical array [format, previous hash, stream, revision, id, type, data, metadata]', () => {
    const input = eventHashInput(GENESIS_HASH, event);
    expect(input).toBe(`["${CHAIN_FORMAT}","${GENESIS_HASH}","s",0,"e-1","Opened",{"a":[true,null,"x"],"b":1},{"actor":"LIB1"}]`);
    expect(eventHash(GENESIS_HASH, event)).toBe(createHash('sha256').update(input, 'utf8').digest('hex'));
    expect(isChainHash(eventHash(GENESIS_HASH, event))).toBe(true);
    expect(isChainHash(GENESIS_HASH)).toBe(true);
    expect(isChainHash('ABC')).toBe(false);
  });

  it('changes with every field it covers, and not with the order members were written in', () => {
    const base = eventHash(GENESIS_HASH, event);
    const variants = [
      eventHash('1'.repeat(64), event),
      eventHash(GENESIS_HASH, { ...event, streamId: 't' }),
      eventHash(GENESIS_HASH, { ...event, revision: 1 }),
      eventHash(GENESIS_HASH, { ...event, id: 'e-2' }),
      eventHash(GENESIS_HASH, { ...event, type: 'Closed' }),
      eventHash(GENESIS_HASH, { ...event, data: { b: 2, a: [true, null, 'x'] } }),
      eventHash(GENESIS_HASH, { ...event, metadata: { actor: 'LIB2' } }),
    ];
    expect(new Set([base, ...variants]).size).toBe(variants.length + 1);
    expect(eventHash(GENESIS_HASH, { ...event, data: { a: [true, null, 'x'], b: 1 } })).toBe(base);
  });

  it('uses an injected SHA-256 when given one', () => {
    const seen: string[] = [];
    expect(eventHash(GENESIS_HASH, event, (text) => (seen.push(String(text)), 'f'.repeat(64)))).toBe('f'.repeat(64));
    expect(seen).toEqual([eventHashInput(GENESIS_HASH, event)]);
  });
});

describe('canonicalJson against a plain reference implementation', () => {
  /** Sorted members, written out one by one: the definition, slow and obvious. */
  const reference = (value: JsonValue): string => {
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${reference(value[k] as JsonValue)}`).join(',')}}`;
  };
  const NAMES = ['', 'a', 'B', 'b', '10', '9', '0', 'constructor', 'toString', 'hasOwnProperty', 'toJSON', 'valueOf', 'length', 'ü', 'é', '😀', '\uffff', 'key with space'];
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const value = (depth: number): JsonValue => {
    const kind = depth > 3 ? Math.floor(random() * 4) : Math.floor(random() * 6);
    if (kind === 0) return pick([null, true, false]);
    if (kind === 1) return pick([0, -1, 0.1, 1e21, 1.5e-7, 123456789.123, Number.MAX_SAFE_INTEGER]);
    if (kind === 2 || kind === 3) return pick(['', 'x', 'quote " \\', '\n\u2028\u0000', 'Zoë 東京 🚀', '\ud800 lone']);
    if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    const out: Record<string, JsonValue> = {};
    for (let i = Math.floor(random() * 5); i > 0; i--) out[pick(NAMES)] = value(depth + 1);
    return out;
  };

  it('gives the same text on 2,000 random JSON values, and on one parsed with a __proto__ member', () => {
    for (let i = 0; i < 2000; i++) {
      const v = JSON.parse(JSON.stringify(value(0))) as JsonValue;
      const got = canonicalJson(v);
      if (got !== reference(v)) expect({ v, got }).toEqual({ v, got: reference(v) });
    }
    const tricky = JSON.parse('{"b":{"__proto__":{"x":1},"a":2},"list":[{"z":1},{}]}') as JsonValue;
    expect(canonicalJson(tricky)).toBe('{"b":{"__proto__":{"x":1},"a":2},"list":[{"z":1},{}]}');
    expect(canonicalJson(JSON.parse('[{"a":1},{"b":{}}]') as JsonValue)).toBe('[{"a":1},{"b":{}}]');
  });

  it('sorts objects of many members, and names past what it remembers of them, as the reference does', () => {
    const many: Record<string, JsonValue> = {};
    for (let i = 39; i >= 0; i--) many[`${pick(NAMES)}${i % 7}${'😀'.repeat(i % 3)}${i}`] = i;
    expect(canonicalJson(many)).toBe(reference(many));
    const twelve = Object.fromEntries(Object.entries(many).slice(0, 12)) as Record<string, JsonValue>;
    expect(canonicalJson(twelve)).toBe(reference(twelve));
    const named = Array.from({ length: 1500 }, (_, i) => ({ [`name${(i * 7919) % 1500}`]: i, [`${'x'.repeat(70)}${i}`]: [i], a: { z: i, b: 'q"' } }));
    expect(canonicalJson(named)).toBe(reference(named));
    expect(canonicalJson(named)).toBe(reference(named));
  });
});

describe('canonicalJson of values that are not plain data', () => {
  class Money {
    constructor(
      readonly amount: number,
      readonly currency: string,
    ) {}
  }
  const roundTrip = (v: unknown): string => canonicalJson(JSON.parse(JSON.stringify(v)) as JsonValue);

  it('is the canonical text of what JSON.stringify and JSON.parse make of them, as a store would read them back', () => {
    const nullPrototype = Object.assign(Object.create(null) as Record<string, unknown>, { b: 1, a: 2 });
    const withToJson = { z: 1, toJSON: () => ({ replaced: true, a: [1] }) };
    const values: unknown[] = [
      { when: new Date('2026-01-05T09:10:00.000Z'), n: 1 },
      { cost: new Money(12.5, 'USD'), list: [new Money(1, 'EUR')] },
      { gone: undefined, fn: () => 1, sym: Symbol('s'), kept: 'yes', list: [undefined, () => 1, Symbol('t'), 2] },
      { boxed: [new String('s'), new Number(3), new Boolean(false)] },
      { numbers: [NaN, Infinity, -Infinity, -0, 1e21] },
      { nested: { deeper: withToJson } },
      { nullPrototype },
      { map: new Map([['k', 1]]), set: new Set([1]) },
      // eslint-disable-next-line no-sparse-arrays
      { holes: [1, , 3] },
    ];
    for (const v of values) expect({ v: String(Object.keys(v as object)), text: canonicalJson(v as JsonValue) }).toEqual({ v: String(Object.keys(v as object)), text: roundTrip(v) });
    expect(canonicalJson({ when: new Date('2026-01-05T09:10:00.000Z') } as unknown as JsonValue)).toBe('{"when":"2026-01-05T09:10:00.000Z"}');
  });

  it('hashes an event appended with such values as the same event read back', () => {
    const appended = { ...event, data: { due: new Date('2026-02-01T00:00:00.000Z'), skipped: undefined, b: 1 } as unknown as JsonValue as never };
    const readBack = { ...event, data: JSON.parse(JSON.stringify(appended.data)) as never };
    expect(eventHash(GENESIS_HASH, appended)).toBe(eventHash(GENESIS_HASH, readBack));
  });
});
