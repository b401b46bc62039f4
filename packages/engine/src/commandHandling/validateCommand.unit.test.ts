import { z } from 'zod';
import { approvalWorkflow } from '../__fixtures__/approvalWorkflow';
import { isValidationError } from '../errors';
import type { CommandInput } from '../workflow/types';
import { ENVELOPE_LIMITS, validateCommand } from './validateCommand';

const TIME = '2026-01-05T09:00:00.000Z';
const command = (overrides: Partial<CommandInput> = {}): CommandInput => ({
  commandId: 'c1',
  streamId: 's1',
  type: 'open',
  data: { title: 'a title' },
  actor: { id: 'alice', role: 'author' },
  ...overrides,
});

/** The issues of a refused command, as `path: message`. */
function issuesOf(input: CommandInput): string[] {
  try {
    validateCommand(approvalWorkflow, input, TIME);
  } catch (error) {
    if (!isValidationError(error)) throw error;
    return (error.details.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected a ValidationError');
}

describe('the envelope of a command', () => {
  const cases = [
    ['commandId', ENVELOPE_LIMITS.commandId, (v: string) => command({ commandId: v })],
    ['streamId', ENVELOPE_LIMITS.streamId, (v: string) => command({ streamId: v })],
    ['actor.id', ENVELOPE_LIMITS.actorId, (v: string) => command({ actor: { id: v, role: 'author' } })],
    ['actor.role', ENVELOPE_LIMITS.actorRole, (v: string) => command({ actor: { id: 'alice', role: v } })],
  ] as const;

  it.each(cases)('takes a %s of %i characters and refuses one more, naming it', (path, max, make) => {
    expect(validateCommand(approvalWorkflow, make('x'.repeat(max)), TIME).type).toBe('open');
    expect(issuesOf(make('x'.repeat(max + 1)))).toEqual([`${path}: at most ${max} characters, not ${max + 1}`]);
  });

  it.each(cases)('refuses control and bidi characters in a %s', (path, _max, make) => {
    for (const bad of ['a\u001b[31mb', 'a\u0000', 'a\u007f', 'a\u009bb', 'a\u202eb', 'a\u2066b', 'line\nbreak']) {
      expect(issuesOf(make(bad))).toEqual([`${path}: must not contain control or bidi characters`]);
    }
  });

  it('still refuses an empty id', () => {
    expect(issuesOf(command({ commandId: ' ', streamId: '' }))).toEqual(['commandId: required, a non-empty string', 'streamId: required, a non-empty string']);
  });

  it('names array elements with brackets and keeps a message short whatever the number of issues', () => {
    const workflow = { ...approvalWorkflow, commands: { ...approvalWorkflow.commands, tag: z.object({ tags: z.array(z.number()) }) } };
    let error: unknown;
    try {
      validateCommand(workflow, command({ type: 'tag', data: { tags: Array(1000).fill('x') } }), TIME);
    } catch (e) {
      error = e;
    }
    expect(isValidationError(error)).toBe(true);
    const { message, details } = error as { message: string; details: { issues: { path: string }[] } };
    expect(details.issues).toHaveLength(1000);
    expect(details.issues[999]!.path).toBe('data.tags[999]');
    expect(message).toMatch(/^invalid command 'tag': data\.tags\[0\]: .*; and 990 more$/);
    expect(message.length).toBeLessThan(1000);
  });
});
