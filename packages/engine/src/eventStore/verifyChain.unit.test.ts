import { eventHash, GENESIS_HASH } from './hashChain';
import { InMemoryEventStore } from './inMemoryEventStore';
import type { EventStore, NewEvent, StoredEvent } from './types';
import { logDigest, verifyChain, verifyStreamEvents, type ChainAnchor, type ChainReport } from './verifyChain';

let count = 0;
const newEvents = (n: number, type = 'T'): NewEvent[] => Array.from({ length: n }, (_, i) => ({ id: `v-${++count}`, type, data: { i }, metadata: { actor: 'x' } }));

/** Streams a (revisions 0-4) and b (0-2), interleaved: a0 a1 b0 b1 b2 a2 a3 a4 at positions 1-8. */
async function original(): Promise<StoredEvent[]> {
  const store = new InMemoryEventStore();
  await store.appendToStream('a', newEvents(2), { expectedRevision: 'no_stream' });
  await store.appendToStream('b', newEvents(3), { expectedRevision: 'no_stream' });
  await store.appendToStream('a', newEvents(3, 'Shipped'), { expectedRevision: 1 });
  return store.readAll();
}

/**
 * A store over a log someone edited: it serves `log` as it is, and records the streams' last
 * revisions as `recorded` says (by default, as the log ends).
 */
function editedStore(log: StoredEvent[], recorded?: Record<string, number>): EventStore {
  const last = (streamId: string): number => recorded?.[streamId] ?? Math.max(-1, ...log.filter((e) => e.streamId === streamId).map((e) => e.revision));
  return {
    appendToStream: () => Promise.reject(new Error('read only')),
    readStream: async (streamId, options = {}) =>
      log
        .filter((e) => e.streamId === streamId && e.revision >= (options.fromRevision ?? 0))
        .sort((x, y) => x.revision - y.revision)
        .slice(0, options.maxCount ?? Infinity),
    streamRevision: async (streamId) => last(streamId),
    readAll: async (options = {}) => log.filter((e) => e.position > (options.after ?? 0)).slice(0, options.maxCount ?? 1000),
    headPosition: async () => Math.max(0, ...log.map((e) => e.position)),
    waitForEvents: async () => 0,
    close: async () => undefined,
  };
}

const at = (log: StoredEvent[], streamId: string, revision: number): number => log.findIndex((e) => e.streamId === streamId && e.revision === revision);
const edit = (log: StoredEvent[], streamId: string, revision: number, change: Partial<StoredEvent>): StoredEvent[] =>
  log.map((e, i) => (i === at(log, streamId, revision) ? { ...e, ...change } : e));
const summary = (report: ChainReport): [string, number, string][] => report.failures.map((f) => [f.streamId, f.revision, f.problem]);
const anchorsOf = (report: ChainReport): ChainAnchor[] => report.heads.map((h) => ({ streamId: h.streamId, revision: h.revision, hash: h.hash as string }));

describe('verifyChain', () => {
  it('verifies an untouched log: every stream, its head, a digest over the heads, progress as it reads', async () => {
    const log = await original();
    const progress: number[] = [];
    const report = await verifyChain(editedStore(log), { batchSize: 3, onProgress: (p) => progress.push(p.done) });
    expect(report).toMatchObject({ ok: true, events: 8, streams: 2, headPosition: 8, failures: [] });
    expect(report.heads).toEqual([
      { streamId: 'a', revision: 4, hash: log[7]?.hash, events: 5, verified: true },
      { streamId: 'b', revision: 2, hash: log[4]?.hash, events: 3, verified: true },
    ]);
    expect(report.logDigest).toBe(logDigest(8, report.heads));
    expect(progress).toEqual([3, 6, 8]);
    expect(await verifyChain(editedStore(log), { streamId: 'b' })).toMatchObject({ ok: true, events: 3, streams: 1, logDigest: null });
  });

  it('names the event whose data, metadata or type was changed, as a content mismatch, and leaves other streams verified', async () => {
    const log = await original();
    for (const change of [{ data: { i: 99 } }, { metadata: { actor: 'y' } }, { type: 'Forged' }]) {
      const report = await verifyChain(editedStore(edit(log, 'a', 3, change)));
      expect(summary(report)).toEqual([['a', 3, 'content']]);
      expect(report.failures[0]?.message).toBe(`event at revision 3 (position 7, id ${log[6]?.id}, ${change.type ?? 'Shipped'}) does not match its hash: its content was changed after it was written`);
      expect(report.heads.map((h) => h.verified)).toEqual([false, true]);
    }
  });

  it('names the next event as a broken link when one was rewritten with a fresh hash', async () => {
    const log = await original();
    const target = log[at(log, 'a', 2)] as StoredEvent;
    const forged = { ...target, data: { i: 42 } };
    const report = await verifyChain(editedStore(edit(log, 'a', 2, { data: forged.data, hash: eventHash(target.previousHash as string, forged) })));
    expect(summary(report)).toEqual([['a', 3, 'link']]);
  });

  it('names the event after a deleted one (missing revision), and two swapped events (out of order)', async () => {
    const log = await original();
    expect(summary(await verifyChain(editedStore(log.filter((e) => !(e.streamId === 'b' && e.revision === 1)))))).toEqual([['b', 2, 'missing']]);
    // b1 and b2 trade places in the global log.
    const swapped = log.map((e) => (e.streamId === 'b' && e.revision === 1 ? { ...e, position: 5 } : e.streamId === 'b' && e.revision === 2 ? { ...e, position: 4 } : e)).sort((x, y) => x.position - y.position);
    const report = await verifyChain(editedStore(swapped));
    expect(summary(report)).toEqual([['b', 2, 'out_of_order']]);
    expect(report.failures[0]?.message).toContain('comes before revision 1 of its stream (position 5) in the global log');
    // Read by revision, the same stream shows positions going backwards.
    expect(summary(await verifyChain(editedStore(swapped), { streamId: 'b' }))).toEqual([['b', 2, 'out_of_order']]);
  });

  it('names an event without a hash', async () => {
    const log = await original();
    expect(summary(await verifyChain(editedStore(edit(log, 'b', 0, { hash: undefined }))))).toEqual([['b', 0, 'no_hash']]);
  });

  it('sees a cut tail only while the store records the old end; an anchor sees it whatever the store says, and a stream removed whole', async () => {
    const log = await original();
    const before = await verifyChain(editedStore(log));
    const cut = log.filter((e) => !(e.streamId === 'a' && e.revision >= 3));
    expect(summary(await verifyChain(editedStore(cut, { a: 4 })))).toEqual([['a', 2, 'truncated']]);
    // A prefix of a chain is a valid chain: without an anchor, nothing to see.
    const quiet = await verifyChain(editedStore(cut));
    expect(quiet.ok).toBe(true);
    expect(quiet.logDigest).not.toBe(before.logDigest);
    const anchored = await verifyChain(editedStore(cut), { anchors: anchorsOf(before) });
    expect(summary(anchored)).toEqual([['a', 2, 'anchor']]);
    expect(anchored.failures[0]?.message).toContain('but the anchor records revision 4');
    const gone = await verifyChain(editedStore(log.filter((e) => e.streamId !== 'b')), { anchors: anchorsOf(before) });
    expect(gone.failures).toMatchObject([{ streamId: 'b', problem: 'anchor', message: expect.stringContaining('the stream has no events: it was removed') }]);
  });

  it('sees a stream rewritten to its end with every hash recomputed only against an anchor', async () => {
    const log = await original();
    const before = await verifyChain(editedStore(log));
    let previous = log[at(log, 'a', 1)]?.hash as string;
    const rewritten = log.map((e) => {
      if (e.streamId !== 'a' || e.revision < 2) return e;
      const forged = { ...e, data: { i: -1 }, previousHash: previous };
      previous = eventHash(previous, forged);
      return { ...forged, hash: previous };
    });
    expect((await verifyChain(editedStore(rewritten))).ok).toBe(true);
    const anchored = await verifyChain(editedStore(rewritten), { anchors: anchorsOf(before) });
    expect(anchored.failures).toMatchObject([{ streamId: 'a', revision: 4, problem: 'anchor', message: expect.stringContaining('the history up to the anchor was rewritten') }]);
    // An anchor taken before later appends still holds once the stream has grown.
    const store = new InMemoryEventStore();
    await store.appendToStream('s', newEvents(2), { expectedRevision: 'no_stream' });
    const early = anchorsOf(await verifyChain(store));
    await store.appendToStream('s', newEvents(2), { expectedRevision: 1 });
    expect(await verifyChain(store, { anchors: early })).toMatchObject({ ok: true, events: 4 });
  });

  it('checks events appended while it reads instead of calling the stream cut short', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream('a', newEvents(2), { expectedRevision: 'no_stream' });
    let appended = false;
    const racing: EventStore = Object.assign(Object.create(store) as EventStore, {
      streamRevision: async (streamId: string) => {
        if (!appended) {
          appended = true;
          await store.appendToStream('a', newEvents(2), { expectedRevision: 1 });
        }
        return store.streamRevision(streamId);
      },
    });
    expect(await verifyChain(racing)).toMatchObject({ ok: true, events: 4, heads: [{ streamId: 'a', revision: 3 }] });
  });
});

describe('verifyStreamEvents', () => {
  it("checks one stream's events already in memory (history)", async () => {
    const log = await original();
    const a = log.filter((e) => e.streamId === 'a');
    expect(verifyStreamEvents('a', a)).toMatchObject({ ok: true, head: { revision: 4, hash: a[4]?.hash, events: 5 }, failure: undefined });
    expect(verifyStreamEvents('a', edit(a, 'a', 0, { data: {} }))).toMatchObject({ ok: false, failure: { revision: 0, problem: 'content' } });
    expect(verifyStreamEvents('a', [])).toMatchObject({ ok: true, head: { revision: -1, hash: null } });
    expect(a[0]?.previousHash).toBe(GENESIS_HASH);
  });
});
