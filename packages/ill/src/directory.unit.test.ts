import { isValidationError } from '@interlend/engine';
import { Directory, parseDirectory, type DirectoryInput } from './directory';
import { jsonBytes, LIMITS } from './limits';
import { sampleDirectoryJson } from './testing';

function issuesOf(json: unknown): string[] {
  try {
    parseDirectory(json);
  } catch (error) {
    if (!isValidationError(error)) throw error;
    return (error.details.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('the library directory', () => {
  it('parses the sample directory, with defaults', () => {
    const json = sampleDirectoryJson();
    const { daysToRespond: _d, closures: _c, ...bare } = json.libraries[1]!;
    const directory = parseDirectory({ libraries: [bare] });
    expect(directory).toBeInstanceOf(Directory);
    expect(directory.get('LIB2')).toMatchObject({ daysToRespond: { loan: 4, copy: 2 }, closures: [] });
    expect(directory.maxLenders).toBe(10);
    expect(parseDirectory(json).list().map((l) => l.code)).toEqual(['LIB1', 'LIB2', 'LIB3', 'LIB4', 'LIB5', 'LIB6', 'LIB7', 'LIB8']);
    expect(parseDirectory(json).get('NOPE')).toBeUndefined();
  });

  it('names the field of a bad days-to-respond value', () => {
    const json = sampleDirectoryJson();
    json.libraries[3]!.daysToRespond = { loan: 3 as 4, copy: 2 };
    expect(issuesOf(json)).toEqual(['libraries[3].daysToRespond.loan: must be one of 1, 2, 4, 8, 12, 16, 20 (business days)']);
  });

  it('names missing and malformed fields', () => {
    const json = sampleDirectoryJson() as unknown as { libraries: Record<string, unknown>[] };
    delete json.libraries[0]!.inDeliveryNetwork;
    json.libraries[2]!.lendingPolicy = 'sometimes';
    json.libraries[5]!.closures = [{ from: '2026-02-10', to: '2026-02-01', reason: 'x' }];
    json.libraries[6]!.maxFees = -3;
    const issues = issuesOf(json);
    expect(issues.map((i) => i.split(':')[0])).toEqual(['libraries[0].inDeliveryNetwork', 'libraries[2].lendingPolicy', 'libraries[5].closures[0].to', 'libraries[6].maxFees']);
  });

  it('refuses duplicate codes', () => {
    const json = sampleDirectoryJson();
    json.libraries[4]!.code = 'LIB2';
    expect(issuesOf(json)).toEqual(["libraries[4].code: duplicate code 'LIB2' (also libraries[1])"]);
  });

  it('refuses what is not a directory', () => {
    expect(issuesOf(null)).toEqual([expect.stringMatching(/^\(root\): /)]);
    expect(issuesOf({ libraries: [], extra: 1 })).toEqual([expect.stringMatching(/extra/)]);
  });
});

describe('the limits of the directory', () => {
  type LibraryInput = DirectoryInput['libraries'][number];
  const template = sampleDirectoryJson().libraries[1]!;
  const libraries = (n: number, more: Partial<LibraryInput> = {}): LibraryInput[] =>
    Array.from({ length: n }, (_, i) => ({ ...template, code: `L${i}`, illCode: `ILL-L${i}`, ...more }));
  const errorOf = (json: unknown): Error => {
    try {
      parseDirectory(json);
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a ValidationError');
  };

  it(`takes ${LIMITS.libraries} libraries and refuses one more, naming libraries, in one short line`, () => {
    expect(parseDirectory({ libraries: libraries(LIMITS.libraries) }).list()).toHaveLength(LIMITS.libraries);
    // the case of the issue: 20,000 libraries with 1 MB names
    const flood = { libraries: libraries(20_000, { name: 'n'.repeat(1_000_000) }) };
    expect(issuesOf(flood)).toEqual(['libraries: has 20,000 libraries; a directory may have at most 5,000']);
    expect(issuesOf({ libraries: libraries(LIMITS.libraries + 1) })).toEqual(['libraries: has 5,001 libraries; a directory may have at most 5,000']);
  });

  it(`takes names of ${LIMITS.name} characters and refuses longer ones, listing at most 10 in the message`, () => {
    expect(parseDirectory({ libraries: libraries(2, { name: 'n'.repeat(LIMITS.name) }) }).get('L1')?.name).toHaveLength(LIMITS.name);
    const long = { libraries: libraries(30, { name: 'n'.repeat(LIMITS.name + 1) }) };
    expect(issuesOf(long)).toHaveLength(30);
    expect(issuesOf(long)[29]).toMatch(/^libraries\[29\]\.name: Too big/);
    expect(errorOf(long).message).toMatch(/libraries\[9\]\.name: [^;]+; and 20 more$/);
  });

  it(`takes ${LIMITS.closures} closures of a library and refuses more`, () => {
    const closures = (n: number) => Array.from({ length: n }, () => ({ from: '2026-12-24', to: '2027-01-02', reason: 'holidays' }));
    expect(parseDirectory({ libraries: libraries(1, { closures: closures(LIMITS.closures) }) }).get('L0')?.closures).toHaveLength(LIMITS.closures);
    expect(issuesOf({ libraries: libraries(1, { closures: closures(LIMITS.closures + 1) }) }).map((i) => i.split(':')[0])).toEqual(['libraries[0].closures']);
  });

  it('refuses control and bidi characters in codes and ILL codes, and takes them in names (printed escaped)', () => {
    const json = sampleDirectoryJson();
    json.libraries[0]!.code = 'LIB\u001b[31m1';
    json.libraries[1]!.illCode = 'ILL\u202eLIB2';
    json.libraries[2]!.name = 'Library \u001b[31m3';
    expect(issuesOf(json)).toEqual(['libraries[0].code: must not contain control or bidi characters', 'libraries[1].illCode: must not contain control or bidi characters']);
    json.libraries[0]!.code = 'LIB1';
    json.libraries[1]!.illCode = 'ILL-LIB2';
    expect(parseDirectory(json).get('LIB3')?.name).toBe('Library \u001b[31m3');
  });

  it(`takes a directory of ${LIMITS.directoryBytes} bytes of JSON and refuses one byte more`, () => {
    // every library at its limits is far bigger than a real one: the whole directory is bounded too
    const reason = 'r'.repeat(LIMITS.name);
    const closures = Array.from({ length: LIMITS.closures }, () => ({ from: '2026-12-24', to: '2027-01-02', reason }));
    /** A directory of exactly `bytes` bytes of JSON: full libraries, then one whose last closure's reason is cut to fit. Sizes are added up, not re-serialized. */
    const full = (bytes: number) => {
      const json = { libraries: [] as LibraryInput[] };
      let total = jsonBytes(json);
      const add = (library: LibraryInput) => {
        total += jsonBytes(library) + (json.libraries.length ? 1 : 0);
        json.libraries.push(library);
      };
      for (let i = 0; total < bytes - 100_000; i++) add({ ...template, code: `L${i}`, illCode: `ILL-L${i}`, closures });
      type Closure = { from: string; to: string; reason: string };
      const emptyClosure = jsonBytes({ from: '2026-12-24', to: '2027-01-02', reason: '' });
      let last = { ...template, code: 'LAST0', illCode: 'ILL-LAST0', closures: [] as Closure[] };
      add(last);
      while (total < bytes) {
        if (last.closures.length === LIMITS.closures) add((last = { ...template, code: `LAST${json.libraries.length}`, illCode: 'ILL-LAST', closures: [] }));
        const cost = emptyClosure + (last.closures.length ? 1 : 0);
        const length = Math.max(1, Math.min(LIMITS.name, bytes - total - cost));
        last.closures.push({ from: '2026-12-24', to: '2027-01-02', reason: 'r'.repeat(length) });
        total += cost + length;
      }
      expect(jsonBytes(json)).toBe(bytes);
      return json;
    };
    expect(parseDirectory(full(LIMITS.directoryBytes)).has('LAST0')).toBe(true);
    expect(issuesOf(full(LIMITS.directoryBytes + 1))).toEqual([`(root): is 16,777,217 bytes as JSON; a directory may have at most 16,777,216`]);
  });
});

describe('lender clocks in the directory (docs/workflow/lender-clocks.md)', () => {
  it("takes a library's days to ship and to answer a cancel from its profile, else the directory's, else 5 and 2", () => {
    const json = { ...sampleDirectoryJson(), lenderClocks: { daysToAnswerCancel: 3 } };
    json.libraries[1]!.daysToShip = 8;
    const directory = parseDirectory(json);
    const lib2 = directory.get('LIB2')!;
    const lib3 = directory.get('LIB3')!;
    expect([directory.daysToShip(lib2), directory.daysToAnswerCancel(lib2)]).toEqual([8, 3]);
    expect([directory.daysToShip(lib3), directory.daysToAnswerCancel(lib3)]).toEqual([5, 3]);
    const plain = parseDirectory(sampleDirectoryJson());
    expect([plain.daysToShip(plain.get('LIB3')!), plain.daysToAnswerCancel(plain.get('LIB3')!)]).toEqual([5, 2]);
  });

  it('names the field of a bad clock value', () => {
    const json = { ...sampleDirectoryJson(), lenderClocks: { daysToShip: 0 } } as DirectoryInput;
    json.libraries[2]!.daysToShip = 2.5;
    json.libraries[3]!.daysToAnswerCancel = 61;
    expect(issuesOf(json)).toEqual([
      'libraries[2].daysToShip: must be a whole number of business days',
      'libraries[3].daysToAnswerCancel: must be at most 60 (business days)',
      'lenderClocks.daysToShip: must be at least 1 (business day)',
    ]);
    expect(issuesOf({ ...sampleDirectoryJson(), lenderClocks: { daysToShipp: 3 } })).toEqual([expect.stringMatching(/^lenderClocks: .*daysToShipp/)]);
  });
});
