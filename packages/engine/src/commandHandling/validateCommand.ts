import type { ZodError } from 'zod';
import { ValidationError } from '../errors';
import type { JsonObject } from '../eventStore/types';
import type { CommandInput, ValidatedCommand, WorkflowDefinition } from '../workflow/types';

/** Turns a zod error into "field: message" issues with dotted paths. */
export function zodIssues(error: ZodError, prefix = ''): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(root)',
    message: issue.message,
  }));
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

/** Checks the envelope and the command's data against its schema; stamps the time. */
export function validateCommand(workflow: WorkflowDefinition, input: CommandInput, time: string): ValidatedCommand {
  const problems: { path: string; message: string }[] = [];
  if (!nonEmpty(input.commandId)) problems.push({ path: 'commandId', message: 'required, a non-empty string' });
  if (!nonEmpty(input.streamId)) problems.push({ path: 'streamId', message: 'required, a non-empty string' });
  if (!input.actor || !nonEmpty(input.actor.id)) problems.push({ path: 'actor.id', message: 'required, a non-empty string' });
  if (!input.actor || !nonEmpty(input.actor.role)) problems.push({ path: 'actor.role', message: 'required, a non-empty string' });
  const schema = Object.prototype.hasOwnProperty.call(workflow.commands, input.type) ? workflow.commands[input.type] : undefined;
  if (!schema) {
    problems.push({ path: 'type', message: `unknown command '${String(input.type)}'; known: ${Object.keys(workflow.commands).join(', ')}` });
  }
  if (problems.length) throw new ValidationError(describe(input.type, problems), { issues: problems });
  const parsed = schema!.safeParse(input.data ?? {});
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, 'data');
    throw new ValidationError(describe(input.type, issues), { issues });
  }
  return {
    commandId: input.commandId,
    streamId: input.streamId,
    type: input.type,
    data: parsed.data as JsonObject,
    actor: { id: input.actor.id, role: input.actor.role },
    time,
  };
}

function describe(type: unknown, issues: { path: string; message: string }[]): string {
  return `invalid command '${String(type)}': ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`;
}
