import { InMemoryEventStore, type Actor } from '@interlend/engine';
import { sampleDirectoryJson } from '../testing';
import { DIRECTORY_IMPORTED, DIRECTORY_STREAM, loadDirectory, saveDirectory } from './directoryRepository';

const hub: Actor = { id: 'LIB1', role: 'hub' };
const TIME = '2026-01-05T09:00:00.000Z';

describe('saving the directory', () => {
  it('stores an import sent twice with one command id once, and answers the second with the first directory', async () => {
    const store = new InMemoryEventStore();
    const first = await saveDirectory(store, sampleDirectoryJson(), { actor: hub, time: TIME, eventId: 'e1', commandId: 'import-1' });
    const renamed = sampleDirectoryJson();
    renamed.libraries[2]!.name = 'Renamed';
    const again = await saveDirectory(store, renamed, { actor: hub, time: TIME, eventId: 'e2', commandId: 'import-1' });

    expect(first).toMatchObject({ commandId: 'import-1', duplicate: false });
    expect(again).toMatchObject({ commandId: 'import-1', duplicate: true });
    expect(again.directory.get('LIB3')?.name).toBe('Library 3');
    const events = await store.readStream(DIRECTORY_STREAM);
    expect(events.map((e) => [e.type, e.metadata.commandId])).toEqual([[DIRECTORY_IMPORTED, 'import-1']]);

    const other = await saveDirectory(store, renamed, { actor: hub, time: TIME, eventId: 'e3', commandId: 'import-2' });
    expect(other.duplicate).toBe(false);
    expect((await loadDirectory(store))?.get('LIB3')?.name).toBe('Renamed');
  });

  it('finds the first import among many', async () => {
    const store = new InMemoryEventStore();
    for (let i = 0; i < 40; i++) await saveDirectory(store, sampleDirectoryJson(), { actor: hub, time: TIME, eventId: `e${i}`, commandId: `import-${i}` });
    const again = await saveDirectory(store, sampleDirectoryJson(), { actor: hub, time: TIME, eventId: 'x', commandId: 'import-3' });
    expect(again.duplicate).toBe(true);
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(39);
  });

  it('refuses an invalid directory even under a command id already used, and writes nothing', async () => {
    const store = new InMemoryEventStore();
    await saveDirectory(store, sampleDirectoryJson(), { actor: hub, time: TIME, eventId: 'e1', commandId: 'import-1' });
    await expect(saveDirectory(store, { libraries: 'none' }, { actor: hub, time: TIME, eventId: 'e2', commandId: 'import-1' })).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('libraries') });
    expect(await store.streamRevision(DIRECTORY_STREAM)).toBe(0);
  });

  it('still loads a stored directory that a later limit would refuse', async () => {
    const store = new InMemoryEventStore();
    const stored = sampleDirectoryJson();
    stored.libraries[0]!.name = 'n'.repeat(5_000);
    await store.appendToStream(DIRECTORY_STREAM, [{ id: 'old', type: DIRECTORY_IMPORTED, data: stored as never, metadata: { workflow: 'directory', actor: { id: 'LIB1', role: 'hub' }, time: TIME, commandId: 'old' } }], {
      expectedRevision: 'any',
    });
    expect((await loadDirectory(store))?.get('LIB1')?.name).toHaveLength(5_000);
  });
});
