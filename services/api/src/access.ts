import type { Principal } from '@interlend/deployment';
import { COMMAND_PARTY, type IllCommandType } from '@interlend/ill';
import { ApiProblem } from './problems';

/**
 * Who may see and do what, from the key (see docs/api.md, "Access"):
 * - borrowing / lending keys see the requests their library borrowed or was asked to lend (at any
 *   time), their library's queues and history; a request they may not see is "not found" (404),
 *   another library's queues, history or statistics are "forbidden" (403);
 * - hub keys see and act on everything; auditor keys see everything and change nothing.
 * Acting is then the domain's `authorizeCommand`, with the actor taken from the key.
 */

/** The parts of a request's context that decide who sees it. */
export interface RequestParties {
  readonly borrower?: string | null;
  readonly lender?: string | null;
  readonly rota?: readonly { readonly library: string; readonly requestedAt?: string | null }[];
}

/** Hub staff and auditors see every library's data. */
export const seesEverything = (p: Principal): boolean => p.role === 'hub' || p.role === 'auditor';

/** True when the key's library borrowed the request or was asked to lend it (or the key sees everything). */
export function canSee(p: Principal, request: RequestParties): boolean {
  if (seesEverything(p)) return true;
  if (request.borrower === p.library) return true;
  return (request.rota ?? []).some((e) => e.library === p.library && e.requestedAt != null);
}

/** The role the key acts with; auditors act with none (403). */
export function actingRole(p: Principal, command: string): 'borrowing' | 'lending' | 'hub' {
  if (p.role === 'auditor') throw new ApiProblem('FORBIDDEN', `an auditor's key reads everything and changes nothing: '${command}' is refused`);
  return p.role;
}

/**
 * Of the commands a state accepts (the people's, not the timer's), those this key could send:
 * the borrower's to the borrower's borrowing keys, the current lender's to its lending keys, all
 * to hub keys, none to auditors. (The domain's guards still decide; this is what to offer.)
 */
export function allowedFor(p: Principal, request: RequestParties, allowed: readonly string[]): string[] {
  return allowed.filter((type) => {
    const party = COMMAND_PARTY[type as IllCommandType];
    if (party === undefined || party === 'system') return false;
    if (p.role === 'hub') return true;
    if (p.role === 'auditor') return false;
    const isBorrower = p.role === 'borrowing' && request.borrower === p.library;
    const isLender = p.role === 'lending' && request.lender != null && request.lender === p.library;
    if (party === 'borrower') return isBorrower;
    if (party === 'lender') return isLender;
    if (party === 'involved') return isBorrower || isLender;
    return false;
  });
}

/**
 * The library a library-scoped read is about: the one asked for, or the key's own. A
 * borrowing/lending key asking about another library is refused (403); hub and auditor keys may
 * ask about any, or none (undefined: every library).
 */
export function libraryInScope(p: Principal, asked: string | undefined, what: string): string | undefined {
  if (seesEverything(p)) return asked;
  if (asked !== undefined && asked !== p.library) {
    throw new ApiProblem('FORBIDDEN', `a ${p.role} key of ${p.library} reads ${p.library}'s ${what} only, not ${asked}'s`);
  }
  return p.library;
}
