import { CommandEnvelopeSchema, decode, encode, toCommandInput, toEnvelope } from '@interlend/nats';

describe('a command that says when it happened (occurredAt), through NATS', () => {
  const command = { commandId: 'c-1', streamId: 's-1', type: 'willSupply', data: {}, actor: { id: 'LIB2', role: 'lending' } };

  test('the envelope carries occurredAt to the worker, which hands it to the engine', () => {
    const envelope = decode(CommandEnvelopeSchema, encode(toEnvelope({ ...command, occurredAt: '2026-03-06T15:30:00+01:00' })), 'command');
    expect(envelope.occurredAt).toBe('2026-03-06T15:30:00+01:00');
    expect(toCommandInput(envelope)).toEqual({ ...command, occurredAt: '2026-03-06T15:30:00+01:00' });
  });

  test('a command without one arrives without one (it happened when it is handled)', () => {
    const envelope = decode(CommandEnvelopeSchema, encode(toEnvelope(command)), 'command');
    expect('occurredAt' in toCommandInput(envelope)).toBe(false);
  });

  test('refuses an occurredAt that is not a string, naming it', () => {
    expect(() => decode(CommandEnvelopeSchema, encode({ v: 1, ...command, occurredAt: 1772811000000 }), 'command')).toThrow(
      expect.objectContaining({ code: 'VALIDATION', details: { issues: [expect.objectContaining({ path: 'occurredAt' })] } }),
    );
  });
});
