import { InMemoryEventStore, type Actor, type EventStore, type ReadStreamOptions } from '@interlend/engine';
import { sampleDirectoryJson } from '../testing';
import { DIRECTORY_IMPORTED, DIRECTORY_STREAM, LIBRARY_UPDATED, loadDirectory, loadDirectoryHead, refreshDirectoryHead, saveDirectory } from './directoryRepository';
import { libraryProfileHistory, updateLibrary } from './libraryUpdates';

const hub: Actor = { id: 'LIB8', role: 'hub', key: 'key-1' };
const TIME = '2026-01-05T09:00:00.000Z';
const LATER = '2026-01-06T10:00:00.000Z';

let n = 0;
const meta = (more: { commandId?: string; mode?: 'merge' | 'replace'; time?: string } = {}) => ({ actor: hub, time: more.time ?? LATER, eventId: `u${++n}`, ...more });

async function imported(json = sampleDirectoryJson()): Promise<InMemoryEventStore> {
  const store = new InMemoryEventStore();
  await saveDirectory(store, json, { actor: { id: 'hub', role: 'hub' }, time: TIME, eventId: `import-${++n}` });
  return store;
}

/** The events read from the directory stream, counted (how much loading costs). */
function counting(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0;
  const wrapped = Object.create(store) as EventStore;
  wrapped.readStream = async (streamId: string, options?: ReadStreamOptions) => {
    const events = await store.readStream(streamId, options);
    read += events.length;
    return events;
  };
  return { store: wrapped, read: () => read };
}

describe('updating one library', () => {
  it('given the sample directory, when the hub changes LIB3 daysToRespond.loan, then the directory has the new value, the rest of the profile is kept, and the event records who, when and what changed', async () => {
    const store = await imported();

    const updated = await updateLibrary(store, 'LIB3', { daysToRespond: { loan: 8 } }, meta({ commandId: 'c1' }));

    expect(updated).toMatchObject({ code: 'LIB3', duplicate: false, written: true, changes: [{ field: 'daysToRespond.loan', from: 2, to: 8 }] });
    const lib3 = (await loadDirectory(store))?.get('LIB3');
    expect(lib3?.daysToRespond).toEqual({ loan: 8, copy: 1 });
    expect(lib3?.closures).toHaveLength(1);
    const [, event] = await store.readStream(DIRECTORY_STREAM);
    expect(event).toMatchObject({
      type: LIBRARY_UPDATED,
      data: { code: 'LIB3', changes: [{ field: 'daysToRespond.loan', from: 2, to: 8 }] },
      metadata: { workflow: 'directory', actor: { id: 'LIB8', role: 'hub', key: 'key-1' }, time: LATER, commandId: 'c1', importRevision: 0 },
    });
    expect((await loadDirectory(store))?.list().map((l) => l.code)).toEqual(sampleDirectoryJson().libraries.map((l) => l.code));
  });

  it('adds a contact, and removes it again with null (a JSON merge patch)', async () => {
    const store = await imported();
    await updateLibrary(store, 'LIB3', { contact: { name: 'ILL desk', email: 'ill@lib3.example.org' } }, meta());
    expect((await loadDirectory(store))?.get('LIB3')?.contact).toEqual({ name: 'ILL desk', email: 'ill@lib3.example.org' });

    const removed = await updateLibrary(store, 'LIB3', { contact: null }, meta());
    expect(removed.changes).toEqual([
      { field: 'contact.name', from: 'ILL desk' },
      { field: 'contact.email', from: 'ill@lib3.example.org' },
    ]);
    expect((await loadDirectory(store))?.get('LIB3')?.contact).toBeUndefined();
  });

  it("replaces the whole profile in 'replace' mode: fields left out take their defaults", async () => {
    const store = await imported();
    const { code: _code, closures: _closures, daysToRespond: _days, ...rest } = sampleDirectoryJson().libraries[2]!;
    const updated = await updateLibrary(store, 'LIB3', rest, meta({ mode: 'replace' }));
    expect(updated.library).toMatchObject({ code: 'LIB3', daysToRespond: { loan: 4, copy: 2 }, closures: [] });
    expect(updated.changes.map((c) => c.field)).toEqual(['daysToRespond.loan', 'daysToRespond.copy', 'closures']);
  });

  it('stores an update sent twice with one command id once, and answers the second with the first result', async () => {
    const store = await imported();
    await updateLibrary(store, 'LIB3', { maxFees: 20 }, meta({ commandId: 'same' }));
    const again = await updateLibrary(store, 'LIB3', { maxFees: 30 }, meta({ commandId: 'same' }));

    expect(again).toMatchObject({ duplicate: true, written: false, changes: [{ field: 'maxFees', from: 10, to: 20 }] });
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(1);
    expect((await loadDirectory(store))?.get('LIB3')?.maxFees).toBe(20);
  });

  it('refuses a command id already used for another library, and writes nothing', async () => {
    const store = await imported();
    await updateLibrary(store, 'LIB3', { maxFees: 20 }, meta({ commandId: 'same' }));
    await expect(updateLibrary(store, 'LIB4', { maxFees: 20 }, meta({ commandId: 'same' }))).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('already used to update library LIB3') });
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(1);
  });

  it('writes nothing when the input changes nothing', async () => {
    const store = await imported();
    const same = await updateLibrary(store, 'LIB3', { maxFees: 10, daysToRespond: { loan: 2 } }, meta());
    expect(same).toMatchObject({ written: false, changes: [] });
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(0);
  });

  it('applies two updates sent at the same time, one after the other', async () => {
    const store = await imported();
    await Promise.all([updateLibrary(store, 'LIB3', { maxFees: 20 }, meta()), updateLibrary(store, 'LIB3', { maxShipping: 30 }, meta())]);
    expect((await loadDirectory(store))?.get('LIB3')).toMatchObject({ maxFees: 20, maxShipping: 30 });
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(2);
  });
});

describe('refusing an update, with nothing written', () => {
  it.each([
    ['an unknown code', 'LIB99', { maxFees: 1 }, { code: 'NOT_FOUND', message: expect.stringContaining("no library 'LIB99' in the directory") }],
    ['a closure that ends before it starts', 'LIB3', { closures: [{ from: '2026-02-10', to: '2026-02-01', reason: 'move' }] }, { code: 'VALIDATION', message: expect.stringContaining('closures[0].to: must not be before from') }],
    ['days to respond that are not on the scale', 'LIB3', { daysToRespond: { loan: 3 } }, { code: 'VALIDATION', message: expect.stringContaining('daysToRespond.loan: must be one of 1, 2, 4, 8, 12, 16, 20') }],
    ['an e-mail that is not one', 'LIB3', { contact: { email: 'desk' } }, { code: 'VALIDATION', message: expect.stringContaining('contact.email: must be an e-mail address') }],
    ['an unknown field', 'LIB3', { lendingPolcy: 'lends' }, { code: 'VALIDATION', message: expect.stringContaining('lendingPolcy') }],
    ['a required field removed', 'LIB3', { name: null }, { code: 'VALIDATION', message: expect.stringContaining('name: ') }],
    ['a new code', 'LIB3', { code: 'LIB33' }, { code: 'VALIDATION', message: expect.stringContaining("code: is \"LIB33\", but the library updated is 'LIB3'") }],
    ['a file that is not an object', 'LIB3', [1], { code: 'VALIDATION', message: expect.stringContaining('(root): must be a JSON object') }],
  ])('%s', async (_name, code, input, error) => {
    const store = await imported();
    await expect(updateLibrary(store, code, input, meta())).rejects.toMatchObject(error);
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(0);
  });

  it('names every bad field', async () => {
    const store = await imported();
    await expect(updateLibrary(store, 'LIB3', { maxFees: -1, closures: [{ from: '2026-02-10', to: '2026-02-01', reason: 'move' }] }, meta())).rejects.toMatchObject({
      details: { issues: expect.arrayContaining([expect.objectContaining({ path: 'maxFees' }), expect.objectContaining({ path: 'closures[0].to' })]) },
    });
  });

  it('says so when no directory was imported', async () => {
    const store = new InMemoryEventStore();
    await expect(updateLibrary(store, 'LIB3', { maxFees: 1 }, meta())).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('no library directory has been imported') });
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(-1);
  });
});

describe('loading the directory as the stream grows', () => {
  it('reads the latest import and the updates after it, not the imports and updates before it', async () => {
    const store = await imported();
    for (let i = 0; i < 30; i++) await updateLibrary(store, 'LIB2', { maxFees: i + 1 }, meta());
    await saveDirectory(store, sampleDirectoryJson(), { actor: hub, time: LATER, eventId: 'reimport' });
    await updateLibrary(store, 'LIB3', { maxFees: 42 }, meta());
    await updateLibrary(store, 'LIB4', { maxFees: 43 }, meta());
    const { store: watched, read } = counting(store);

    const head = await loadDirectoryHead(watched);

    expect(head).toMatchObject({ revision: 33, importRevision: 31 });
    expect(head?.directory.get('LIB2')?.maxFees).toBe(10); // the new import replaced the 30 updates
    expect(head?.directory.get('LIB3')?.maxFees).toBe(42);
    expect(head?.directory.get('LIB4')?.maxFees).toBe(43);
    expect(read()).toBe(1 + 3); // the last event (to find the import), then the import and its 2 updates
  });

  it('brings a directory already loaded up to date reading only the new events', async () => {
    const store = await imported();
    const head = await loadDirectoryHead(store);
    await updateLibrary(store, 'LIB3', { maxFees: 42 }, meta());
    const { store: watched, read } = counting(store);

    const refreshed = await refreshDirectoryHead(watched, head);

    expect(refreshed?.directory.get('LIB3')?.maxFees).toBe(42);
    expect(refreshed?.revision).toBe(1);
    expect(read()).toBe(1);
    expect(await refreshDirectoryHead(watched, refreshed)).toBe(refreshed);
  });

  it('still finds the import when an update does not name it', async () => {
    const store = await imported();
    const lib3 = { ...(await loadDirectory(store))!.get('LIB3')!, maxFees: 7 };
    await store.appendToStream(DIRECTORY_STREAM, [{ id: 'hand', type: LIBRARY_UPDATED, data: { code: 'LIB3', library: lib3 as never, changes: [] }, metadata: { workflow: 'directory', actor: { id: 'hub', role: 'hub' }, time: LATER } }], {
      expectedRevision: 0,
    });
    expect((await loadDirectory(store))?.get('LIB3')?.maxFees).toBe(7);
  });

  it('a new import under a command id an update used is a new import', async () => {
    const store = await imported();
    await updateLibrary(store, 'LIB3', { maxFees: 42 }, meta({ commandId: 'shared-id' }));
    const saved = await saveDirectory(store, sampleDirectoryJson(), { actor: hub, time: LATER, eventId: 'again', commandId: 'shared-id' });
    expect(saved.duplicate).toBe(false);
    expect((await store.readStream(DIRECTORY_STREAM)).map((e) => e.type)).toEqual([DIRECTORY_IMPORTED, LIBRARY_UPDATED, DIRECTORY_IMPORTED]);
  });
});

describe("a library's history", () => {
  it('shows the import that added it, each change with time, actor and fields old -> new, and the import that removed it; not an import that left it as it was', async () => {
    const store = await imported();
    await updateLibrary(store, 'LIB3', { daysToRespond: { loan: 8 } }, meta({ commandId: 'slower' }));
    await updateLibrary(store, 'LIB4', { maxFees: 99 }, meta());
    const reimport = sampleDirectoryJson();
    reimport.libraries[2]!.daysToRespond = { loan: 8, copy: 1 };
    await saveDirectory(store, reimport, { actor: hub, time: '2026-01-07T08:00:00.000Z', eventId: 'same-lib3' });
    reimport.libraries[2]!.name = 'Library Three';
    await saveDirectory(store, reimport, { actor: hub, time: '2026-01-08T08:00:00.000Z', eventId: 'renamed' });
    reimport.libraries.splice(2, 1);
    await saveDirectory(store, reimport, { actor: hub, time: '2026-01-09T08:00:00.000Z', eventId: 'removed' });

    const history = await libraryProfileHistory(store, 'LIB3');

    expect(history?.map((h) => [h.time, h.event, h.kind])).toEqual([
      [TIME, DIRECTORY_IMPORTED, 'added'],
      [LATER, LIBRARY_UPDATED, 'changed'],
      ['2026-01-08T08:00:00.000Z', DIRECTORY_IMPORTED, 'changed'],
      ['2026-01-09T08:00:00.000Z', DIRECTORY_IMPORTED, 'removed'],
    ]);
    expect(history?.[0]?.changes).toContainEqual({ field: 'daysToRespond.loan', to: 2 });
    expect(history?.[1]).toMatchObject({ actor: { id: 'LIB8', role: 'hub', key: 'key-1' }, commandId: 'slower', changes: [{ field: 'daysToRespond.loan', from: 2, to: 8 }] });
    expect(history?.[2]?.changes).toEqual([{ field: 'name', from: 'Library 3', to: 'Library Three' }]);
    expect(history?.[3]?.changes).toContainEqual({ field: 'name', from: 'Library Three' });
  });

  it('is undefined for a library that never was in the directory', async () => {
    expect(await libraryProfileHistory(await imported(), 'LIB99')).toBeUndefined();
  });
});

describe('a history over profiles stored before a field had a default', () => {
  it('does not show the default as a change of the next update', async () => {
    const store = new InMemoryEventStore();
    const old = sampleDirectoryJson();
    delete old.libraries[2]!.daysToRespond; // stored without it: today's default (4/2) applies
    await store.appendToStream(DIRECTORY_STREAM, [{ id: 'old', type: DIRECTORY_IMPORTED, data: old as never, metadata: { workflow: 'directory', actor: { id: 'hub', role: 'hub' }, time: TIME } }], { expectedRevision: 'no_stream' });
    await updateLibrary(store, 'LIB3', { maxFees: 11 }, meta());

    const history = await libraryProfileHistory(store, 'LIB3');

    expect(history?.[1]?.changes).toEqual([{ field: 'maxFees', from: 10, to: 11 }]);
  });
});
