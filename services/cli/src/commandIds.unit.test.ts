import { commandIdFrom, commandIdLine, requestIdFor } from './commandIds';

describe('requestIdFor', () => {
  it('is a UUID v5, the same for the same borrower and command id, different otherwise', () => {
    const id = requestIdFor('LIB1', 'c-1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(requestIdFor('LIB1', 'c-1')).toBe(id);
    expect(requestIdFor('LIB2', 'c-1')).not.toBe(id);
    expect(requestIdFor('LIB1', 'c-2')).not.toBe(id);
    // no ambiguity where the borrower ends and the command id begins
    expect(requestIdFor('LIB1', '1c')).not.toBe(requestIdFor('LIB11', 'c'));
  });
});

describe('commandIdFrom', () => {
  const ids = { next: () => 'made' };
  it('takes the flag, or makes one', () => {
    expect(commandIdFrom('mine', ids)).toBe('mine');
    expect(commandIdFrom(undefined, ids)).toBe('made');
    expect(commandIdFrom('x'.repeat(128), ids)).toHaveLength(128);
  });
  it('refuses an empty, too long or unprintable one', () => {
    expect(() => commandIdFrom(' ', ids)).toThrow('--command-id must have 1 to 128 characters');
    expect(() => commandIdFrom('x'.repeat(129), ids)).toThrow('not 129');
    expect(() => commandIdFrom('a\u202eb', ids)).toThrow('control or bidi');
  });
});

describe('commandIdLine', () => {
  it('says when the answer is the first result of a resend', () => {
    expect(commandIdLine('c-1', false)).toBe('command id: c-1');
    expect(commandIdLine('c-1', true)).toBe('command id: c-1 (already applied: this is the first result)');
  });
});
