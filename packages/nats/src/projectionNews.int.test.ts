import type { Msg } from '@nats-io/transport-node';
import { ProjectionRunner, timersProjection, type Projection } from '@interlend/engine';
import { NewsMessageSchema, ProjectionNews, decode, subjectsOf, type NewsMessage } from '@interlend/nats';
import { approvalHandler, commentCommand, openCommand, startWorld, until, type World } from './__tests__/world';

jest.setTimeout(30_000);

type Doc = { author: string; comments: number };
/** Comments per stream, deleted once the stream is approved. */
const comments: Projection<Doc> = {
  name: 'test.comments',
  version: 1,
  keys: (e) => [e.streamId],
  apply: (doc, e) => {
    if (e.type === 'Opened') return { author: String(e.metadata.actor && (e.metadata.actor as { id: string }).id), comments: 0 };
    if (e.type === 'Commented' && doc) return { ...doc, comments: doc.comments + 1 };
    if (e.type === 'Approved') return null;
    return undefined;
  },
};

describe('projection news', () => {
  let world: World;
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(() => world.close());

  test("tells each party's dashboard which of its documents a committed batch changed, and everyone all of them", async () => {
    const handler = approvalHandler(world.store, world.clock);
    await handler.handle(openCommand('a-1'));
    await handler.handle({ ...openCommand('b-1'), actor: { id: 'bob', role: 'author' } });
    await handler.handle(commentCommand('a-1', 1));

    const subjects = subjectsOf(world.settings);
    const heard = { alice: [] as NewsMessage[], bob: [] as NewsMessage[], all: [] as NewsMessage[], subjects: [] as string[] };
    const listen = (subject: string, into: NewsMessage[]) =>
      world.nc.subscribe(subject, {
        callback: (_e, m: Msg) => {
          into.push(decode(NewsMessageSchema, m.data, 'news'));
          heard.subjects.push(m.subject);
        },
      });
    listen(subjects.newsOf('alice'), heard.alice);
    listen(subjects.newsOf('bob'), heard.bob);
    listen(subjects.newsOf(undefined), heard.all);
    await world.nc.flush();

    const news = new ProjectionNews(await world.connect(), {
      settings: world.settings,
      parties: (_projection, write) => (write.doc ? [(write.doc as Doc).author] : []),
    });
    const runner = new ProjectionRunner(world.store, news.wrap(world.readModels));
    await runner.catchUp([comments, timersProjection]);
    await until(() => heard.all.length === 1 && heard.alice.length === 1 && heard.bob.length === 1, 'the first batch announced');
    expect(heard.all[0]).toEqual({ v: 1, projection: 'test.comments', checkpoint: 3, changed: ['a-1', 'b-1'], deleted: [] });
    expect(heard.alice[0]).toMatchObject({ changed: ['a-1'] });
    expect(heard.bob[0]).toMatchObject({ changed: ['b-1'] });
    expect(heard.subjects).toEqual(expect.arrayContaining(['interlend.news.~.test.comments', 'interlend.news.alice.test.comments', 'interlend.news.bob.test.comments']));

    // The next batch: alice's document deleted (the stream approved); the engine's own timers are not news.
    await handler.handle({ commandId: 'approve:a-1', streamId: 'a-1', type: 'approve', actor: { id: 'rita', role: 'reviewer' } });
    await runner.catchUp([comments, timersProjection]);
    await until(() => heard.all.length === 2, 'the deletion announced');
    expect(heard.all[1]).toEqual({ v: 1, projection: 'test.comments', checkpoint: 4, changed: [], deleted: ['a-1'] });
    // A catch-up with nothing new announces nothing.
    await runner.catchUp([comments, timersProjection]);
    await world.nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    expect(heard.all).toHaveLength(2);
    expect(heard.subjects.some((s) => s.includes('engine'))).toBe(false);
    expect(heard.bob).toHaveLength(1);
  });
});
