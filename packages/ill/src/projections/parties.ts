import type { EventStore, StoredEvent } from '@interlend/engine';
import { effectFacts, illMetadata, trackCurrentLender, type CurrentLender } from './storedIllEvent';

interface Tracked extends CurrentLender {
  revision: number;
  borrower: string | null;
}

/**
 * Who an ILL request event concerns: its borrower, then the lender the request is with after the
 * event (the current lender), as the event feed names them so that a library can follow its own.
 * Events of other streams (the directory) concern no library. Reads the request's earlier events
 * from the store when it has not seen them (a restart, an event out of order); in the usual order
 * (each request's events one after another) it keeps a small cache and reads nothing.
 */
export class RequestParties {
  private readonly cache = new Map<string, Tracked>();

  constructor(
    private readonly store: EventStore,
    private readonly options: { readonly cacheSize?: number } = {},
  ) {}

  async of(event: StoredEvent): Promise<string[]> {
    if (!illMetadata(event)) return [];
    let tracked = this.cache.get(event.streamId);
    if (!tracked || tracked.revision !== event.revision - 1) {
      tracked = { revision: -1, borrower: null, currentLender: null, position: null };
      const earlier = event.revision > 0 ? await this.store.readStream(event.streamId, { maxCount: event.revision }) : [];
      for (const e of earlier) apply(tracked, e);
    }
    apply(tracked, event);
    this.cache.delete(event.streamId);
    this.cache.set(event.streamId, tracked);
    if (this.cache.size > (this.options.cacheSize ?? 10_000)) this.cache.delete(this.cache.keys().next().value!);
    return [tracked.borrower, tracked.currentLender].filter((p): p is string => typeof p === 'string' && p !== '');
  }
}

function apply(tracked: Tracked, event: StoredEvent): void {
  const meta = illMetadata(event);
  tracked.revision = event.revision;
  if (!meta) return;
  if (tracked.borrower === null && typeof event.data.borrower === 'string') tracked.borrower = event.data.borrower;
  trackCurrentLender(tracked, event, meta, effectFacts(meta).asked);
}
