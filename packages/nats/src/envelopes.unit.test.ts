import { ConcurrencyError, ForbiddenError, IllegalStateError, NotFoundError, StoreError, ValidationError, isForbiddenError, isIllegalStateError } from '@interlend/engine';
import { CommandEnvelopeSchema, CommandReplySchema, decode, encode, errorBody, errorFromBody, isRefusal, isTransient, toEnvelope } from '@interlend/nats';

describe('envelopes', () => {
  const command = { commandId: 'c-1', streamId: 's-1', type: 'open', data: { title: 't' }, actor: { id: 'alice', role: 'author' } };

  test('a command survives the trip through its envelope', () => {
    const envelope = decode(CommandEnvelopeSchema, encode(toEnvelope(command)), 'command');
    expect(envelope).toMatchObject({ v: 1, ...command });
  });

  test('refuses what is not JSON, and names each bad field of what does not match', () => {
    expect(() => decode(CommandEnvelopeSchema, new Uint8Array([0xff, 0xfe]), 'command')).toThrow(expect.objectContaining({ code: 'VALIDATION', details: { malformed: true } }));
    expect(() => decode(CommandEnvelopeSchema, encode({ v: 2, ...command, actor: { id: '' } }), 'command')).toThrow(
      expect.objectContaining({
        code: 'VALIDATION',
        details: { issues: expect.arrayContaining([expect.objectContaining({ path: 'v' }), expect.objectContaining({ path: 'actor.id' }), expect.objectContaining({ path: 'actor.role' })]) },
      }),
    );
    expect(() => toEnvelope({ ...command, streamId: 'x'.repeat(201) })).toThrow(/streamId/);
  });

  test('an error crosses as { code, message, details } and comes back as the same typed engine error', () => {
    const errors = [
      new ValidationError('bad', { issues: [{ path: 'data.x', message: 'Required' }] }),
      new ForbiddenError('not yours', { actor: 'bob' }),
      new NotFoundError('no such', { streamId: 's' }),
      new IllegalStateError('not now', { state: 'closed', allowed: ['reopen'] }),
      new ConcurrencyError('kept changing', { attempts: 5 }),
      new StoreError('down'),
    ];
    for (const error of errors) {
      const reply = decode(CommandReplySchema, encode({ ok: false, error: errorBody(error) }), 'reply');
      if (reply.ok) throw new Error('expected an error reply');
      const back = errorFromBody(reply.error);
      expect(back).toMatchObject({ name: error.name, code: error.code, message: error.message, details: error.details });
    }
    expect(isForbiddenError(errorFromBody(errorBody(errors[1])))).toBe(true);
    expect(isIllegalStateError(errorFromBody(errorBody(errors[3])))).toBe(true);
    expect(errorBody(new TypeError('boom'))).toEqual({ code: 'STORE', message: 'internal error: boom', details: { internal: true } });
  });

  test('sorts errors into refusals (never retried) and transient ones (retried)', () => {
    expect([new ValidationError('x'), new ForbiddenError('x'), new NotFoundError('x'), new IllegalStateError('x')].every(isRefusal)).toBe(true);
    expect([new StoreError('x'), new ConcurrencyError('x')].every(isTransient)).toBe(true);
    expect(isRefusal(new TypeError('x')) || isTransient(new TypeError('x'))).toBe(false);
  });
});
