import { ForbiddenError, type Actor, type ValidatedCommand } from '@interlend/engine';
import { COMMAND_PARTY, DEADLINE_COMMAND, SCHEDULE_MISSING_COMMAND, type IllCommandType } from './commands';
import type { IllContext, RotaEntryState } from './context';
import { currentEntry } from './context';
import { formatMoney } from './policies/costs';

/** Actor roles of the ILL workflow. */
export const ROLES = ['borrowing', 'lending', 'hub', 'system'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who may send a command now (throws ForbiddenError naming who may):
 * - borrower commands: the request's borrower (role borrowing) or hub staff;
 * - lender commands: the current lender (role lending) or hub staff; a lender the rota already
 *   left is told its answer is too late; `rotaPosition`, when given, must be the current one;
 * - reportMisdelivered / reportLost: the borrower, the current lender or hub staff (and, for a
 *   misdelivery, the library that received the item);
 * - reroute, returnMisdelivered, close: hub staff;
 * - approve of a request whose maximum cost is above its library's maximum (screening
 *   `overLibraryMaximum.approval` 'hubReview'): hub staff; submit `onBehalfOf` a library: hub staff;
 * - deadlineReached: the timer service only (role system); scheduleMissingDeadline (the one-off
 *   repair of `interlend timers schedule-missing`): the system only. The system sends nothing else.
 */
export function authorizeCommand(command: ValidatedCommand, context: IllContext | undefined): void {
  const type = command.type as IllCommandType;
  const { id, role } = command.actor;
  const party = COMMAND_PARTY[type];
  const requestId = command.streamId;

  if (party === 'system' || role === 'system') {
    if (party === 'system' && role === 'system') return;
    if (type === DEADLINE_COMMAND) throw new ForbiddenError(`'${type}' is sent by the timer service only (role system), not by ${id} (${role})`, { actor: id, role });
    if (party === 'system') throw new ForbiddenError(`'${type}' is sent by the system only (role system: interlend timers schedule-missing), not by ${id} (${role})`, { actor: id, role });
    throw new ForbiddenError(`the system actor may send only '${DEADLINE_COMMAND}' or '${SCHEDULE_MISSING_COMMAND}', not '${type}'`, { actor: id, role });
  }
  if (!(['borrowing', 'lending', 'hub'] as string[]).includes(role)) {
    throw new ForbiddenError(`unknown role '${role}': an actor acts as borrowing, lending, hub or system`, { actor: id, role });
  }

  if (type === 'submit') {
    const onBehalfOf = (command.data as { onBehalfOf?: string } | undefined)?.onBehalfOf;
    if (onBehalfOf !== undefined && role !== 'hub') {
      throw new ForbiddenError(`only hub staff (role hub) may submit on a library's behalf (data.onBehalfOf '${onBehalfOf}'); ${id} acts as ${role}: leave onBehalfOf out to submit as ${id}`, {
        actor: id,
        role,
      });
    }
    if (role === 'borrowing' || role === 'hub') return;
    throw new ForbiddenError(`only a borrowing library (role borrowing) or hub staff may submit a request; ${id} acts as ${role}`, { actor: id, role });
  }
  if (!context) return; // the engine answers NotFound for a missing request

  const borrower = context.borrower ?? '?';
  const isBorrower = role === 'borrowing' && id === context.borrower;
  const isLender = role === 'lending' && context.lender !== null && id === context.lender;
  const data = (command.data ?? {}) as { rotaPosition?: number; receivedBy?: string };

  const over = context.screening?.overLibraryMaximum;
  if (type === 'approve' && over?.approval === 'hubReview' && context.review === null && role !== 'hub') {
    const maximum = context.request?.maximumCost;
    throw new ForbiddenError(
      `request ${requestId} needs hub approval: its maximum cost ${maximum ? formatMoney(maximum) : '?'} is above ${borrower}'s maximum ${formatMoney(over.libraryMaximum)}; only hub staff (role hub) may approve it, ${id} (${role}) may not (it may reject it)`,
      { actor: id, role, libraryMaximum: over.libraryMaximum, maximumCost: maximum ?? null },
    );
  }

  switch (party) {
    case 'borrower':
      if (role === 'hub' || isBorrower) return;
      throw new ForbiddenError(`only the borrower ${borrower} (role borrowing) or hub staff may send '${type}' for request ${requestId}; ${id} (${role}) may not`, {
        actor: id,
        role,
        borrower,
      });
    case 'hub':
      if (role === 'hub') return;
      throw new ForbiddenError(`only hub staff (role hub) may send '${type}' for request ${requestId}; ${id} (${role}) may not`, { actor: id, role });
    case 'involved':
      if (role === 'hub' || isBorrower || isLender) return;
      if (type === 'reportMisdelivered' && data.receivedBy === id) return;
      throw new ForbiddenError(
        `only the borrower ${borrower}, the current lender ${context.lender ?? '(none)'} or hub staff may send '${type}' for request ${requestId}; ${id} (${role}) may not`,
        { actor: id, role },
      );
    case 'lender':
      authorizeLender(type, command, context, data.rotaPosition);
      return;
    default:
      return;
  }
}

/**
 * Of the command types a state accepts, those `actor` could send now: `authorizeCommand` applied
 * (without data: a misdelivery's recipient is not offered `reportMisdelivered`), never the timer's
 * deadline command. What refusals and "may do now" lists show.
 */
export function commandsFor(actor: Actor, context: IllContext | undefined, types: readonly string[]): string[] {
  return types.filter((type) => {
    if (type === DEADLINE_COMMAND) return false;
    try {
      authorizeCommand({ commandId: '', streamId: context?.requestId ?? '', type, data: {}, actor, time: '' }, context);
      return true;
    } catch (error) {
      if (error instanceof ForbiddenError) return false;
      throw error;
    }
  });
}

const describeEntry = (e: RotaEntryState): string => `position ${e.position} (${e.library}${e.outcome ? `, ${e.outcome}` : ''})`;

function movedOnTo(context: IllContext): string {
  const current = currentEntry(context);
  return current ? `to position ${current.position} (${current.library})` : 'and ended';
}

function authorizeLender(type: IllCommandType, command: ValidatedCommand, context: IllContext, rotaPosition: number | undefined): void {
  const { id, role } = command.actor;
  const requestId = command.streamId;
  const current = currentEntry(context);
  const who = current ? `the current lender ${current.library} (position ${current.position})` : 'the current lender (there is none now)';

  // A position that is not the current one: too late (or too early), whoever sends it.
  if (rotaPosition !== undefined && rotaPosition !== context.current) {
    const entry = context.rota.find((e) => e.position === rotaPosition);
    if (entry && entry.requestedAt !== null) {
      const speaker = role === 'hub' ? `the answer for position ${rotaPosition}` : `${id}'s answer`;
      throw new ForbiddenError(`${speaker} is too late: the rota moved on from ${describeEntry(entry)} ${movedOnTo(context)}`, {
        actor: id,
        rotaPosition,
        current: context.current,
      });
    }
    throw new ForbiddenError(`rota position ${rotaPosition} of request ${requestId} was never asked; only ${who} or hub staff may send '${type}'`, {
      actor: id,
      rotaPosition,
      current: context.current,
    });
  }
  if (role === 'hub') return;
  if (role === 'lending' && context.lender !== null && id === context.lender) return;
  if (role !== 'lending') {
    throw new ForbiddenError(`'${type}' is a lender's command: only ${who} (role lending) or hub staff may send it for request ${requestId}; ${id} acts as ${role}`, {
      actor: id,
      role,
    });
  }
  // A lending library that is not the current lender: left behind, not yet asked, or never asked.
  const asked = [...context.rota].reverse().find((e) => e.library === id && e.requestedAt !== null);
  if (asked) {
    throw new ForbiddenError(`${id}'s answer is too late: the rota moved on from ${describeEntry(asked)} ${movedOnTo(context)}`, {
      actor: id,
      position: asked.position,
      current: context.current,
    });
  }
  const entry = context.rota.find((e) => e.library === id);
  // The rota keeps the skipped libraries the borrower preferred; any other library was never a candidate.
  const detail = entry?.status === 'candidate' ? ` yet (it is at position ${entry.position})` : entry ? ` (skipped: ${entry.reason ?? 'not a candidate'})` : " (not among its rota's candidates)";
  throw new ForbiddenError(`${id} was not asked to supply request ${requestId}${detail}; only ${who} or hub staff may send '${type}'`, {
    actor: id,
    current: context.current,
  });
}
