import { fold, SeededRandom, upcastEvent, type JsonObject, type StoredEvent } from '@interlend/engine';
import { Directory, LibrarySchema, parseDirectory } from './directory';
import type { RotaBuiltData, RotaBuiltDataV1 } from './events';
import { buildRota } from './policies/rota';
import { generateDirectory } from './simulation/generateDirectory';
import { borrowerActor, hubActor, illHistory, lenderActor, sampleDirectoryJson, sampleRequest, sampleShipment, SAMPLE_REQUEST_ID, toFirstLender } from './testing';
import { illEventSchemas, readIllStream } from './upcasters';
import { illRequestWorkflow } from './workflow';

/** The RotaBuilt a request wrote before versioned events: every library of the directory. */
function asVersion1(event: StoredEvent, directory: Directory, borrower: string, preferred: readonly string[]): StoredEvent {
  const entries = buildRota(directory, { requestId: event.streamId, borrower, serviceType: 'Loan', time: String(event.metadata.time), preferredLenders: preferred });
  const data: RotaBuiltDataV1 = { entries, maxLenders: directory.maxLenders, candidates: entries.filter((e) => e.status === 'candidate').length };
  const { v: _v, ...metadata } = event.metadata;
  return { ...event, data: data as unknown as JsonObject, metadata: { ...metadata, stateBefore: 'sourcing' } };
}

describe('RotaBuilt version 2 and its upcaster from version 1', () => {
  const steps = [
    ...toFirstLender(),
    { type: 'answerConditional', data: { condition: 'LibraryUseOnly' }, actor: lenderActor('LIB2') },
    { type: 'acceptConditions', data: {}, actor: borrowerActor() },
    { type: 'ship', data: sampleShipment(), actor: lenderActor('LIB2') },
    { type: 'receive', data: {}, actor: borrowerActor() },
  ] as const;

  it('folds a request whose RotaBuilt is at version 1 to the same state and context as at version 2', () => {
    const history = illHistory(steps);
    const preferred = (history.stored.find((e) => e.type === 'NotAvailableLocally')!.data as { preferredLenders: string[] }).preferredLenders;
    const v1 = history.stored.map((e) => (e.type === 'RotaBuilt' ? asVersion1(e, parseDirectory(sampleDirectoryJson()), 'LIB1', preferred) : e));
    expect(v1.find((e) => e.type === 'RotaBuilt')!.metadata.v).toBeUndefined();
    const fromV1 = fold(illRequestWorkflow, SAMPLE_REQUEST_ID, v1);
    const fromV2 = fold(illRequestWorkflow, SAMPLE_REQUEST_ID, history.stored);
    expect(fromV1.stateName).toBe('onLoan.received');
    expect(fromV1.stateName).toBe(fromV2.stateName);
    expect(fromV1.snapshot.context).toEqual(fromV2.snapshot.context);
  });

  it('upcasts version 1 to the candidates in order with their terms, the skipped libraries, and the borrower closures', () => {
    const directory = parseDirectory(sampleDirectoryJson());
    const stored = illHistory(steps).stored.find((e) => e.type === 'RotaBuilt')!;
    const v1 = asVersion1(stored, directory, 'LIB1', ['LIB2']);
    const up = upcastEvent(illEventSchemas, v1);
    expect(up.metadata.v).toBe(2);
    const data = up.data as unknown as RotaBuiltData;
    expect(data.candidates).toEqual((stored.data as unknown as RotaBuiltData).candidates);
    // version 1 could not say which skipped libraries were preferred: the fold keeps only those
    expect(data.skipped?.map((s) => s.library).sort()).toEqual(['LIB1', 'LIB6', 'LIB7']);
  });

  it('does not grow with the directory: a rota over 10,000 libraries is the size of one over 100', () => {
    const size = (libraries: number): { bytes: number; v1Bytes: number } => {
      // Built directly: an import takes at most 5,000 libraries (LIMITS), the rota has no such limit.
      const json = generateDirectory(libraries, new SeededRandom(7), new Date('2026-01-05T00:00:00.000Z'));
      const directory = new Directory({ libraries: json.libraries.map((l) => LibrarySchema.parse(l)) });
      const history = illHistory(
        [
          // Submitted by hub staff for LIB002: a maximum above LIB002's own goes straight on (docs/workflow/costs.md).
          { type: 'submit', data: { ...sampleRequest(), maximumCost: { amount: 50, currency: 'USD' }, onBehalfOf: 'LIB002' }, actor: hubActor },
          { type: 'notAvailableLocally', data: { preferredLenders: ['LIB007', 'LIB003'] }, actor: borrowerActor('LIB002') },
        ],
        { directory, start: '2026-03-02T09:00:00.000Z' },
      );
      const event = history.stored.find((e) => e.type === 'RotaBuilt')!;
      const v1 = asVersion1(event, directory, 'LIB002', ['LIB007', 'LIB003']);
      expect((event.data as unknown as RotaBuiltData).candidates).toHaveLength(11); // 10 regular + the lender of last resort
      expect((event.data as unknown as RotaBuiltData).skipped).toEqual([{ library: 'LIB007', reason: 'does not lend' }]);
      return { bytes: JSON.stringify(event.data).length, v1Bytes: JSON.stringify(v1.data).length };
    };
    const small = size(100);
    const large = size(10_000);
    // The candidates' closures differ from one directory to the other; the count of entries does not.
    expect(large.bytes).toBeLessThan(2_000);
    expect(Math.abs(large.bytes - small.bytes)).toBeLessThan(400);
    // Version 1 listed every library: 10,000 entries.
    expect(large.v1Bytes).toBeGreaterThan(50 * large.bytes);
  });

  it('reads a request with the state before each event derived, as history shows it', () => {
    const stored = illHistory(steps).stored;
    expect(stored.every((e) => e.metadata.stateBefore === undefined && e.metadata.v !== undefined)).toBe(true);
    const read = readIllStream(stored);
    expect(read[0]!.metadata.stateBefore).toBe('new');
    read.slice(1).forEach((e, i) => expect(e.metadata.stateBefore).toBe(read[i]!.metadata.stateAfter));
  });
});
