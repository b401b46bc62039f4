import { DeadlineExceededError, StreamNotFoundError, UnavailableError, WrongExpectedVersionError } from '@kurrent/kurrentdb-client';
import { ConcurrencyError, InMemoryEventStore, isConcurrencyError, StoreError } from '@interlend/engine';
import { actualRevisionOf, concurrencyErrorFor, isStreamNotFound, isWrongExpectedVersion, kurrentErrorType, toStoreError } from './kurrentErrors';

const wrongVersion = (expected: bigint | 'no_stream' | 'any' | 'stream_exists', current: bigint | 'no_stream'): WrongExpectedVersionError =>
  new WrongExpectedVersionError(undefined, { streamName: 'interlend-s', expected, current });

describe("mapping the client's errors", () => {
  it('recognises the client errors by their type, not their class', () => {
    expect(isWrongExpectedVersion(wrongVersion(1n, 3n))).toBe(true);
    expect(isWrongExpectedVersion({ type: 'wrong-expected-version' })).toBe(true);
    expect(isStreamNotFound(new StreamNotFoundError(undefined, 'interlend-s'))).toBe(true);
    expect(isStreamNotFound(new Error('stream not found'))).toBe(false);
    expect(kurrentErrorType('text')).toBeUndefined();
  });

  it("reads the stream's actual revision from WrongExpectedVersionError: -1 for no stream", () => {
    expect(actualRevisionOf(wrongVersion(1n, 3n))).toBe(3);
    expect(actualRevisionOf(wrongVersion(0n, 'no_stream'))).toBe(-1);
    expect(actualRevisionOf(wrongVersion(0n, 2n ** 60n))).toBeUndefined();
    expect(actualRevisionOf(new Error('x'))).toBeUndefined();
  });

  it("gives the same ConcurrencyError (code, message, details) as the other stores' expectation check", async () => {
    const memory = new InMemoryEventStore();
    await memory.appendToStream('s', [{ id: 'a', type: 'T', data: {}, metadata: {} }, { id: 'b', type: 'T', data: {}, metadata: {} }], { expectedRevision: 'no_stream' });
    for (const [expected, current] of [[0, 1n], ['no_stream', 1n], [5, 'no_stream']] as const) {
      const mapped = concurrencyErrorFor('s', expected, wrongVersion(typeof expected === 'number' ? BigInt(expected) : expected, current));
      expect(mapped).toBeInstanceOf(ConcurrencyError);
      expect(mapped).toMatchObject({ name: 'ConcurrencyError', code: 'CONCURRENCY', details: { streamId: 's', expected, actual: current === 'no_stream' ? -1 : Number(current) } });
      expect(mapped.httpStatus).toBe(412);
    }
    const fromMemory = await memory.appendToStream('s', [{ id: 'c', type: 'T', data: {}, metadata: {} }], { expectedRevision: 0 }).catch((e: unknown) => e);
    expect(concurrencyErrorFor('s', 0, wrongVersion(0n, 1n)).message).toBe((fromMemory as Error).message);
    await memory.close();
  });

  it("falls back to SQLite's { streamId, reason } form when the server names no contradicting revision", () => {
    const mapped = concurrencyErrorFor('s', 'any', wrongVersion(3n, 4n));
    expect(isConcurrencyError(mapped)).toBe(true);
    expect(mapped.details).toEqual({ streamId: 's', reason: expect.any(String) });
  });

  it('wraps other client errors in StoreError with the cause, the error type and a hint; engine errors pass through', () => {
    const unavailable = new UnavailableError(undefined, 'connect ECONNREFUSED 127.0.0.1:2113');
    const wrapped = toStoreError(unavailable, 'append to s failed') as StoreError;
    expect(wrapped).toMatchObject({ code: 'STORE', details: { kurrentError: 'unavailable' }, message: expect.stringMatching(/^append to s failed: .*ECONNREFUSED.*is KurrentDB running/) });
    expect(wrapped.cause).toBe(unavailable);
    expect(toStoreError(new DeadlineExceededError(), 'read failed')).toMatchObject({ details: { kurrentError: 'deadline-exceeded' }, message: expect.stringContaining('in time') });
    const engine = new ConcurrencyError('x');
    expect(toStoreError(engine, 'y')).toBe(engine);
    expect(toStoreError('plain', 'z')).toMatchObject({ code: 'STORE', message: 'z: plain', details: {} });
  });
});
