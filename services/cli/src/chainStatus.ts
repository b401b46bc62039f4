import { verifyStreamEvents, type ChainFailure, type StoredEvent } from '@interlend/engine';
import { nodeSha256Hex } from '@interlend/store-sqlite';

/** Whether one request's hash chain verifies, for `history`. */
export interface ChainStatus {
  readonly verified: boolean;
  readonly events: number;
  /** The stored hash of its last event: what an anchor records. */
  readonly headHash: string | null;
  /** The first event that does not match, when one does not. */
  readonly failure: ChainFailure | null;
}

/** Checks the chain of a stream's events, already read in revision order from 0. */
export function chainStatus(streamId: string, events: readonly StoredEvent[]): ChainStatus {
  const { ok, head, failure } = verifyStreamEvents(streamId, events, { sha256: nodeSha256Hex });
  return { verified: ok, events: head.events, headHash: head.hash, failure: failure ?? null };
}

/** "chain: verified (9 events, head hash 3f2a9c01b7e4…)" or "chain: BROKEN at revision 3: event at revision 3 (...) does not match its hash: ...". */
export function chainLine(status: ChainStatus): string {
  if (status.failure) return `chain: BROKEN at revision ${status.failure.revision}: ${status.failure.message}`;
  return `chain: verified (${status.events} event${status.events === 1 ? '' : 's'}, head hash ${status.headHash?.slice(0, 12) ?? 'none'}…)`;
}
