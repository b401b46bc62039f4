import { isValidationError } from '@interlend/engine';
import { Directory, parseDirectory } from './directory';
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
