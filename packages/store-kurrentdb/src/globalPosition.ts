import { StoreError, ValidationError } from '@interlend/engine';

/**
 * The engine's global position for an event in KurrentDB, and back.
 *
 * KurrentDB gives every event of an append its own commit position (a byte offset in the
 * transaction log: for the self-committed prepares that every gRPC append writes, commit ==
 * prepare == the event's log position). Those are strictly increasing but not contiguous, and the
 * port requires an append of n events to occupy `lastPosition - n + 1 .. lastPosition` (the
 * command handler computes the positions of what it appended that way). So the position of an
 * event is taken from the commit position of the FIRST event of its append plus its index in the
 * append:
 *
 *     position = firstCommit * APPEND_SLOTS + index + 1
 *
 * Contiguous inside an append; strictly increasing across appends, since a later append's first
 * commit position is larger (by at least one, and every block of APPEND_SLOTS numbers belongs to
 * one commit position); 1-based; and it decodes to a real record boundary, the append's first
 * event, from which `$all` can be read. Every event records its index in its append in its
 * metadata (eventEnvelope.ts), so the position is recomputed on every read.
 *
 * Range: the port's positions are JavaScript numbers. firstCommit * 1024 + 1024 must stay at or
 * below Number.MAX_SAFE_INTEGER (2^53 - 1) for every slot, so commit positions up to 2^43 - 2 (8 TiB of
 * transaction log, scavenged chunks included) are carried exactly; beyond that every conversion
 * throws StoreError rather than round.
 */
export const APPEND_SLOTS = 1024;
const SLOTS = BigInt(APPEND_SLOTS);

/** Most events one append may carry: one slot per event. */
export const MAX_EVENTS_PER_APPEND = APPEND_SLOTS;

/** The largest commit position whose events can be given an exact number position. */
export const MAX_COMMIT_POSITION = (BigInt(Number.MAX_SAFE_INTEGER) + 1n) / SLOTS - 2n;

/** The engine position of the event at `index` of the append whose first event has commit position `firstCommit`. */
export function toGlobalPosition(firstCommit: bigint, index: number): number {
  if (!Number.isInteger(index) || index < 0 || index >= APPEND_SLOTS) {
    throw new StoreError(`event index ${index} in its append is outside 0..${APPEND_SLOTS - 1}`, { index });
  }
  if (firstCommit < 0n) {
    throw new StoreError(`KurrentDB returned a negative commit position (${firstCommit})`, { commitPosition: firstCommit.toString() });
  }
  if (firstCommit > MAX_COMMIT_POSITION) {
    throw new StoreError(
      `KurrentDB commit position ${firstCommit} is beyond ${MAX_COMMIT_POSITION}, the largest the engine's number positions carry exactly (8 TiB of transaction log)`,
      { commitPosition: firstCommit.toString(), maxCommitPosition: MAX_COMMIT_POSITION.toString() },
    );
  }
  return Number(firstCommit * SLOTS + BigInt(index) + 1n);
}

/** The append (its first event's commit position) and the index in it of the event at `position` (> 0). */
export function fromGlobalPosition(position: number): { firstCommit: bigint; index: number } {
  if (!Number.isSafeInteger(position) || position < 1) {
    throw new ValidationError(`a KurrentDB global position is a whole number from 1 to ${Number.MAX_SAFE_INTEGER}; got ${position}`, {
      issues: [{ path: 'position', message: 'must be a safe integer >= 1' }],
    });
  }
  const zeroBased = BigInt(position) - 1n;
  return { firstCommit: zeroBased / SLOTS, index: Number(zeroBased % SLOTS) };
}

/**
 * A commit position as the client reports it, checked: KurrentDB reports "no position" as
 * 2^64 - 1 (or leaves it out) on reads that cannot know it.
 */
export function knownCommit(position: { commit: bigint } | undefined): bigint | undefined {
  if (!position) return undefined;
  const { commit } = position;
  if (typeof commit !== 'bigint' || commit < 0n || commit >= 0xffff_ffff_ffff_ffffn) return undefined;
  return commit;
}
