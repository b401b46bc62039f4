import type { EventStore, StoredEvent } from '@interlend/engine';
import { DIRECTORY_STREAM, ILL_WORKFLOW, RequestParties } from '@interlend/ill';
import type { Principal } from '@interlend/deployment';

/**
 * One change of the read models, as the live stream announces it: the event at `position` and
 * the documents it changed. `borrower`, `lender` and `left` are the parties of the request at
 * that event: its borrower, the lender it is with after the event, and the lender that lost it
 * with this event (the rota moved on, the request was cancelled or went unfilled), if any.
 */
export interface LiveChange {
  readonly position: number;
  /** The request's id; null for a directory change. */
  readonly requestId: string | null;
  readonly eventType: string;
  readonly time: string | null;
  /** The request's state after the event (`metadata.stateAfter`), when recorded. */
  readonly state: string | null;
  readonly borrower: string | null;
  readonly lender: string | null;
  readonly left: string | null;
  /** What to re-read: 'request:<id>', 'queues:<LIB>', 'history:<LIB>', 'stats', 'directory'. */
  readonly changed: readonly string[];
}

/** The libraries a change concerns (for a directory change: every library). */
function concerned(change: LiveChange): string[] {
  return [change.borrower, change.lender, change.left].filter((p): p is string => typeof p === 'string' && p !== '');
}

/** True when the change is shown to everyone (a change of the directory). */
const isPublic = (change: LiveChange): boolean => change.requestId === null;

/**
 * What `principal` may see of `change`: hub and auditor keys see every change in full; a library's
 * staff see the changes of requests their library is concerned in (borrower, the lender asked, the
 * lender that lost it), with the lender that lost it and the new lender named only to the borrower
 * and to that lender, and only the documents it may read. Undefined: not shown.
 */
export function visibleChange(change: LiveChange, principal: Principal): LiveChange | undefined {
  if (principal.role === 'hub' || principal.role === 'auditor' || isPublic(change)) return change;
  const library = principal.library;
  if (!concerned(change).includes(library)) return undefined;
  const isBorrower = change.borrower === library;
  const own = new Set([`queues:${library}`, `history:${library}`]);
  return {
    ...change,
    lender: isBorrower || change.lender === library ? change.lender : null,
    left: isBorrower || change.left === library ? change.left : null,
    changed: change.changed.filter((key) => own.has(key) || !(key.startsWith('queues:') || key.startsWith('history:'))),
  };
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/**
 * Turns events of the log into changes, in log order. Knows each request's parties through the
 * ILL `RequestParties` (borrower, current lender) and remembers the lender each request was with
 * after its previous event, so that a change of lender names the lender left. Reads the request's
 * earlier events from the store only when an event comes out of the order it remembers (the first
 * event of a replay, a restart).
 */
export class ChangeReader {
  private readonly parties: RequestParties;
  /** streamId -> the revision last seen and the lender after it. */
  private readonly lenders = new Map<string, { revision: number; lender: string | null }>();

  constructor(
    private readonly events: EventStore,
    private readonly options: { readonly cacheSize?: number } = {},
  ) {
    this.parties = new RequestParties(events, { cacheSize: options.cacheSize });
  }

  /** The change an event makes, or undefined for events no read model of the stream shows (API keys, other workflows). */
  async changeOf(event: StoredEvent): Promise<LiveChange | undefined> {
    const meta = (event.metadata ?? {}) as Record<string, unknown>;
    if (event.streamId === DIRECTORY_STREAM) {
      return { position: event.position, requestId: null, eventType: event.type, time: text(meta.time), state: null, borrower: null, lender: null, left: null, changed: ['directory'] };
    }
    if (meta.workflow !== ILL_WORKFLOW) return undefined;
    const before = await this.lenderBefore(event);
    const [borrower = null, lender = null] = await this.parties.of(event);
    this.remember(event.streamId, event.revision, lender);
    const left = before !== null && before !== lender ? before : null;
    const libraries = [...new Set([borrower, lender, left].filter((p): p is string => p !== null))];
    return {
      position: event.position,
      requestId: event.streamId,
      eventType: event.type,
      time: text(meta.time),
      state: text(meta.stateAfter),
      borrower,
      lender,
      left,
      changed: [`request:${event.streamId}`, ...libraries.map((l) => `queues:${l}`), ...libraries.map((l) => `history:${l}`), 'stats'],
    };
  }

  /** The lender the request was with before `event`. */
  private async lenderBefore(event: StoredEvent): Promise<string | null> {
    if (event.revision === 0) return null;
    const known = this.lenders.get(event.streamId);
    if (known && known.revision === event.revision - 1) return known.lender;
    const [previous] = await this.events.readStream(event.streamId, { fromRevision: event.revision - 1, maxCount: 1 });
    if (!previous) return null;
    const [, lender = null] = await this.parties.of(previous);
    return lender;
  }

  private remember(streamId: string, revision: number, lender: string | null): void {
    this.lenders.delete(streamId);
    this.lenders.set(streamId, { revision, lender });
    if (this.lenders.size > (this.options.cacheSize ?? 10_000)) this.lenders.delete(this.lenders.keys().next().value!);
  }
}
