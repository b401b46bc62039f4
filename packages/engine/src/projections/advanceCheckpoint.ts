import { isConcurrencyError } from '../errors';
import type { ReadModelStore } from './types';

/**
 * Moves a follower's checkpoint (a projection with no documents: effects, a relay) from `from` to
 * `to` by compare-and-set. When another follower moved it first, takes the stored position and
 * tries again while it is still below `to`; returns the position the checkpoint holds now (`to`,
 * or a later one another follower committed). `onMoved` is told each time it found it moved.
 */
export async function advanceCheckpoint(
  readModels: ReadModelStore,
  name: string,
  from: number,
  to: number,
  onMoved?: (moved: { from: number; to: number }) => void,
): Promise<number> {
  let expected = from;
  while (to > expected) {
    try {
      await readModels.commit(name, [], { expected, next: to });
      return to;
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
      const moved = await readModels.checkpoint(name);
      onMoved?.({ from: expected, to: moved });
      expected = moved;
    }
  }
  return expected;
}
