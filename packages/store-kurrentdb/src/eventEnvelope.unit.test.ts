import type { RecordedEvent } from '@kurrent/kurrentdb-client';
import { eventHash, GENESIS_HASH } from '@interlend/engine';
import { unwrapMetadata, wrapMetadata } from './eventEnvelope';
import { decodeRecorded } from './kurrentEventStore';

const recorded = (overrides: Partial<Record<keyof RecordedEvent, unknown>> = {}): RecordedEvent =>
  ({
    streamId: 'interlend-loan-1',
    id: '0190c1e2-0000-7000-8000-000000000001',
    revision: 3n,
    type: 'Shipped',
    isJson: true,
    created: new Date(0),
    data: { item: 'x' },
    metadata: wrapMetadata({ id: 'engine-id-1', index: 1, count: 2, hash: 'h'.repeat(64), previousHash: 'p'.repeat(64) }, { actor: 'LIB2' }),
    position: { commit: 9_000n, prepare: 9_000n },
    ...overrides,
  }) as unknown as RecordedEvent;

describe('the metadata envelope', () => {
  it('round-trips the engine id, the place in the append, the chain links and the engine metadata', () => {
    const wrapped = wrapMetadata({ id: 'e', index: 0, count: 1, hash: 'a', previousHash: GENESIS_HASH }, { actor: 'x', nested: { $correlationId: 'k' } });
    const read = unwrapMetadata(JSON.parse(JSON.stringify(wrapped)));
    expect(read).toEqual({ header: { format: 1, id: 'e', index: 0, count: 1, hash: 'a', previousHash: GENESIS_HASH }, metadata: { actor: 'x', nested: { $correlationId: 'k' } } });
  });

  it('reads an event interlend did not write as its own append with no hash, keeping its metadata', () => {
    expect(unwrapMetadata(undefined)).toEqual({ header: undefined, metadata: {} });
    expect(unwrapMetadata(new Uint8Array([1, 2]))).toEqual({ header: undefined, metadata: {} });
    expect(unwrapMetadata({ $correlationId: 'c' })).toEqual({ header: undefined, metadata: { $correlationId: 'c' } });
    const future = { interlend: { format: 2, id: 'e', index: 0, count: 1, hash: 'a', previousHash: 'b' }, metadata: {} };
    expect(unwrapMetadata(future).header).toBeUndefined();
    const inconsistent = { interlend: { format: 1, id: 'e', index: 3, count: 2, hash: 'a', previousHash: 'b' }, metadata: {} };
    expect(unwrapMetadata(inconsistent).header).toBeUndefined();
  });
});

describe('decoding a recorded event', () => {
  it('gives the engine event: engine id, stream without prefix, number revision, chain links, own commit position', () => {
    const decoded = decodeRecorded(recorded(), 'loan-1', undefined, 'read');
    expect(decoded).toMatchObject({ streamId: 'loan-1', revision: 3, commit: 9_000n, header: { index: 1, count: 2 } });
    expect(decoded.event).toEqual({ id: 'engine-id-1', type: 'Shipped', data: { item: 'x' }, metadata: { actor: 'LIB2' }, streamId: 'loan-1', revision: 3, hash: 'h'.repeat(64), previousHash: 'p'.repeat(64) });
  });

  it('takes the commit position from the resolved event when the record has none, and knows when neither says', () => {
    expect(decodeRecorded(recorded({ position: undefined }), 'loan-1', 77n, 'read').commit).toBe(77n);
    expect(decodeRecorded(recorded({ position: { commit: 0xffff_ffff_ffff_ffffn, prepare: 0xffff_ffff_ffff_ffffn } }), 'loan-1', undefined, 'read').commit).toBeUndefined();
  });

  it('refuses an event whose data is not a JSON object, naming it', () => {
    for (const bad of [recorded({ isJson: false, data: new Uint8Array([1]) }), recorded({ data: [1, 2] }), recorded({ data: 'text' })]) {
      expect(() => decodeRecorded(bad, 'loan-1', undefined, 'read')).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining('revision 3') }));
    }
  });

  it('hashes what it reads back to what the chain says (the hash is over the engine fields, not the envelope)', () => {
    const content = { streamId: 'loan-1', revision: 0, id: 'engine-id-1', type: 'Shipped', data: { item: 'x' }, metadata: { actor: 'LIB2' } };
    const hash = eventHash(GENESIS_HASH, content);
    const decoded = decodeRecorded(recorded({ revision: 0n, metadata: wrapMetadata({ id: 'engine-id-1', index: 0, count: 1, hash, previousHash: GENESIS_HASH }, { actor: 'LIB2' }) }), 'loan-1', undefined, 'read');
    expect(eventHash(decoded.event.previousHash as string, decoded.event)).toBe(decoded.event.hash);
  });
});
