import { APPEND_SLOTS, fromGlobalPosition, knownCommit, MAX_COMMIT_POSITION, MAX_EVENTS_PER_APPEND, toGlobalPosition } from './globalPosition';

describe('global positions from commit positions', () => {
  it("gives an append's events contiguous positions from its first event's commit position, 1-based", () => {
    expect(toGlobalPosition(0n, 0)).toBe(1);
    expect([0, 1, 2].map((i) => toGlobalPosition(5_000n, i))).toEqual([5_120_001, 5_120_002, 5_120_003]);
  });

  it('orders appends by commit position, whatever their sizes', () => {
    // The last slot of one append stays below the first of the next commit position.
    expect(toGlobalPosition(5_000n, APPEND_SLOTS - 1)).toBeLessThan(toGlobalPosition(5_001n, 0));
    expect(toGlobalPosition(5_001n, 0) - toGlobalPosition(5_000n, APPEND_SLOTS - 1)).toBe(1);
  });

  it('decodes a position to the record boundary of its append and its index there', () => {
    for (const [commit, index] of [[0n, 0], [5_000n, 2], [123_456_789n, APPEND_SLOTS - 1], [MAX_COMMIT_POSITION, APPEND_SLOTS - 1]] as const) {
      expect(fromGlobalPosition(toGlobalPosition(commit, index))).toEqual({ firstCommit: commit, index });
    }
  });

  it('carries commit positions up to 2^43 - 2 (8 TiB of log) exactly, and refuses larger ones rather than round', () => {
    expect(MAX_COMMIT_POSITION).toBe(2n ** 43n - 2n);
    expect(toGlobalPosition(MAX_COMMIT_POSITION, APPEND_SLOTS - 1)).toBe(2 ** 53 - 1024);
    expect(Number.isSafeInteger(toGlobalPosition(MAX_COMMIT_POSITION, APPEND_SLOTS - 1))).toBe(true);
    expect(() => toGlobalPosition(MAX_COMMIT_POSITION + 1n, 0)).toThrow(expect.objectContaining({ code: 'STORE', message: expect.stringContaining('8 TiB') }));
    expect(() => toGlobalPosition(-1n, 0)).toThrow(expect.objectContaining({ code: 'STORE' }));
  });

  it('refuses an index outside an append, and a position that is no whole number from 1', () => {
    expect(MAX_EVENTS_PER_APPEND).toBe(APPEND_SLOTS);
    expect(() => toGlobalPosition(1n, APPEND_SLOTS)).toThrow(expect.objectContaining({ code: 'STORE' }));
    expect(() => toGlobalPosition(1n, -1)).toThrow(expect.objectContaining({ code: 'STORE' }));
    for (const bad of [0, -5, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
      expect(() => fromGlobalPosition(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    }
  });

  it("treats the server's 'no position' (2^64 - 1, or none) as unknown", () => {
    expect(knownCommit({ commit: 42n })).toBe(42n);
    expect(knownCommit({ commit: 0xffff_ffff_ffff_ffffn })).toBeUndefined();
    expect(knownCommit({ commit: -1n })).toBeUndefined();
    expect(knownCommit(undefined)).toBeUndefined();
  });
});
