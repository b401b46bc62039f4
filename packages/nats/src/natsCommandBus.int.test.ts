import {
  ConcurrencyError,
  StoreError,
  isConcurrencyError,
  isForbiddenError,
  isIllegalStateError,
  isNotFoundError,
  isStoreError,
  isValidationError,
  type CommandInput,
} from '@interlend/engine';
import { CommandConsumer, NatsCommandBus, CommandReplySchema, decode, subjectsOf } from '@interlend/nats';
import { approvalHandler, openCommand, startWorld, type World } from './__tests__/world';

jest.setTimeout(30_000);

const reviewer = { id: 'rita', role: 'reviewer' };

describe('request/reply: a caller that wants the outcome', () => {
  let world: World;
  let consumer: CommandConsumer;
  let bus: NatsCommandBus;
  beforeAll(async () => {
    world = await startWorld();
    const handler = approvalHandler(world.store, world.clock);
    consumer = new CommandConsumer(await world.connect(), {
      settings: world.settings,
      handle: async (c) => {
        if (c.streamId === 'contended') throw new ConcurrencyError("approval 'contended' kept changing; gave up after 5 attempts", { streamId: c.streamId, attempts: 5 });
        if (c.streamId === 'store-down') throw new StoreError('the store is down (simulated)');
        if (c.streamId === 'hangs') await new Promise((r) => setTimeout(r, 1_000));
        return handler.handle(c);
      },
    });
    await consumer.start();
    bus = new NatsCommandBus(await world.connect(), { settings: world.settings });
  });
  afterAll(async () => {
    await consumer.stop();
    await world.close();
  });

  const refusal = async (command: CommandInput) => {
    try {
      await bus.request(command);
    } catch (error) {
      return error;
    }
    throw new Error(`${command.commandId} was not refused`);
  };

  test('answers with the state after the command and the events it wrote; again with the same id, the same events marked duplicate', async () => {
    const outcome = await bus.request(openCommand('req-1'));
    expect(outcome).toMatchObject({ streamId: 'req-1', commandId: 'open:req-1', duplicate: false, state: { name: 'open', revision: 0, context: { author: 'alice', title: 'about req-1' } } });
    expect(outcome.events).toEqual([expect.objectContaining({ type: 'Opened', streamId: 'req-1', revision: 0, position: expect.any(Number), data: { title: 'about req-1' } })]);
    const again = await bus.request(openCommand('req-1'));
    expect(again).toMatchObject({ duplicate: true, events: [{ id: outcome.events[0]!.id }] });
    const approved = await bus.request({ commandId: 'approve:req-1', streamId: 'req-1', type: 'approve', actor: reviewer });
    expect(approved.state).toMatchObject({ name: 'approved', revision: 1 });
    expect(approved.events[0]!.metadata).toMatchObject({ commandId: 'approve:req-1', stateAfter: 'approved', v: 1 });
  });

  test('refuses with the engine error of each code, typed for the caller', async () => {
    await bus.request(openCommand('req-2'));
    const invalid = await refusal({ ...openCommand('req-3'), data: { title: '' } });
    expect(isValidationError(invalid)).toBe(true);
    expect(invalid).toMatchObject({ name: 'ValidationError', code: 'VALIDATION', details: { issues: [expect.objectContaining({ path: 'data.title' })] } });
    const forbidden = await refusal({ commandId: 'approve:req-2:bob', streamId: 'req-2', type: 'approve', actor: { id: 'bob', role: 'author' } });
    expect(isForbiddenError(forbidden)).toBe(true);
    expect((forbidden as Error).message).toContain('bob is not a reviewer');
    const notFound = await refusal({ commandId: 'comment:none', streamId: 'no-such', type: 'comment', data: { text: 'hi' }, actor: { id: 'alice', role: 'author' } });
    expect(isNotFoundError(notFound)).toBe(true);
    expect(notFound).toMatchObject({ details: { streamId: 'no-such' } });
    await bus.request({ commandId: 'reject:req-2', streamId: 'req-2', type: 'reject', data: { reason: 'no' }, actor: reviewer });
    const illegal = await refusal({ commandId: 'approve:req-2', streamId: 'req-2', type: 'approve', actor: reviewer });
    expect(isIllegalStateError(illegal)).toBe(true);
    expect(illegal).toMatchObject({ code: 'ILLEGAL_STATE', details: { state: 'rejected' } });
    const conflict = await refusal(openCommand('contended'));
    expect(isConcurrencyError(conflict)).toBe(true);
    expect(conflict).toMatchObject({ details: { attempts: 5 } });
    const down = await refusal(openCommand('store-down'));
    expect(isStoreError(down)).toBe(true);
    // nothing refused reached the store
    expect(await world.store.readStream('req-3')).toEqual([]);
    expect(await world.store.readStream('no-such')).toEqual([]);
    expect((await world.store.readStream('req-2')).map((e) => e.type)).toEqual(['Opened', 'Rejected']);
  });

  test('answers a malformed request with a validation error, and never queues what it refuses locally', async () => {
    const nc = await world.connect();
    const reply = await nc.request(subjectsOf(world.settings).rpc('alice', 'open'), 'garbage', { timeout: 5_000 });
    expect(decode(CommandReplySchema, reply.data, 'reply')).toMatchObject({ ok: false, error: { code: 'VALIDATION', details: { malformed: true } } });
    await expect(bus.publish({ ...openCommand('x'), commandId: '' })).rejects.toMatchObject({ code: 'VALIDATION', details: { issues: [expect.objectContaining({ path: 'commandId' })] } });
  });

  test('says so when no worker answers in time, or none is there', async () => {
    const timedOut = await bus.request(openCommand('hangs'), { timeoutMs: 200 }).catch((e: unknown) => e);
    expect(isStoreError(timedOut)).toBe(true);
    expect(timedOut).toMatchObject({ details: { reason: 'timeout', commandId: 'open:hangs' } });
    // a retry with the same command id is safe: the first attempt's events come back
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await bus.request(openCommand('hangs'))).toMatchObject({ duplicate: true });
    const lonely = new NatsCommandBus(world.nc, { settings: { prefix: 'nobody-home' } });
    const none = await lonely.request(openCommand('x')).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'STORE', details: { reason: 'no_responders' } });
  });
});
